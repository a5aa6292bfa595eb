"""TLS verification switched off in pipeline jobs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from cnsmm.findings import Severity
from cnsmm.kube.values import truthy
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.ci._common import BUILD_SYSTEMS, GITLAB_SECURITY, command_lines
from cnsmm.sources.pipelines.model import Pipeline

_ENV_OFF: dict[str, str] = {
    "GIT_SSL_NO_VERIFY": "true",
    "DOCKER_TLS_VERIFY": "false",
    "NODE_TLS_REJECT_UNAUTHORIZED": "false",
    "PYTHONHTTPSVERIFY": "false",
    "NPM_CONFIG_STRICT_SSL": "false",
    "GIT_SSL_VERIFY": "false",
    "CURL_INSECURE": "true",
    "HELM_INSECURE_SKIP_TLS_VERIFY": "true",
}
"""Variable -> the truth value that disables verification."""

_COMMAND_OFF = re.compile(
    r"\bcurl\b[^|;&]*\s(-k|--insecure|-[a-zA-Z]*k[a-zA-Z]*)(\s|$)"
    r"|\bwget\b[^|;&]*\s--no-check-certificate\b"
    r"|\bhttp\.sslVerify(=|\s+)[\"']?false\b|\bsslVerify\s*[:=]?\s*false\b"
    r"|\bstrict-ssl\s+false\b|--strict-ssl[= ]false\b"
    r"|--tls-verify[= ]false\b|--insecure-skip-tls-verify\b|--skip-tls-verify(-pull)?\b"
    r"|\b(pip3?|python3?\s+-m\s+pip)\b[^|;&]*--trusted-host\b"
    r"|\b(GIT_SSL_NO_VERIFY|NODE_TLS_REJECT_UNAUTHORIZED|PYTHONHTTPSVERIFY)=[\"']?(1|true|0)\b"
    r"|\b(helm|kubectl|oras|crane|skopeo|regctl|argocd)\b[^|;&]*\s--insecure(\s|$)",
    re.IGNORECASE,
)


def _disables(key: str, value: Any) -> bool:
    want = _ENV_OFF.get(key)
    if want is None:
        return False
    if key == "DOCKER_TLS_VERIFY" and isinstance(value, str) and value.strip() == "":
        return True
    return truthy(value) if want == "true" else (value is not None and not truthy(value))


def _variable_scopes(p: Pipeline) -> Iterator[tuple[str, dict[str, Any], dict[str, int]]]:
    yield "the pipeline", p.env, p.env_line
    for job in p.jobs:
        raw = job.raw if isinstance(job.raw, dict) else {}
        for key in ("variables", "env"):
            value = raw.get(key)
            if isinstance(value, dict) and job.id != "default":
                yield f'job "{job.id}"', dict(value), getattr(value, "key_lines", {})
        for step in job.steps:
            if step.env is not p.env:
                yield f'a step of job "{job.id}"', step.env, step.env_line


@rule(
    RuleMeta(
        id="CI-010",
        name="job-tls-verification-disabled",
        title="TLS certificate verification disabled in a job",
        severity=Severity.HIGH,
        scope=Scope.PIPELINE,
        targets=BUILD_SYSTEMS,
        requirements=("DEV.DEV.L2.1",),
        what=(
            'Flags variables that turn verification off (`GIT_SSL_NO_VERIFY`, `DOCKER_TLS_VERIFY: "0"`, '
            '`NODE_TLS_REJECT_UNAUTHORIZED: "0"`, `PYTHONHTTPSVERIFY: "0"`, `NPM_CONFIG_STRICT_SSL: '
            "false`...) and commands that do (`curl -k/--insecure`, `wget --no-check-certificate`, "
            "`git -c http.sslVerify=false`, `npm config set strict-ssl false`, `pip --trusted-host`, "
            "`--tls-verify=false`, `--insecure-skip-tls-verify`, `--skip-tls-verify`, `helm/oras/crane "
            "--insecure`)."
        ),
        why=(
            "Without certificate checks anyone on the network path - a proxy, a compromised runner "
            "network, a DNS hijack - can serve the job modified sources, packages or images, or read "
            "the credentials it sends."
        ),
        fix=(
            "Keep verification on and give the job the CA certificate it needs "
            "(`CI_SERVER_TLS_CA_FILE`, `SSL_CERT_FILE`, `--cacert`)."
        ),
        bad=(
            'variables:\n  GIT_SSL_NO_VERIFY: "true"\nscript:\n  - curl -k '
            'https://artifacts.internal/tool.tgz -o tool.tgz'
        ),
        good=(
            "script:\n  - curl --cacert /etc/ssl/internal-ca.pem "
            "https://artifacts.internal/tool.tgz -o tool.tgz"
        ),
        references=(GITLAB_SECURITY, "CWE-295", "OWASP Top 10 CI/CD Security Risks: CICD-SEC-9"),
    )
)
def tls_verification_disabled(p: Pipeline, ctx: RuleContext) -> Iterator[Hit]:
    seen: set[int] = set()
    for where, env, lines in _variable_scopes(p):
        for key, value in env.items():
            line = lines.get(key, 1)
            if _disables(str(key), value) and line not in seen:
                seen.add(line)
                yield Hit(f"{key}={value} disables TLS verification for {where}", line=line)
    for job in p.jobs:
        for step in job.steps:
            for line, text in command_lines(p, step):
                m = _COMMAND_OFF.search(text)
                if m and line not in seen:
                    seen.add(line)
                    yield Hit(
                        f'job "{job.id}" disables TLS verification: {m.group(0).strip()[:80]}', line=line
                    )
