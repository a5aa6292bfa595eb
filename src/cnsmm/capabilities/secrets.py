"""Certificates and secrets management: cert-manager, Vault, External Secrets, Sealed
Secrets and the Secrets Store CSI driver."""

from __future__ import annotations

from cnsmm.capabilities.index import Index, Signature, evidence
from cnsmm.capabilities.model import MAX_EVIDENCE, CapabilityEvidence, Outcome
from cnsmm.capabilities.registry import detector, outcome
from cnsmm.capabilities.values import items, mapping, text, truthy
from cnsmm.sources.k8s import K8sObject

STORE = "PLT.ORC.L3.2"
THIRD_PARTY = "OPS.MGT.L4.6"
ENCRYPTED = "PLT.ORC.L2.3"
STORE_SUPPORTS = (
    (STORE, "Secrets are held by a managed secret store instead of plain Kubernetes Secrets in manifests."),
    (THIRD_PARTY, "Workloads obtain credentials from an external secret management system."),
)


def used_or_installed(name: str, zh: str, found: list[CapabilityEvidence], users: list[CapabilityEvidence],
                      what_en: str, what_zh: str) -> Outcome | None:
    """Effective when something consumes the component, partial when it is only installed."""
    if not found and not users:
        return None
    if users:
        return outcome(
            "effective",
            f"{name} is in use: {len(users)} {what_en}.",
            f"{zh} 已被使用:{len(users)} 个{what_zh}。",
            users + found,
        )
    return outcome(
        "partial",
        f"{name} is installed but nothing in this set uses it ({what_en}: none).",
        f"已安装 {zh},但本组对象中没有使用它的资源({what_zh}:无)。",
        found,
    )


CERT_MANAGER = Signature(
    images=("jetstack/cert-manager-controller", "jetstack/cert-manager-webhook", "jetstack/cert-manager-cainjector",
            "jetstack/cert-manager-acmesolver", "jetstack/cert-manager-startupapicheck"),
    labels=("cert-manager", "cainjector"),
    crd_groups=("cert-manager.io", "acme.cert-manager.io", "certmanager.k8s.io"),
)
CM_GROUPS = ("cert-manager.io", "certmanager.k8s.io")


@detector(
    id="cert-manager",
    name="cert-manager",
    category="certificates",
    supports=(
        ("APP.GEN.L2.3", "Issuers and Certificates provide and renew TLS certificates for north-south endpoints."),
        ("PLT.ORC.L2.4", "Certificates for webhooks and internal services secure component-to-component traffic."),
    ),
    how="Images quay.io/jetstack/cert-manager-*, app label cert-manager, cert-manager.io CRDs and resources.",
    conditions="An Issuer or ClusterIssuer and at least one Certificate (or an Ingress annotated with "
    "cert-manager.io/issuer or cluster-issuer); an install without them is partial.",
)
def cert_manager(ix: Index) -> Outcome | None:
    """cert-manager: issuers that issue certificates."""
    issuers = ix.kinds(("Issuer", "ClusterIssuer"), *CM_GROUPS)
    certs = ix.kind("Certificate", *CM_GROUPS)
    annotated = [i for i in ix.kind("Ingress", "networking.k8s.io", "extensions")
                 if any(str(k) in ("cert-manager.io/issuer", "cert-manager.io/cluster-issuer") for k in i.annotations)]
    found = ix.presence(CERT_MANAGER)
    if not found and not issuers and not certs:
        return None
    ev = [evidence(o, ("spec",), o.kind) for o in (issuers + certs)[:MAX_EVIDENCE]]
    ev += [evidence(i, ("metadata", "annotations"), "Ingress certificate from cert-manager") for i in annotated]
    issued = len(certs) + len(annotated)
    if issuers and issued:
        return outcome(
            "effective",
            f"cert-manager issues certificates: {len(issuers)} issuer(s), {issued} certificate(s).",
            f"cert-manager 正在签发证书:{len(issuers)} 个签发者,{issued} 个证书。",
            ev + found,
        )
    missing = "no Issuer or ClusterIssuer" if not issuers else "no Certificate uses the issuers"
    missing_zh = "没有 Issuer 或 ClusterIssuer" if not issuers else "没有使用这些签发者的证书"
    return outcome(
        "partial",
        f"cert-manager is present but {missing} in this set, so no certificate is shown to be managed.",
        f"发现 cert-manager,但本组对象中{missing_zh},无法证明有证书受其管理。",
        ev + found,
    )


