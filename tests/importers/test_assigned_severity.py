"""Severities cnsmm assigns to checks that their tool does not grade (open-source Checkov)."""

from __future__ import annotations

import pytest

from cnsmm.findings import Severity
from cnsmm.importers.assigned_severity import assign


@pytest.mark.parametrize(
    ("check_id", "name", "check_class", "framework", "severity"),
    [
        ("CKV_K8S_16", "Container should not be privileged", "checkov.kubernetes.checks.resource.k8s."
         "PrivilegedContainers", "kubernetes", Severity.HIGH),
        ("CKV_K8S_19", "Containers should not share the host network namespace", "x.ShareHostNetwork",
         "kubernetes", Severity.HIGH),
        ("CKV_K8S_49", "Minimize wildcard use in Roles and ClusterRoles", "x.WildcardRoles", "kubernetes",
         Severity.HIGH),
        ("CKV_SECRET_6", "Base64 High Entropy String", "checkov.secrets.runner.SecretsRunner", "secrets",
         Severity.HIGH),
        ("CKV_K8S_40", "Containers should run as a high UID to avoid host conflict",
         "checkov.kubernetes.checks.resource.k8s.RootContainersHighUID", "kubernetes", Severity.MEDIUM),
        ("CKV_K8S_38", "Ensure that Service Account Tokens are only mounted where necessary",
         "x.ServiceAccountTokens", "kubernetes", Severity.MEDIUM),
        ("CKV_K8S_35", "Prefer using secrets as files over secrets as environment variables", "x.Secrets",
         "kubernetes", Severity.MEDIUM),
        ("CKV_K8S_21", "The default namespace should not be used", "x.DefaultNamespace", "kubernetes", Severity.LOW),
        ("CKV_K8S_8", "Liveness Probe Should be Configured", "x.LivenessProbe", "kubernetes", Severity.LOW),
        ("CKV_K8S_13", "Memory limits should be set", "x.MemoryLimits", "kubernetes", Severity.LOW),
        ("CKV_K8S_999", "Something new", "x.SomethingNew", "kubernetes", Severity.MEDIUM),
    ],
)
def test_assigned_levels_follow_what_the_check_is_about(
    check_id: str, name: str, check_class: str, framework: str, severity: Severity
) -> None:
    assert assign(check_id, name, check_class, framework)[0] is severity


def test_not_everything_is_one_level() -> None:
    names = ["Container should not be privileged", "The default namespace should not be used",
             "Containers should run as a high UID to avoid host conflict"]
    assert len({assign("CKV_X", n, None, "kubernetes")[0] for n in names}) == 3
