"""Pod Security rules about Linux capabilities.

Severity (scheme in ``_pss.py``): a dangerous capability (K8S-007) is critical, any other
capability outside the baseline list (K8S-006) is high, and the restricted-only controls
(K8S-025 drop ALL, K8S-026 add nothing but NET_BIND_SERVICE) are medium. Each added
capability is reported by exactly one of K8S-007, K8S-006 and K8S-026. Names are compared
in upper case without a ``CAP_`` prefix, as container runtimes read them. The restricted
controls are Linux-only: pods with ``spec.os.name: windows`` are exempt.
"""

from __future__ import annotations

from collections.abc import Iterator

from cnsmm.findings import Severity
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s._common import PSS_BASELINE, PSS_RESTRICTED, WORKLOADS, where
from cnsmm.rules.k8s._pss import (
    BASELINE_CAPABILITIES,
    CIS,
    DANGEROUS_CAPABILITIES,
    NSA_HARDENING,
    added_capabilities,
    is_windows,
    normalise_capability,
    option_names,
)
from cnsmm.sources.k8s import Container

_CIS_ADDED = f"{CIS}: 5.2.9 Minimize the admission of containers with added capabilities"
_CIS_ASSIGNED = f"{CIS}: 5.2.10 Minimize the admission of containers with capabilities assigned"


def _add_path(c: Container, i: int) -> tuple[object, ...]:
    return (*c.path, "securityContext", "capabilities", "add", i)


@rule(RuleMeta(
    id="K8S-006",
    name="capability-added-beyond-baseline",
    title="Container adds a capability outside the baseline set",
    severity=Severity.HIGH,
    scope=Scope.CONTAINER,
    targets=WORKLOADS,
    requirements=("PLT.RUN.L2.1",),
    what=(
        "Flags entries of `securityContext.capabilities.add` outside the baseline list (AUDIT_WRITE, "
        "CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, "
        "SETPCAP, SETUID, SYS_CHROOT), for every container kind. Dangerous capabilities such as "
        "SYS_ADMIN are reported by K8S-007 instead; names in the `allowed_capabilities` option "
        "are accepted."
    ),
    why=(
        "Capabilities beyond the container runtime defaults widen what a compromised process can "
        "do to the kernel and the network: NET_RAW allows ARP and DNS spoofing of neighbours, "
        "IPC_LOCK and SYS_RESOURCE bypass resource limits, SYS_TIME changes the node's clock."
    ),
    fix=(
        "Remove the capability from `capabilities.add`; if the workload truly needs it, document why "
        "and allow it by name."
    ),
    bad="securityContext:\n  capabilities:\n    add: [NET_RAW]",
    good="securityContext:\n  capabilities:\n    drop: [ALL]",
    references=(
        f"{PSS_BASELINE}: Capabilities",
        NSA_HARDENING,
        f"{CIS}: 5.2.8 Minimize the admission of containers with the NET_RAW capability",
        _CIS_ADDED,
        "CWE-250",
    ),
    options={"allowed_capabilities": "Capability names K8S-006 accepts in addition to the baseline list."},
))
def capability_beyond_baseline(c: Container, ctx: RuleContext) -> Iterator[Hit]:
    """Report added capabilities outside the baseline list (dangerous ones excepted)."""
    allowed = {normalise_capability(n) for n in option_names(ctx, "allowed_capabilities")}
    for i, name, written in added_capabilities(c):
        if name in BASELINE_CAPABILITIES or name in DANGEROUS_CAPABILITIES or name in allowed:
            continue
        yield Hit(f"{where(c)} adds capability {written}, outside the baseline set", _add_path(c, i))


@rule(RuleMeta(
    id="K8S-007",
    name="dangerous-capability-added",
    title="Container adds a dangerous capability",
    severity=Severity.CRITICAL,
    scope=Scope.CONTAINER,
    targets=WORKLOADS,
    requirements=("PLT.RUN.L2.1", "PLT.RUN.L1.2"),
    what=(
        "Flags `capabilities.add` entries that give a path to the node: "
        + ", ".join(sorted(DANGEROUS_CAPABILITIES))
        + " (for every container kind)."
    ),
    why=(
        "These capabilities reach the host kernel or other workloads directly: SYS_ADMIN can mount "
        "filesystems and escape through cgroups, SYS_MODULE and BPF load code into the kernel, "
        "SYS_PTRACE injects into other processes, NET_ADMIN rewrites the network, ALL is the same as "
        "privileged. They are outside the baseline profile and are the usual first step of a "
        "container escape."
    ),
    fix=(
        "Remove the capability; give the function to a purpose-built node component, or use a "
        "narrower capability."
    ),
    bad="securityContext:\n  capabilities:\n    add: [SYS_ADMIN]",
    good="securityContext:\n  capabilities:\n    drop: [ALL]\n    add: [NET_BIND_SERVICE]",
    references=(f"{PSS_BASELINE}: Capabilities", NSA_HARDENING, _CIS_ADDED, "CWE-250"),
))
def dangerous_capability(c: Container, ctx: RuleContext) -> Iterator[Hit]:
    """Report added capabilities that reach the node."""
    for i, name, written in added_capabilities(c):
        reason = DANGEROUS_CAPABILITIES.get(name)
        if reason is not None:
            yield Hit(f"{where(c)} adds capability {written}: {reason}", _add_path(c, i))


