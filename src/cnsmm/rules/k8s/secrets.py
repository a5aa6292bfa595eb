"""Secrets in manifests: literal credentials in env and ConfigMaps, Secret values committed in
clear, and secrets handed to containers as environment variables.

Messages never include a secret: only a redacted prefix and the length (see
:mod:`.secrets_patterns`).
"""

from __future__ import annotations

from collections.abc import Iterator

from cnsmm.findings import Severity
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s._common import NSA, WORKLOADS, where
from cnsmm.rules.k8s.secrets_patterns import credential_key, redact, secret_reason, secrets_in_text
from cnsmm.sources.k8s import Container, K8sObject
from cnsmm.sources.yamlload import YMap

NSA_SECRETS = f"{NSA}: Network separation and hardening - Secrets"
SECRET_REQUIREMENTS = ("PLT.ORC.L2.3", "PLT.ORC.L3.2")
"""敏感信息加密; 敏感信息托管保护."""


@rule(RuleMeta(
    id="K8S-090",
    name="secret-literal-in-env",
    title="Literal credential in a container environment variable",
    severity=Severity.HIGH,
    scope=Scope.CONTAINER,
    targets=WORKLOADS,
    requirements=SECRET_REQUIREMENTS,
    what=(
        "Flags `env[].value` entries whose value looks like a credential (AWS key id, GitHub/Slack/"
        "Google/Stripe token, private key, JWT, URL with a password, long high-entropy string) or "
        "whose name says it is one (PASSWORD, TOKEN, SECRET, API_KEY, PRIVATE_KEY...) while the "
        "value is a literal rather than a `$(VAR)` reference, placeholder, path, URL or number."
    ),
    why=(
        "A credential in a manifest is readable by everyone with access to the repository, its "
        "history, CI logs and every `kubectl get -o yaml`; it cannot be rotated without a commit "
        "and usually outlives the people who knew it."
    ),
    fix=(
        "Move the value into a Secret (managed by an external secret store or sealed) and reference "
        "it, preferably as a mounted file; rotate the exposed credential."
    ),
    bad="env:\n- name: DB_PASSWORD\n  value: hunter22",
    good="volumeMounts:\n- {name: db, mountPath: /var/run/secrets/db, readOnly: true}",
    references=("CIS Kubernetes 5.4.1", "CIS Kubernetes 5.4.2", NSA_SECRETS, "CWE-798", "CWE-312"),
))
def secret_literal_in_env(c: Container, ctx: RuleContext) -> Iterator[Hit]:
    env = c.get("env")
    if not isinstance(env, list):
        return
    for i, item in enumerate(env):
        if not isinstance(item, dict) or "value" not in item:
            continue
        name, value = str(item.get("name") or "?"), item.get("value")
        reason = secret_reason(name, value)
        if reason is not None and isinstance(value, str):
            yield Hit(f"{where(c)} sets {name} to {redact(value)}: {reason}", (*c.path, "env", i, "value"))


