"""Deliberate differences between cnsmm's rules and other scanners (for Kubernetes: kubescape,
Polaris, Checkov, kube-linter, kube-score; for Dockerfiles: hadolint, Checkov, Trivy), rendered
into docs/rules.md.

Each entry says what cnsmm does, what the other scanners do, and why cnsmm chose otherwise, and
names the rules it concerns (a test checks they exist). Where a result differs for one of these
reasons it is intended, not a bug.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Difference:
    """One deliberate difference."""

    topic: str
    rules: tuple[str, ...]
    cnsmm: str
    others: str
    why: str


DIFFERENCES: tuple[Difference, ...] = (
    Difference(
        "A Helm chart's release namespace is the installer's", ("K8S-098",),
        "Unless `--helm-namespace` is given, objects a chart puts in the release namespace are checked as manifests "
        "without a namespace: no default-namespace finding, and namespace rules speak of the namespace the chart "
        "is installed into.",
        "Scanners that render charts with `helm template` and its default namespace see `default` on every object "
        "that uses `.Release.Namespace`, and their default-namespace checks fire on it.",
        "`helm template` needs a namespace, but `helm install --namespace` decides it; the chart did not choose it.",
    ),
    Difference(
        "A limit implies the request", ("K8S-079",),
        "A container with a CPU (memory) limit and no CPU (memory) request passes the request rule.",
        "Polaris, Checkov, kube-linter and kube-score check requests and limits as separate fields.",
        "The API server sets a missing request to the limit, so the scheduler and the QoS class see a request.",
    ),
    Difference(
        "LimitRange defaults count; zero does not", ("K8S-079", "K8S-080", "K8S-081"),
        "A LimitRange default in the same namespace and set counts as a request or limit; a value of zero "
        "(`0`, `0m`, `0Mi`) counts as none.",
        "The other scanners judge the container's own fields only; a written `0` passes their presence checks.",
        "Admission fills LimitRange defaults in; the kubelet and scheduler treat zero as unset.",
    ),
    Difference(
        "CPU limits are low severity", ("K8S-081",),
        "A missing CPU limit is reported with low severity.",
        "kube-score and Checkov treat a missing CPU limit like a missing memory limit.",
        "CPU is compressible; CPU requests already guarantee each pod its share and limits cause throttling.",
    ),
    Difference(
        "Probes only for long-running app containers", ("K8S-084", "K8S-085"),
        "Liveness and readiness probes are required of app containers of long-running workloads, not of init, "
        "sidecar or ephemeral containers, Jobs, CronJobs or bare Pods.",
        "Checkov and Polaris ask every container for probes; kube-score only pods targeted by a Service.",
        "Containers that run to completion cannot be probed usefully; a worker without a Service still needs "
        "restarting when it hangs.",
    ),
    Difference(
        "imagePullPolicy only matters for floating tags", ("K8S-078",),
        "`imagePullPolicy` is only reported when the image has a floating tag and no digest.",
        "kube-score requires `Always` for every image; Checkov CKV_K8S_15 too.",
        "A version tag or digest already names the content; re-pulling it only adds registry load.",
    ),
    Difference(
        "Digests must be well-formed", ("K8S-076",),
        "Only `@sha256:` with 64 lower-case hex digits (or another registered algorithm at its length) pins an "
        "image.",
        "Checkov CKV_K8S_43 accepts any `@` in the image reference.",
        "A malformed digest is rejected by the runtime or pins nothing.",
    ),
    Difference(
        "Pod and container settings resolved as Kubernetes does", ("K8S-022", "K8S-024", "K8S-032"),
        "`runAsNonRoot`, `runAsUser` and `seccompProfile` are read from the container, else the pod; one finding "
        "on the pod when nothing is set; legacy seccomp annotations count as a profile; Windows pods are exempt "
        "from Linux-only settings.",
        "Several scanners require the field on every container even when the pod sets it, or on the pod only.",
        "The effective value is what runs; duplicate findings per container hide the one fix needed.",
    ),
    Difference(
        "Specific hostPath rules on top of the generic one", ("K8S-008", "K8S-009", "K8S-093", "K8S-094"),
        "Every hostPath is a baseline finding; runtime sockets (every location) and sensitive paths (node root, "
        "/proc/<pid>/root, credentials, /var/log, programs, cgroups) get their own, more severe rules.",
        "kubescape and Checkov have one hostPath control plus a docker.sock check at one or two paths.",
        "A socket or the node's root is a node takeover; /etc/localtime is not.",
    ),
    Difference(
        "RBAC read as the API server reads it", ("K8S-050", "K8S-056", "K8S-057", "K8S-058", "K8S-096"),
        "Resources match only `*`, the exact name or `*/<subresource>`; `pods/*` grants nothing. Aggregated "
        "ClusterRoles are judged through the roles they aggregate; built-in `rbac-defaults` roles of cluster "
        "dumps are skipped; a `User` named `system:serviceaccount:<ns>:<name>` is that service account.",
        "Scanners that match role text report `pods/*` as a wildcard, the empty rules of aggregated roles, and "
        "the API server's own roles in dumps.",
        "Findings must describe what the cluster grants, not how the text looks.",
    ),
    Difference(
        "Workload privilege follows the bindings in the set", ("K8S-096",),
        "A workload is reported when its service account is bound, in the same set, to a powerful role "
        "(including cluster-wide pod creation).",
        "kubescape relates workloads and roles through a live cluster; the file-based scanners do not relate "
        "them at all.",
        "The pod's token is the attacker's first credential after a code execution.",
    ),
    Difference(
        "Cross-object rules stay within a set", ("K8S-065", "K8S-066", "K8S-087", "K8S-153", "K8S-154"),
        "Objects are related only within one set (a folder, a file or a stream); references to missing objects "
        "are only judged when the referring file manages that kind in the namespace.",
        "kube-linter relates every object of a run, so ten copies of one bundle in ten folders see each other.",
        "Repositories hold many independent bundles and samples; relating them produces false matches.",
    ),
    Difference(
        "Namespace findings once per namespace", ("K8S-066", "K8S-067", "K8S-082", "K8S-083"),
        "A namespace without default-deny policies, LimitRange or ResourceQuota is one finding (its workloads "
        "count as failing in coverage).",
        "kubescape reports such controls per workload.",
        "One fix (one object) closes it; per-workload findings inflate the list.",
    ),
    Difference(
        "Cluster dumps: controllers, not their pods", ("K8S-001", "K8S-079"),
        "Pods and ReplicaSets whose owning controller is in the set are judged through the controller.",
        "Scanners run on a dump report the Deployment, its ReplicaSets and every Pod.",
        "The fix is made once, in the controller's template.",
    ),
    Difference(
        "Secrets are never shown", ("K8S-090", "K8S-091", "K8S-095"),
        "Findings about credentials show a redacted prefix and the length, never the value; names such as "
        "`DB_PASSWORD_FILE` or `TOKEN_TTL` and references (`$(VAR)`, `${VAR}`) are not credentials.",
        "Checkov prints the failing code block, values included.",
        "Reports are shared widely (CI logs, SARIF uploads, the web service).",
    ),
    Difference(
        "Pod Security Admission defaults are not guessed", ("K8S-140", "K8S-143"),
        "A namespace without Pod Security labels is reported; a cluster-wide default in the API server's "
        "AdmissionConfiguration cannot be seen in manifests.",
        "Polaris and kube-score do not check namespace labels.",
        "The labels are the per-namespace evidence in the manifests; where an AdmissionConfiguration default "
        "enforces a level, disable K8S-140 and K8S-143.",
    ),
    Difference(
        "Allow-lists are not evaluated without a list", ("K8S-077", "DKR-053"),
        "With no `trusted_registries` (or `dockerfile.trusted_registries`) configured the registry rules do not "
        "run: the scan lists them under `not_evaluated` and no workload or Dockerfile counts as passing. The "
        "Dockerfile rule also judges images named by `COPY --from` and `RUN --mount=from`.",
        "hadolint DL3026 passes every image when `trustedRegistries` is empty, reads FROM lines only and "
        "compares registry hosts (no repository prefixes such as `ghcr.io/example-org/`).",
        "An allow-list nobody wrote is not evidence that images come from trusted registries.",
    ),
    Difference(
        "Package caches judged where they ship", ("DKR-019", "DKR-021", "DKR-022", "DKR-023", "DKR-058"),
        "Cache rules look only at the final stage and the stages it builds on; a RUN with a cache or tmpfs "
        "mount on the cache folder passes; upgrades, reinstalls and index updates fill caches too; the clean-up "
        "must come after the last of them in the same RUN.",
        "hadolint is stage-aware for DL3009 and DL3060, but its yum, zypper and dnf rules (DL3032, DL3036, "
        "DL3040) apply to every stage; Trivy checks every stage; both accept a clean-up anywhere in the RUN.",
        "A builder stage's cache never reaches the image; a clean-up before the install leaves the cache behind.",
    ),
    Difference(
        "Pinning read in each package manager's syntax", ("DKR-029", "DKR-031", "DKR-032", "DKR-033", "DKR-035"),
        "Option values (`-t bookworm-backports`, `--setopt x`, `--virtual .deps`) are not packages; epochs "
        "(`1:3.0.14-1`) pin; a constraints file pins the names installed with it; aliases (`dnf in`, `gem i`, "
        "`npm isntall`) install; pipenv is not pip but pipx installs are judged; git dependencies need a tag or "
        "commit, not a branch; `go run module@latest` is unpinned.",
        "hadolint DL3013 counts ranges (`>=1.0`, `~=1.2`) as pins, and any `@` in a VCS URL (a branch, or the "
        "`git@` of an ssh URL) as a ref.",
        "A range or a branch still installs whatever is newest at build time; a finding must name a package "
        "that really floats, and a missed alias is an unpinned install nobody sees.",
    ),
    Difference(
        "Verification settings found wherever the build makes them", ("DKR-015", "DKR-018"),
        "TLS and signature checks turned off are found in flags, tool configuration commands, ENV/ARG, "
        "assignments in front of a command or through `export`, and configuration text written by echo, sed or "
        "a COPY heredoc (`sslverify=0`, `gpgcheck=0` in a repo file). Local `file:` apt repositories of packages "
        "the build made itself may be `[trusted=yes]`.",
        "Checkov spreads these over one check per spelling (CKV2_DOCKER_2 to CKV2_DOCKER_18) matched by "
        "regular expressions on the RUN text; hadolint has no such check.",
        "One switch turned off in any of these ways has the same effect: unverified code in the image.",
    ),
    Difference(
        "pipefail only where a download is piped", ("DKR-056",),
        "A RUN without pipefail is reported only when curl, wget or fetch output is piped into another command "
        "(pipes into a shell are DKR-014's); PowerShell and cmd SHELLs are exempt.",
        "hadolint DL4006 and Trivy DS032 report every RUN with a pipe.",
        "For `grep`, `sort` or `sha256sum -c` the last command's status is the one that matters; a failed "
        "download that the next command swallows is what puts an empty or partial artifact in the image.",
    ),
    Difference(
        "Whole-stage copies by source, not destination", ("DKR-054",),
        "`COPY --from` of a stage's or image's root (`/`, `/.`, `.`) is reported whatever the destination; a "
        "source stage built `FROM scratch` passes.",
        "hadolint DL3067 reports only `/` copied to `/`, whatever the source stage is built from.",
        "Copying a builder's root to `/rootfs` ships the same compilers and secrets; a scratch stage holds only "
        "what the build put there.",
    ),
    Difference(
        "Whole build context copied only without .dockerignore", ("DKR-046",),
        "`COPY .` is reported when no `.dockerignore` sits next to the Dockerfile.",
        "hadolint DL4007 reports every `COPY .`.",
        "A .dockerignore decides what `.` contains; with one the copy is the project's normal layout.",
    ),
    Difference(
        "Control-plane flags judged at their defaults", ("K8S-100", "K8S-104", "K8S-118", "K8S-119"),
        "A control-plane flag that is not written is judged at the component's default (`--anonymous-auth` true, "
        "`--profiling` true, `--bind-address` 0.0.0.0).",
        "kube-bench reads the running process's flags; the manifest scanners do not check static pods.",
        "Static pod manifests and dumps are the same evidence kube-bench reads, before the cluster runs.",
    ),
)
"""Every deliberate difference, in the order the docs show them."""


def differences_markdown(names: dict[str, str]) -> str:
    """The "How cnsmm differs from other scanners" section of docs/rules.md (``names``: rule id to
    rule name, for the links to each rule's page)."""
    out = [
        "## How cnsmm differs from other scanners",
        "",
        "Results that differ from kubescape, Polaris, Checkov, kube-linter or kube-score (Kubernetes) or from "
        "hadolint, Checkov or Trivy (Dockerfiles) for these reasons are intended.",
        "",
    ]
    for d in DIFFERENCES:
        rules = ", ".join(f"[{r}](#{r.lower()}-{names[r]})" if r in names else r for r in d.rules)
        out += [f"### {d.topic}", "", f"- cnsmm ({rules}): {d.cnsmm}", f"- Others: {d.others}", f"- Why: {d.why}", ""]
    return "\n".join(out)