VAULT = Signature(
    images=("hashicorp/vault", "vault", "hashicorp/vault-enterprise", "hashicorp/vault-k8s",
            "hashicorp/vault-secrets-operator", "hashicorp/vault-csi-provider", "bitnami/vault"),
    labels=("vault", "vault-agent-injector", "vault-secrets-operator"),
    crd_groups=("secrets.hashicorp.com",),
)


def template_annotations(obj: K8sObject, path: tuple[object, ...]) -> dict[object, object]:
    """Annotations of a pod template (or of the Pod itself)."""
    return mapping(obj.get(*path[:-1], "metadata", "annotations"))


@detector(
    id="vault",
    name="HashiCorp Vault",
    category="secrets-management",
    supports=(*STORE_SUPPORTS, (ENCRYPTED, "Vault keeps secrets encrypted at rest and in transit.")),
    how="Images hashicorp/vault, vault-k8s (agent injector), vault-secrets-operator, vault-csi-provider; "
    "labels; vault.hashicorp.com/agent-inject annotations; secrets.hashicorp.com resources.",
    conditions="Workloads consume Vault secrets (agent-inject annotation, Vault Secrets Operator resources, "
    "or a SecretProviderClass with provider vault); a server or injector alone is partial.",
)
def vault(ix: Index) -> Outcome | None:
    """Vault: counts when workloads read secrets from it."""
    users = [evidence(o, (*p.path[:-1], "metadata", "annotations"), "vault.hashicorp.com/agent-inject")
             for o, p in ix.pods if truthy(template_annotations(o, p.path).get("vault.hashicorp.com/agent-inject"))]
    users += [evidence(o, ("spec",), o.kind) for o in ix.in_groups("secrets.hashicorp.com")]
    users += [evidence(s, ("spec", "provider"), "SecretProviderClass provider vault")
              for s in ix.kind("SecretProviderClass", "secrets-store.csi.x-k8s.io")
              if text(s.get("spec", "provider")) == "vault"]
    return used_or_installed("Vault", "Vault", ix.presence(VAULT), users,
                             "workload(s) or resources read secrets from Vault", "读取 Vault 密钥的工作负载或资源")


ESO = Signature(
    images=("external-secrets/external-secrets",),
    labels=("external-secrets", "external-secrets-webhook", "external-secrets-cert-controller"),
    crd_groups=("external-secrets.io", "generators.external-secrets.io"),
)


@detector(
    id="external-secrets",
    name="External Secrets Operator",
    category="secrets-management",
    supports=STORE_SUPPORTS,
    how="Image ghcr.io/external-secrets/external-secrets, labels, external-secrets.io CRDs and resources.",
    conditions="A SecretStore or ClusterSecretStore and at least one ExternalSecret/ClusterExternalSecret.",
)
def external_secrets(ix: Index) -> Outcome | None:
    """External Secrets: stores with secrets synced from them."""
    stores = ix.kinds(("SecretStore", "ClusterSecretStore"), "external-secrets.io")
    secrets = ix.kinds(("ExternalSecret", "ClusterExternalSecret", "PushSecret"), "external-secrets.io")
    found = ix.presence(ESO) + [evidence(s, ("spec", "provider"), s.kind) for s in stores]
    synced = [evidence(s, ("spec",), s.kind) for s in secrets[:MAX_EVIDENCE]]
    if synced and not stores:
        return outcome(
            "partial",
            f"{len(synced)} ExternalSecret(s) found but no SecretStore or ClusterSecretStore in this set to read from.",
            f"发现 {len(synced)} 个 ExternalSecret,但本组对象中没有可供读取的 SecretStore 或 ClusterSecretStore。",
            synced + found,
        )
    return used_or_installed("External Secrets", "External Secrets", found, synced,
                             "ExternalSecret(s) sync from a secret store", "从密钥存储同步的 ExternalSecret")