@rule(RuleMeta(
    id="K8S-091",
    name="secret-literal-in-configmap",
    title="Literal credential in a ConfigMap",
    severity=Severity.HIGH,
    scope=Scope.OBJECT,
    targets=("ConfigMap",),
    requirements=SECRET_REQUIREMENTS,
    what=(
        "Flags ConfigMap `data` entries whose key names a credential and whose value is a literal, "
        "values shaped like credentials, and, inside embedded files, lines containing a credential "
        "shape or assigning a literal to a key such as `password` or `api_key`."
    ),
    why=(
        "ConfigMaps are not secret: they are readable with `configmaps` read access (granted far "
        "more widely than secrets read), shown in dashboards and stored in clear in the repository."
    ),
    fix="Move the credential into a Secret (or an external secret store) and reference it from the configuration.",
    bad="kind: ConfigMap\ndata:\n  application.properties: |\n    spring.datasource.password=s3cr3t-pass",
    good="kind: ConfigMap\ndata:\n  application.properties: |\n    spring.datasource.password=${DB_PASSWORD}",
    references=("CIS Kubernetes 5.4.2", NSA_SECRETS, "CWE-798", "CWE-312"),
))
def secret_literal_in_configmap(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    data = obj.get("data")
    if not isinstance(data, YMap):
        return
    for key, value in data.items():
        if not isinstance(value, str):
            continue
        if "\n" not in value.strip():
            reason = secret_reason(str(key), value)
            if reason is not None:
                yield Hit(f'ConfigMap "{obj.name}" key {key} holds {redact(value)}: {reason}', ("data", key))
            continue
        first = data.key_lines.get(key, data.line) + 1
        for offset, reason in secrets_in_text(value):
            yield Hit(f'ConfigMap "{obj.name}" file {key}, line {offset + 1}: {reason}', line=first + offset)


@rule(RuleMeta(
    id="K8S-092",
    name="secret-in-env-var",
    title="Secret exposed as environment variables",
    severity=Severity.LOW,
    scope=Scope.CONTAINER,
    targets=WORKLOADS,
    requirements=SECRET_REQUIREMENTS,
    what=(
        "Flags containers that read Secrets into environment variables (`env[].valueFrom.secretKeyRef` "
        "or `envFrom[].secretRef`); reported once per container, at the first such entry."
    ),
    why=(
        "Environment variables leak: they are inherited by every child process, printed by crash "
        "handlers and debug endpoints, visible in /proc, and never updated when the Secret rotates. "
        "Mounted files can be read-only, scoped and refreshed."
    ),
    fix="Mount the Secret as a volume (read-only) and have the application read the file.",
    bad="env:\n- name: DB_PASSWORD\n  valueFrom:\n    secretKeyRef: {name: db, key: password}",
    good="volumes:\n- name: db\n  secret: {secretName: db}",
    references=("CIS Kubernetes 5.4.1", NSA_SECRETS, "CWE-526"),
))
def secret_in_env_var(c: Container, ctx: RuleContext) -> Iterator[Hit]:
    found: list[tuple[str, tuple[object, ...]]] = []
    env = c.get("env")
    for i, item in enumerate(env if isinstance(env, list) else []):
        value_from = item.get("valueFrom") if isinstance(item, dict) else None
        if isinstance(value_from, dict) and isinstance(value_from.get("secretKeyRef"), dict):
            found.append((str(item.get("name") or "?"), (*c.path, "env", i, "valueFrom", "secretKeyRef")))
    env_from = c.get("envFrom")
    for i, item in enumerate(env_from if isinstance(env_from, list) else []):
        if isinstance(item, dict) and isinstance(item.get("secretRef"), dict):
            secret = item["secretRef"].get("name") or "?"
            found.append((f"every key of Secret {secret}", (*c.path, "envFrom", i, "secretRef")))
    if found:
        names = ", ".join(n for n, _ in found[:4]) + (" ..." if len(found) > 4 else "")
        yield Hit(f"{where(c)} reads secrets into environment variables ({names})", found[0][1])


@rule(RuleMeta(
    id="K8S-095",
    name="secret-values-in-manifest",
    title="Secret values committed in the manifest",
    severity=Severity.MEDIUM,
    scope=Scope.OBJECT,
    targets=("Secret",),
    requirements=SECRET_REQUIREMENTS,
    what=(
        "Flags Secret objects that carry values: `stringData` (plain text) or non-empty `data` "
        "(base64, which is an encoding, not encryption) under keys that may hold a credential (keys "
        "such as `url`, `username` or `type` alone do not count). Service account token Secrets, "
        "whose data the control plane fills, are skipped."
    ),
    why=(
        "A Secret manifest with values puts the credential in the repository, its history and every "
        "clone; anyone who can read the code can read the secret."
    ),
    fix=(
        "Keep the values out of the repository: use Sealed Secrets, SOPS, or an External Secrets / "
        "Vault integration, and rotate the committed credential."
    ),
    bad="kind: Secret\nstringData:\n  password: hunter22",
    good="kind: SealedSecret\nspec:\n  encryptedData:\n    password: AgBy3i4OJSWK...",
    references=("CIS Kubernetes 5.4.2", NSA_SECRETS, "CWE-312", "CWE-798"),
))
def secret_values_in_manifest(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    if obj.group != "" or obj.get("type") == "kubernetes.io/service-account-token":
        return
    for field, how in (("stringData", "in plain text"), ("data", "base64-encoded (not encrypted)")):
        values = obj.get(field)
        if not isinstance(values, dict):
            continue
        keys = [
            str(k) for k, v in values.items()
            if isinstance(v, str) and v.strip() and "{{" not in v and credential_key(str(k))
        ]
        if keys:
            shown = ", ".join(keys[:4]) + (" ..." if len(keys) > 4 else "")
            yield Hit(f'Secret "{obj.name}" holds {len(keys)} value(s) {how} in {field} ({shown})', (field,))
