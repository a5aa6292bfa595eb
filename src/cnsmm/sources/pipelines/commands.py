"""Security tools recognised in shell commands (``run:``, ``script:``, ``sh``).

A command text is cut into logical lines (backslash continuations joined, comments dropped),
then into simple commands at ``&&``, ``||``, ``;`` and ``|``. Each simple command is read as
*program + arguments* after dropping wrappers (``sudo``, ``env``, ``VAR=x``, ``npx``,
``python -m``, ``go run``, ``docker run IMAGE`` ...). Only the program position counts, so
``pip install semgrep`` or ``echo "run trivy"`` are not activities.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from cnsmm.sources.pipelines.images import image_tool
from cnsmm.sources.pipelines.shell import SOFT_FLAG, logical_lines, program, segments, tokens
from cnsmm.vocab import PipelineCategory


@dataclass(frozen=True, slots=True)
class Detection:
    """A security activity recognised in one place."""

    category: PipelineCategory
    tool: str
    soft: str | None = None
    """Why findings do not fail the step, when they do not."""
    explicit: bool = False
    """True when ``soft`` comes from a setting written in the pipeline (not a tool default)."""


Classifier = Callable[[list[str], str], list[Detection]]


def _d(category: PipelineCategory, tool: str, soft: str | None = None) -> list[Detection]:
    return [Detection(category, tool, soft)]


def _unless(args_text: str, pattern: str, default_reason: str) -> str | None:
    return None if re.search(pattern, args_text) else default_reason


_TRIVY_SUBCOMMANDS = frozenset(
    {
        "image",
        "i",
        "filesystem",
        "fs",
        "rootfs",
        "repository",
        "repo",
        "config",
        "conf",
        "kubernetes",
        "k8s",
        "vm",
        "sbom",
    }
)


def _trivy(args: list[str], text: str) -> list[Detection]:
    sub = next((a for a in args if a in _TRIVY_SUBCOMMANDS), None)
    sub = sub or next((a for a in args if not a.startswith("-")), "image")
    soft = _unless(text, r"--exit-code[= ]+[1-9]", "trivy exits 0 on findings unless --exit-code is set")
    if re.search(r"--format[= ]+(cyclonedx|spdx|spdx-json)\b|-f[= ]+(cyclonedx|spdx)", text):
        return _d(PipelineCategory.SBOM, "Trivy")
    category = {
        "image": PipelineCategory.IMAGE_SCAN,
        "i": PipelineCategory.IMAGE_SCAN,
        "config": PipelineCategory.IAC_SCAN,
        "conf": PipelineCategory.IAC_SCAN,
        "k8s": PipelineCategory.IAC_SCAN,
        "kubernetes": PipelineCategory.IAC_SCAN,
    }.get(sub, PipelineCategory.SCA)
    out = [Detection(category, "Trivy", soft)]
    if category != PipelineCategory.IAC_SCAN and re.search(r"--scanners[= ]+\S*secret", text):
        out.append(Detection(PipelineCategory.SECRET_SCAN, "Trivy", soft))
    if sub in ("fs", "filesystem", "rootfs", "repo", "repository") and re.search(r"--scanners[= ]+\S*misconfig", text):
        out.append(Detection(PipelineCategory.IAC_SCAN, "Trivy", soft))
    return out


def _grype(args: list[str], text: str) -> list[Detection]:
    target = next((a for a in args if not a.startswith("-")), "")
    soft = _unless(text, r"--fail-on[= ]+\w|(^|\s)-f[= ]+\w", "grype exits 0 on findings unless --fail-on is set")
    local = target in (".", "") or target.startswith(("dir:", "file:", "sbom:", "./", "/")) or target.endswith(".json")
    return _d(PipelineCategory.SCA if local else PipelineCategory.IMAGE_SCAN, "Grype", soft)


def _snyk(args: list[str], text: str) -> list[Detection]:
    sub = [a for a in args if not a.startswith("-")][:2]
    if sub[:1] == ["container"]:
        return _d(PipelineCategory.IMAGE_SCAN, "Snyk")
    if sub[:1] == ["iac"]:
        return _d(PipelineCategory.IAC_SCAN, "Snyk")
    if sub[:1] == ["code"]:
        return _d(PipelineCategory.SAST, "Snyk")
    if sub[:1] in (["test"], ["monitor"]):
        return _d(PipelineCategory.SCA, "Snyk", "snyk monitor only records a snapshot" if sub[0] == "monitor" else None)
    return []


def _semgrep(args: list[str], text: str) -> list[Detection]:
    if args[:1] == ["ci"] or ((args[:1] == ["scan"] or not args or args[0].startswith("-")) and "--error" in text):
        return _d(PipelineCategory.SAST, "Semgrep")
    if args[:1] in (["login"], ["install-semgrep-pro"], ["--version"], ["logout"]):
        return []
    return _d(PipelineCategory.SAST, "Semgrep", "semgrep scan exits 0 on findings unless --error is set")


def _docker(args: list[str], text: str) -> list[Detection]:
    sub = [a for a in args if not a.startswith("-")][:2]
    if sub[:2] in (["scout", "cves"], ["scout", "quickview"], ["scout", "recommendations"]):
        return _d(
            PipelineCategory.IMAGE_SCAN,
            "Docker Scout",
            _unless(text, r"--exit-code\b(?![= ]0)", "docker scout exits 0 unless --exit-code is set"),
        )
    if sub[:2] == ["scout", "sbom"] or sub[:1] == ["sbom"]:
        return _d(PipelineCategory.SBOM, "docker sbom" if sub[:1] == ["sbom"] else "Docker Scout")
    return []


def _by_sub(table: dict[str, tuple[PipelineCategory, str]]) -> Classifier:
    def classify(args: list[str], text: str) -> list[Detection]:
        sub = next((a for a in args if not a.startswith("-")), "")
        hit = table.get(sub)
        return _d(*hit) if hit else []

    return classify


def _fixed(
    category: PipelineCategory,
    tool: str,
    soft: str | None = None,
    skip: tuple[str, ...] = ("--version", "version", "--help", "help", "install", "update"),
) -> Classifier:
    def classify(args: list[str], text: str) -> list[Detection]:
        if args[:1] and args[0] in skip:
            return []
        return _d(category, tool, soft)

    return classify


def _maybe(
    pattern: str, category: PipelineCategory, tool: str, soft_unless: tuple[str, str] | None = None
) -> Classifier:
    def classify(args: list[str], text: str) -> list[Detection]:
        if not re.search(pattern, text):
            return []
        soft = _unless(text, *soft_unless) if soft_unless else None
        return _d(category, tool, soft)

    return classify


def _build_tools(args: list[str], text: str) -> list[Detection]:
    out: list[Detection] = []
    if re.search(r"dependency-check(-maven)?:(check|aggregate)|dependencyCheck(Analyze|Aggregate)", text):
        out += _d(
            PipelineCategory.SCA,
            "OWASP Dependency-Check",
            _unless(text, r"failBuildOnCVSS|failOnCVSS", "Dependency-Check passes unless failBuildOnCVSS is set"),
        )
    if re.search(r"\bsonar(:sonar|qube)?\b|sonar-maven-plugin", text):
        out += _d(
            PipelineCategory.SAST,
            "SonarQube",
            _unless(text, r"sonar\.qualitygate\.wait=true", "the scan does not wait for the quality gate"),
        )
    if re.search(r"spotbugs:check|spotbugs(Main|Test)|findsecbugs", text, re.IGNORECASE):
        out += _d(PipelineCategory.SAST, "SpotBugs/find-sec-bugs")
    if re.search(r"cyclonedx(Bom|:make\w*Bom)|cyclonedx-maven-plugin", text, re.IGNORECASE):
        out += _d(PipelineCategory.SBOM, "CycloneDX")
    if re.search(r"\bjib(:build|:dockerBuild)?\b|\bjib\b", text) and not out:
        return []
    return out


def _pm_audit(args: list[str], text: str) -> list[Detection]:
    if args[:1] == ["audit"] or args[:2] == ["npm", "audit"]:
        return _d(PipelineCategory.SCA, "npm/yarn/pnpm audit")
    return []


def _cosign(args: list[str], text: str) -> list[Detection]:
    sub = next((a for a in args if not a.startswith("-")), "")
    if sub in ("sign", "sign-blob"):
        return _d(PipelineCategory.SIGNING, "cosign")
    if sub in ("attest", "attest-blob"):
        slsa = re.search(r"--type[= ]+\S*slsa", text)
        return _d(PipelineCategory.PROVENANCE if slsa else PipelineCategory.SIGNING, "cosign")
    return []


_SONAR_GATE = (r"sonar\.qualitygate\.wait=true", "the scan does not wait for the quality gate")
_SONAR_SCANNER = _maybe(r"", PipelineCategory.SAST, "SonarQube", _SONAR_GATE)

COMMANDS: dict[str, Classifier] = {
    "semgrep": _semgrep,
    "codeql": _maybe(r"\bdatabase\s+analyze\b", PipelineCategory.SAST, "CodeQL"),
    "bandit": _fixed(PipelineCategory.SAST, "Bandit"),
    "gosec": _fixed(PipelineCategory.SAST, "gosec"),
    "sonar-scanner": _SONAR_SCANNER,
    "sonar-scanner-cli": _SONAR_SCANNER,
    "brakeman": _fixed(PipelineCategory.SAST, "Brakeman"),
    "spotbugs": _fixed(PipelineCategory.SAST, "SpotBugs/find-sec-bugs"),
    "eslint": _maybe(r"security|no-unsanitized|sdl", PipelineCategory.SAST, "ESLint security plugin"),
    "trivy": _trivy,
    "grype": _grype,
    "osv-scanner": _fixed(PipelineCategory.SCA, "OSV-Scanner"),
    "pip-audit": _fixed(PipelineCategory.SCA, "pip-audit"),
    "safety": _by_sub({"check": (PipelineCategory.SCA, "safety"), "scan": (PipelineCategory.SCA, "safety")}),
    "npm": _pm_audit,
    "yarn": _pm_audit,
    "pnpm": _pm_audit,
    "bun": _pm_audit,
    "dependency-check": _fixed(PipelineCategory.SCA, "OWASP Dependency-Check"),
    "snyk": _snyk,
    "govulncheck": _fixed(PipelineCategory.SCA, "govulncheck"),
    "cargo": _maybe(r"^\s*audit\b|\saudit\b", PipelineCategory.SCA, "cargo audit"),
    "cargo-audit": _fixed(PipelineCategory.SCA, "cargo audit"),
    "bundle-audit": _fixed(PipelineCategory.SCA, "bundler-audit"),
    "mvn": _build_tools,
    "mvnw": _build_tools,
    "gradle": _build_tools,
    "gradlew": _build_tools,
    "docker": _docker,
    "clair-scanner": _fixed(PipelineCategory.IMAGE_SCAN, "Clair"),
    "clairctl": _fixed(PipelineCategory.IMAGE_SCAN, "Clair"),
    "anchorectl": _maybe(r"\bimage\s+(add|check|vulnerabilities)", PipelineCategory.IMAGE_SCAN, "Anchore"),
    "anchore-cli": _maybe(r"\bimage\s+(add|vuln|wait)", PipelineCategory.IMAGE_SCAN, "Anchore"),
    "checkov": _fixed(PipelineCategory.IAC_SCAN, "Checkov"),
    "kube-linter": _maybe(r"\blint\b", PipelineCategory.IAC_SCAN, "kube-linter"),
    "kubescape": _maybe(
        r"\bscan\b",
        PipelineCategory.IAC_SCAN,
        "kubescape",
        (r"--(severity|compliance|fail)-threshold", "kubescape exits 0 unless a threshold is set"),
    ),
    "kube-score": _maybe(r"\bscore\b", PipelineCategory.IAC_SCAN, "kube-score"),
    "tfsec": _fixed(PipelineCategory.IAC_SCAN, "tfsec"),
    "terrascan": _maybe(r"\bscan\b", PipelineCategory.IAC_SCAN, "terrascan"),
    "kics": _maybe(r"\bscan\b", PipelineCategory.IAC_SCAN, "KICS"),
    "hadolint": _fixed(PipelineCategory.IAC_SCAN, "hadolint"),
    "cnsmm": _maybe(r"^\s*scan\b|\sscan\b", PipelineCategory.IAC_SCAN, "cnsmm"),
    "conftest": _maybe(r"\btest\b", PipelineCategory.IAC_SCAN, "conftest"),
    "polaris": _maybe(r"\baudit\b", PipelineCategory.IAC_SCAN, "Polaris"),
    "gitleaks": _maybe(r"\b(detect|protect|git|dir|stdin)\b", PipelineCategory.SECRET_SCAN, "gitleaks"),
    "trufflehog": _maybe(
        r"\b(git|github|gitlab|filesystem|docker|s3)\b",
        PipelineCategory.SECRET_SCAN,
        "TruffleHog",
        (r"--fail\b", "trufflehog exits 0 on findings unless --fail is set"),
    ),
    "detect-secrets": _maybe(r"\b(scan|audit)\b", PipelineCategory.SECRET_SCAN, "detect-secrets"),
    "detect-secrets-hook": _fixed(PipelineCategory.SECRET_SCAN, "detect-secrets"),
    "ggshield": _maybe(r"\bsecret\s+scan\b", PipelineCategory.SECRET_SCAN, "GitGuardian"),
    "zap-baseline": _fixed(PipelineCategory.DAST, "OWASP ZAP"),
    "zap-full-scan": _fixed(PipelineCategory.DAST, "OWASP ZAP"),
    "zap-api-scan": _fixed(PipelineCategory.DAST, "OWASP ZAP"),
    "zap": _maybe(r"-cmd|-quickurl", PipelineCategory.DAST, "OWASP ZAP"),
    "nuclei": _fixed(PipelineCategory.DAST, "Nuclei", "nuclei exits 0 on findings"),
    "dastardly": _fixed(PipelineCategory.DAST, "Burp (Dastardly)"),
    "syft": _fixed(PipelineCategory.SBOM, "Syft"),
    "cdxgen": _fixed(PipelineCategory.SBOM, "CycloneDX"),
    "cyclonedx-npm": _fixed(PipelineCategory.SBOM, "CycloneDX"),
    "cyclonedx-py": _fixed(PipelineCategory.SBOM, "CycloneDX"),
    "cyclonedx-bom": _fixed(PipelineCategory.SBOM, "CycloneDX"),
    "cyclonedx-gomod": _fixed(PipelineCategory.SBOM, "CycloneDX"),
    "cyclonedx": _fixed(PipelineCategory.SBOM, "CycloneDX"),
    "cyclonedx-cli": _maybe(r"\b(add|merge)\b", PipelineCategory.SBOM, "CycloneDX"),
    "dotnet-cyclonedx": _fixed(PipelineCategory.SBOM, "CycloneDX"),
    "cosign": _cosign,
    "notation": _by_sub({"sign": (PipelineCategory.SIGNING, "notation")}),
    "sigstore": _by_sub({"sign": (PipelineCategory.SIGNING, "sigstore")}),
    "in-toto-run": _fixed(PipelineCategory.PROVENANCE, "in-toto"),
    "in-toto-record": _fixed(PipelineCategory.PROVENANCE, "in-toto"),
    "witness": _by_sub({"run": (PipelineCategory.PROVENANCE, "in-toto (witness)")}),
}
"""Program name -> classifier of its arguments."""


def classify_segment(segment: str) -> list[Detection]:
    """Detections of one simple command."""
    name, args = program(tokens(segment))
    if name in ("docker", "podman", "nerdctl") and args[:1] == ["run"]:
        for k, tok in enumerate(args[1:], start=1):
            found = image_tool(tok) if not tok.startswith("-") else None
            if found:
                rest = args[k + 1 :]
                inner, inner_args = program(rest) if rest else ("", [])
                classify = COMMANDS.get(inner)
                if classify:
                    return classify(inner_args, " ".join(inner_args))
                sub = COMMANDS.get(found[1].lower().split()[0])
                return sub(rest, " ".join(rest)) if sub else _d(*found)
        return []
    classify = COMMANDS.get(name)
    return classify(args, " ".join(args)) if classify else []


def detect(script: str) -> list[tuple[Detection, str]]:
    """Detections in a script, each with the simple command it came from (to find its line).

    An explicit soft-fail (``|| true``, ``--exit-code 0``, a ``set +e`` earlier in the
    script...) is folded into each detection.
    """
    out: list[tuple[Detection, str]] = []
    set_e_off = False
    for line in logical_lines(script):
        if re.match(r"^\s*set\s+\+e\b", line):
            set_e_off = True
        for seg, soft in segments(line):
            flag = SOFT_FLAG.search(" " + seg)
            explicit = soft or (flag.group(1).strip() if flag else None) or ("set +e" if set_e_off else None)
            for d in classify_segment(seg):
                out.append((Detection(d.category, d.tool, explicit, True) if explicit else d, seg))
    return out
