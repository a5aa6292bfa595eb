"""Severities cnsmm assigns where a tool gives none (open-source Checkov, among others).

Checkov's open-source reports carry ``"severity": null``: every check would otherwise get the
same level. The level is read from what the check is about, in this order:

1. its check class (``checkov.kubernetes.checks.resource.k8s.PrivilegedContainers``) or name
   matched against :data:`TOPICS`, first match wins (the words are the ones Checkov uses);
2. else its framework: secrets are high, everything else medium.

A finding so graded keeps no tool severity (``tool_severity`` is empty), which is how the
tracker, the API and the pages tell "severity assigned by cnsmm". Projects override single
checks (``cnsmm import --assign-severity CKV_K8S_21=low``; see docs/tracking.md).
"""

from __future__ import annotations

import re

from cnsmm.findings import Severity

TOPICS: tuple[tuple[Severity, str, tuple[str, ...]], ...] = (
    (Severity.HIGH, "runs privileged or with host access", (
        "privileged", "privilege escalation", "allowprivilegeescalation", "host process", "host pid", "hostpid",
        "host ipc", "hostipc", "host network", "hostnetwork", "host path", "hostpath", "docker daemon socket",
        "docker socket", "sys_admin", "sysadmin", "cap_sys_admin",
    )),
    (Severity.HIGH, "grants broad access", (
        "wildcard", "cluster-admin", "clusteradmin", "escalate", "impersonate", "bind permission",
        "anonymous", "insecure port", "insecure-port", "always admit", "alwaysallow", "always allow",
        "basic auth", "token auth", "tiller", "dashboard",
    )),
    (Severity.MEDIUM, "weakens workload hardening", (
        "root", "high uid", "capabilit", "net_raw", "netraw", "seccomp", "apparmor", "selinux",
        "read-only", "readonly", "read only", "service account", "serviceaccount", "automount",
        "security context", "securitycontext", "network polic", "networkpolic", "tls", "encrypt", "audit",
        "user for the container", "as files", "environment variable",
    )),
    (Severity.HIGH, "exposes a secret", ("secret", "private key", "password", "credential")),
    (Severity.LOW, "image and namespace hygiene", (
        "image tag", "latest", "digest", "pull policy", "imagepullpolicy", "default namespace",
        "healthcheck", "health check", "apt-get", "update instruction", "label",
    )),
    (Severity.LOW, "resources and probes", (
        "liveness", "readiness", "probe", "cpu request", "cpu limit", "memory request", "memory limit",
        "requests", "limits",
    )),
)
"""(severity, topic, words): a check whose class or name holds one of the words (any letter
case) gets the severity."""

_WORDS = tuple((sev, topic, tuple(w.lower() for w in words)) for sev, topic, words in TOPICS)


def _split_camel(name: str) -> str:
    """``RootContainersHighUID`` -> ``root containers high uid``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", name).lower()


def assign(check_id: str, name: str | None, check_class: str | None, framework: str | None) -> tuple[Severity, str]:
    """The severity of a check its tool did not grade, and why (the topic matched)."""
    texts = [_split_camel((check_class or "").rsplit(".", 1)[-1]), (name or "").lower()]
    for sev, topic, words in _WORDS:
        for text in texts:
            if text and any(w in text for w in words):
                return sev, topic
    if (framework or "").lower() == "secrets" or check_id.upper().startswith("CKV_SECRET"):
        return Severity.HIGH, "exposes a secret"
    return Severity.MEDIUM, "no topic matched"
