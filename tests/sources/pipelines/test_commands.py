"""Security tools recognised in shell commands."""

from __future__ import annotations

import pytest

from cnsmm.sources.pipelines.commands import detect
from cnsmm.sources.pipelines.shell import logical_lines, program, segments


def _found(script: str) -> list[tuple[str, str, str | None]]:
    return [(d.category, d.tool, d.soft if d.explicit else None) for d, _ in detect(script)]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("semgrep ci", [("sast", "Semgrep", None)]),
        ("python -m bandit -r src -ll", [("sast", "Bandit", None)]),
        ("go run golang.org/x/vuln/cmd/govulncheck@latest ./...", [("sca", "govulncheck", None)]),
        ("npx --yes @cyclonedx/cyclonedx-npm --output-file sbom.json", [("sbom", "CycloneDX", None)]),
        ("sudo -E env TRIVY_NO_PROGRESS=1 trivy config --exit-code 1 k8s/", [("iac-scan", "Trivy", None)]),
        ("trivy image --format cyclonedx -o sbom.json app:1", [("sbom", "Trivy", None)]),
        ("grype dir:. --fail-on high", [("sca", "Grype", None)]),
        ("grype registry.example.com/app:1.2 -f critical", [("image-scan", "Grype", None)]),
        ("snyk container test app:1", [("image-scan", "Snyk", None)]),
        ("snyk iac test infra/", [("iac-scan", "Snyk", None)]),
        ("docker scout cves --exit-code --only-severity critical app:1", [("image-scan", "Docker Scout", None)]),
        ("docker sbom app:1", [("sbom", "docker sbom", None)]),
        ("docker run --rm -v $PWD:/src returntocorp/semgrep semgrep scan --error", [("sast", "Semgrep", None)]),
        ("docker run --rm -v /var/run/docker.sock:/var/run/docker.sock aquasec/trivy:0.56.2 image --exit-code 1 app",
         [("image-scan", "Trivy", None)]),
        ("./mvnw -B org.owasp:dependency-check-maven:check -DfailBuildOnCVSS=7",
         [("sca", "OWASP Dependency-Check", None)]),
        ("cosign attest --type slsaprovenance --predicate prov.json app@sha256:abc", [("provenance", "cosign", None)]),
        ("zap-baseline.py -t https://staging.example.com -I", [("dast", "OWASP ZAP", "-I")]),
        ("checkov -d . --soft-fail", [("iac-scan", "Checkov", "--soft-fail")]),
        ("gosec -no-fail ./...", [("sast", "gosec", "-no-fail")]),
        ("npm audit --audit-level=high || echo 'audit failed'", [("sca", "npm/yarn/pnpm audit", "|| echo")]),
        ("cnsmm scan deploy/ --format sarif", [("iac-scan", "cnsmm", None)]),
        ("eslint --plugin security src/", [("sast", "ESLint security plugin", None)]),
        # installing, printing or mentioning a tool is not running it
        ("pip install semgrep bandit==1.7.9", []),
        ('echo "run trivy and grype later"', []),
        ("eslint src/", []),
        ("cosign verify app@sha256:abc", []),
        ("semgrep --version", []),
        ("# trivy image app", []),
    ],
)
def test_detect(script: str, expected: list[tuple[str, str, str | None]]) -> None:
    assert _found(script) == expected


def test_set_plus_e_makes_later_scans_non_blocking() -> None:
    script = "bandit -r src\nset +e\nsafety check\n"
    assert _found(script) == [("sast", "Bandit", None), ("sca", "safety", "set +e")]


def test_default_non_blocking_reasons_are_not_explicit() -> None:
    ((d, seg),) = detect("trivy fs .")
    assert d.soft is not None and "exit-code" in d.soft and not d.explicit and seg == "trivy fs ."


def test_shell_helpers() -> None:
    assert logical_lines("trivy image \\\n  --exit-code 1 \\\n  app  # scan\n\n# c\n") == [
        "trivy image    --exit-code 1    app"]
    assert segments("a && b || true; c | d") == [
        ("a", None), ("b", "|| true"), ("true", None), ("c", None), ("d", None)]
    assert program(["FOO=1", "sudo", "-E", "poetry", "run", "pip-audit", "--strict"]) == ("pip-audit", ["--strict"])
    assert program([]) == ("", [])


def test_hostile_command_text() -> None:
    for text in ("'unterminated", "$(" * 10_000, "|" * 50_000, "\x00\x01 trivy", "trivy " + "-x " * 20_000):
        detect(text)  # never raises