SEALED = Signature(
    images=("bitnami/sealed-secrets-controller", "bitnami-labs/sealed-secrets-controller",
            "bitnami/sealed-secrets"),
    labels=("sealed-secrets", "sealed-secrets-controller"),
    crd_groups=("bitnami.com",),
)


@detector(
    id="sealed-secrets",
    name="Sealed Secrets",
    category="secrets-management",
    supports=(
        (ENCRYPTED, "SealedSecrets keep credentials encrypted in manifests and Git; only the controller decrypts."),
        ("INF.STO.L3.1", "Authentication data is stored encrypted wherever the manifests are stored."),
    ),
    how="SealedSecret objects (bitnami.com), controller image bitnami/sealed-secrets-controller, labels.",
    conditions="SealedSecret objects are present; the controller alone is partial.",
)
def sealed_secrets(ix: Index) -> Outcome | None:
    """Sealed Secrets: encrypted secrets in the manifests."""
    sealed = [evidence(s, ("spec", "encryptedData"), "SealedSecret")
              for s in ix.kind("SealedSecret", "bitnami.com")[:MAX_EVIDENCE]]
    return used_or_installed("Sealed Secrets", "Sealed Secrets", ix.presence(SEALED), sealed,
                             "SealedSecret(s) hold encrypted credentials", "保存加密凭据的 SealedSecret")


CSI_DRIVER = "secrets-store.csi.k8s.io"
CSI = Signature(
    images=("csi-secrets-store/driver", "csi-secrets-store/driver-crds", "hashicorp/vault-csi-provider",
            "azure/secrets-store/provider-azure", "aws-secrets-manager/secrets-store-csi-driver-provider-aws",
            "secrets-store-csi-driver-provider-gcp/plugin"),
    labels=("secrets-store-csi-driver", "csi-secrets-store", "csi-secrets-store-provider-azure"),
    crd_groups=("secrets-store.csi.x-k8s.io",),
)


@detector(
    id="secrets-store-csi",
    name="Secrets Store CSI driver",
    category="secrets-management",
    supports=STORE_SUPPORTS,
    how="Driver and provider images, CSIDriver secrets-store.csi.k8s.io, SecretProviderClass objects.",
    conditions="A SecretProviderClass and pods mounting a volume from the secrets-store.csi.k8s.io driver.",
)
def secrets_store_csi(ix: Index) -> Outcome | None:
    """Secrets Store CSI: pods that mount secrets from an external store."""
    classes = ix.kind("SecretProviderClass", "secrets-store.csi.x-k8s.io")
    found = ix.presence(CSI) + [evidence(c, ("spec", "provider"), "SecretProviderClass") for c in classes]
    found += [evidence(d, (), "CSIDriver") for d in ix.kind("CSIDriver", "storage.k8s.io") if d.name == CSI_DRIVER]
    users = []
    for obj, pod in ix.pods:
        for i, vol in enumerate(items(pod.get("volumes"))):
            if text(mapping(mapping(vol).get("csi")).get("driver")) == CSI_DRIVER:
                users.append(evidence(obj, (*pod.path, "volumes", i), "mounts secrets from the CSI driver"))
    return used_or_installed("The Secrets Store CSI driver", "Secrets Store CSI 驱动", found, users,
                             "pod volume(s) mount external secrets", "挂载外部密钥的卷")