@rule(RuleMeta(
    id="K8S-025",
    name="capabilities-not-dropped",
    title="Container does not drop all capabilities",
    severity=Severity.MEDIUM,
    scope=Scope.CONTAINER,
    targets=WORKLOADS,
    requirements=("PLT.RUN.L2.1",),
    what=(
        "Flags containers, init containers and ephemeral containers whose "
        "`securityContext.capabilities.drop` does not include `ALL`. Windows pods are exempt."
    ),
    why=(
        "Without `drop: [ALL]` the container keeps the runtime's default set (CHOWN, DAC_OVERRIDE, "
        "SETUID, NET_RAW on some runtimes...), which an attacker uses to change file ownership, read "
        "any file in the container or spoof packets. The restricted profile requires dropping all "
        "and adding back only what is needed."
    ),
    fix=(
        "Add `capabilities: {drop: [ALL]}` to the container's securityContext (add back "
        "NET_BIND_SERVICE only if needed)."
    ),
    bad="securityContext:\n  capabilities:\n    drop: [NET_RAW]",
    good="securityContext:\n  capabilities:\n    drop: [ALL]",
    references=(f"{PSS_RESTRICTED}: Capabilities", NSA_HARDENING, _CIS_ASSIGNED, "CWE-250"),
))
def capabilities_not_dropped(c: Container, ctx: RuleContext) -> Iterator[Hit]:
    """Report containers whose drop list lacks ALL (Linux pods)."""
    if is_windows(c.pod):
        return
    drop = c.get("securityContext", "capabilities", "drop")
    names = {normalise_capability(d) for d in drop if isinstance(d, str)} if isinstance(drop, list) else set()
    if "ALL" in names:
        return
    if isinstance(drop, list):
        yield Hit(f"{where(c)} drops some capabilities but not ALL",
                  (*c.path, "securityContext", "capabilities", "drop"))
    else:
        yield Hit(f"{where(c)} keeps the runtime's default capabilities (no capabilities.drop: [ALL])",
                  (*c.path, "securityContext", "capabilities"))


@rule(RuleMeta(
    id="K8S-026",
    name="capability-added-beyond-restricted",
    title="Container adds a capability other than NET_BIND_SERVICE",
    severity=Severity.MEDIUM,
    scope=Scope.CONTAINER,
    targets=WORKLOADS,
    requirements=("PLT.RUN.L2.1",),
    what=(
        "Flags `capabilities.add` entries that the baseline allows but the restricted profile does "
        "not, that is every baseline capability except NET_BIND_SERVICE (CHOWN, SETUID, KILL...), "
        "including names that K8S-006 accepts through the `allowed_capabilities` option. Other "
        "capabilities are reported by K8S-006/K8S-007. Windows pods are exempt."
    ),
    why=(
        "The restricted profile lets a container add back only NET_BIND_SERVICE; the others let a "
        "compromised process change file ownership, switch user or bypass file permissions inside "
        "the container, which helps an attacker persist and escalate."
    ),
    fix=(
        "Remove the capability from `capabilities.add`; make files owned by the run-time user at "
        "build time instead."
    ),
    bad="securityContext:\n  capabilities:\n    drop: [ALL]\n    add: [CHOWN, SETUID]",
    good="securityContext:\n  capabilities:\n    drop: [ALL]\n    add: [NET_BIND_SERVICE]",
    references=(f"{PSS_RESTRICTED}: Capabilities", NSA_HARDENING, _CIS_ADDED, "CWE-250"),
    options={"allowed_capabilities": "Accepted by K8S-006, still reported here (restricted allows none)."},
))
def capability_beyond_restricted(c: Container, ctx: RuleContext) -> Iterator[Hit]:
    """Report added baseline capabilities other than NET_BIND_SERVICE (Linux pods)."""
    if is_windows(c.pod):
        return
    allowed = {normalise_capability(n) for n in option_names(ctx, "allowed_capabilities")}
    for i, name, written in added_capabilities(c):
        if name == "NET_BIND_SERVICE" or name in DANGEROUS_CAPABILITIES:
            continue
        if name in BASELINE_CAPABILITIES or name in allowed:
            yield Hit(
                f"{where(c)} adds capability {written}; the restricted profile allows only NET_BIND_SERVICE",
                _add_path(c, i),
            )
