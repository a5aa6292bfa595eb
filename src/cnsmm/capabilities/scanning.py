"""Vulnerability and compliance scanning, registries and component inventories:
trivy-operator, kube-bench, Kubescape, Harbor and Dependency-Track."""

from __future__ import annotations

from cnsmm.capabilities.index import Index, Signature, container_env, evidence
from cnsmm.capabilities.model import Outcome
from cnsmm.capabilities.registry import detector, outcome
from cnsmm.capabilities.values import data_value, text
from cnsmm.kube.values import falsy

IMG_SCAN = "PLT.IMG.L2.1"
BASELINE = "PLT.ORC.L2.1"
ORC_VULN = "PLT.ORC.L2.2"
COMPONENTS = "APP.MSV.L3.2"

TRIVY = Signature(
    images=("aquasec/trivy-operator", "aquasecurity/trivy-operator", "aquasec/starboard-operator",
            "aquasecurity/starboard-operator"),
    labels=("trivy-operator", "starboard-operator"),
    crd_groups=("aquasecurity.github.io",),
)
TRIVY_REPORTS = ("VulnerabilityReport", "ClusterVulnerabilityReport", "ConfigAuditReport",
                 "ClusterConfigAuditReport", "ExposedSecretReport", "InfraAssessmentReport",
                 "ClusterComplianceReport", "RbacAssessmentReport", "SbomReport")


def _trivy_switch(ix: Index, key: str, env: str) -> bool:
    """False when a trivy-operator ConfigMap or operator env var turns the scanner off."""
    for cm in ix.kind("ConfigMap", ""):
        if cm.name.startswith(("trivy-operator", "starboard")) and falsy(data_value(cm, key)):
            return False
    return not any(falsy(container_env(u.container, env)) for u in ix.image_uses(TRIVY.images))


@detector(
    id="trivy-operator",
    name="Trivy Operator",
    category="image-scanning",
    supports=(
        (IMG_SCAN, "Every workload image is scanned continuously; VulnerabilityReports list fixed versions."),
        (ORC_VULN, "Images of cluster components are scanned too, with their vulnerabilities reported."),
        (COMPONENTS, "Microservice dependencies in images are scanned and reported with fix versions."),
        (BASELINE, "ConfigAudit, RBAC and infra assessments check workloads and nodes against baselines."),
    ),
    how="Images aquasec/trivy-operator (or starboard), labels, aquasecurity.github.io CRDs and report objects.",
    conditions="The operator runs (or reports exist) with the vulnerability scanner enabled; a disabled "
    "scanner (vulnerabilityScannerEnabled: false) makes the vulnerability requirements partial.",
)
def trivy_operator(ix: Index) -> Outcome | None:
    """trivy-operator: running scanners or their reports."""
    reports = ix.kinds(TRIVY_REPORTS, "aquasecurity.github.io")
    found = ix.presence(TRIVY)
    if not found and not reports:
        return None
    running = bool(ix.image_uses(TRIVY.images) or reports or ix.released(TRIVY.labels))
    ev = [evidence(r, ("report",), r.kind) for r in reports[:5]] + found
    if not running:
        return outcome(
            "partial",
            "Only trivy-operator definitions were found; no operator or scan report shows that scanning runs.",
            "仅发现 trivy-operator 的定义,没有运行中的算子或扫描报告证明扫描在进行。",
            ev,
        )
    vuln = _trivy_switch(ix, "vulnerabilityScannerEnabled", "OPERATOR_VULNERABILITY_SCANNER_ENABLED")
    audit = _trivy_switch(ix, "configAuditScannerEnabled", "OPERATOR_CONFIG_AUDIT_SCANNER_ENABLED")
    vuln_reqs = (IMG_SCAN, ORC_VULN, COMPONENTS)
    eff = [*(vuln_reqs if vuln else ()), *((BASELINE,) if audit else ())]
    part = [*(() if vuln else vuln_reqs), *(() if audit else (BASELINE,))]
    if vuln:
        return outcome(
            "effective",
            "trivy-operator scans workload images continuously" + (" and audits their configuration." if audit else
                                                                   "; its configuration audit is turned off."),
            "trivy-operator 持续扫描工作负载镜像" + ("并审计其配置。" if audit else ",但配置审计已关闭。"),
            ev, effective=eff, partial=part,
        )
    return outcome(
        "partial",
        "trivy-operator runs but its vulnerability scanner is turned off.",
        "trivy-operator 正在运行,但其漏洞扫描器已关闭。",
        ev, effective=eff, partial=part,
    )


@detector(
    id="kube-bench",
    name="kube-bench",
    category="compliance-scanning",
    supports=(
        (BASELINE, "kube-bench checks control plane and kubelet settings against the CIS Kubernetes Benchmark."),
        ("INF.CMP.L2.4", "Node configuration files and services are checked against the CIS baseline."),
    ),
    how="Job, CronJob or Pod running image aquasec/kube-bench.",
    conditions="A CronJob (recurring checks); a one-off Job or Pod is partial.",
)
def kube_bench(ix: Index) -> Outcome | None:
    """kube-bench: recurring when scheduled."""
    uses = ix.image_uses(("aquasec/kube-bench", "aquasecurity/kube-bench"))
    if not uses:
        return None
    ev = [u.evidence() for u in uses]
    if any(u.obj.kind == "CronJob" for u in uses):
        return outcome(
            "effective",
            "kube-bench runs on a schedule (CronJob), checking the cluster against the CIS benchmark regularly.",
            "kube-bench 以 CronJob 定期运行,持续按 CIS 基线检查集群。",
            ev,
        )
    return outcome(
        "partial",
        "kube-bench runs once (Job or Pod), not on a schedule, so baseline drift is not caught.",
        "kube-bench 仅运行一次(Job 或 Pod),未定期执行,无法发现基线漂移。",
        ev,
    )


KUBESCAPE = Signature(
    images=("kubescape/*", "armosec/kubescape"),
    labels=("kubescape", "kubevuln", "kubescape-operator"),
    crd_groups=("spdx.softwarecomposition.kubescape.io", "kubescape.io"),
)


@detector(
    id="kubescape",
    name="Kubescape",
    category="compliance-scanning",
    supports=(
        (BASELINE, "Kubescape scans cluster and workload posture against NSA/CISA and CIS frameworks."),
        (IMG_SCAN, "Its kubevuln component scans workload images for vulnerabilities with fixes."),
        (ORC_VULN, "Cluster component images are scanned by kubevuln as well."),
    ),
    how="Images quay.io/kubescape/* (operator, kubevuln, node-agent, kubescape), labels, kubescape CRDs.",
    conditions="The kubescape scanner or operator runs; image scanning counts only when kubevuln runs.",
)
def kubescape(ix: Index) -> Outcome | None:
    """Kubescape operator and its components."""
    found = ix.presence(KUBESCAPE)
    if not found:
        return None
    uses = ix.image_uses(KUBESCAPE.images)
    if not uses:
        return outcome(
            "partial",
            "Only Kubescape definitions or labels were found; no scanner runs in this set.",
            "仅发现 Kubescape 的定义或标签,本组对象中没有运行的扫描器。",
            found,
        )
    vuln = any(u.repo.endswith("kubevuln") for u in uses)
    return outcome(
        "effective",
        "Kubescape scans the cluster posture" + (" and workload images (kubevuln)." if vuln else
                                                 "; kubevuln is not deployed, so images are not scanned."),
        "Kubescape 正在扫描集群安全态势"
        + ("并扫描工作负载镜像(kubevuln)。" if vuln else ",但未部署 kubevuln,镜像未被扫描。"),
        found,
        effective=(BASELINE, *((IMG_SCAN, ORC_VULN) if vuln else ())),
        partial=() if vuln else (IMG_SCAN, ORC_VULN),
    )


HARBOR = Signature(
    images=("goharbor/harbor-core", "goharbor/registry-photon", "goharbor/harbor-portal", "goharbor/harbor-jobservice",
            "goharbor/harbor-registryctl", "goharbor/trivy-adapter-photon", "goharbor/harbor-db",
            "goharbor/harbor-operator"),
    labels=("harbor",),
    crd_groups=("goharbor.io",),
)


@detector(
    id="harbor",
    name="Harbor",
    category="registry",
    supports=(
        ("PLT.IMG.L1.1", "Harbor is a central private registry where images are managed per project."),
        ("PLT.IMG.L2.3", "Projects, role-based members and robot accounts control registry access."),
        (IMG_SCAN, "The Trivy adapter scans pushed images and reports vulnerabilities with fixes."),
    ),
    how="Images goharbor/* (core, registry, portal, jobservice, trivy-adapter), app label harbor, goharbor.io CRDs.",
    conditions="harbor-core and the registry run; image scanning needs the Trivy adapter.",
)
def harbor(ix: Index) -> Outcome | None:
    """Harbor registry, with or without its scanner."""
    found = ix.presence(HARBOR)
    if not found:
        return None
    core = ix.image_uses(("goharbor/harbor-core",)) and ix.image_uses(("goharbor/registry-photon",))
    trivy = bool(ix.image_uses(("goharbor/trivy-adapter-photon",)))
    if not core:
        return outcome(
            "partial",
            "Harbor components were found, but not both harbor-core and the registry.",
            "发现 Harbor 组件,但未同时发现 harbor-core 与镜像仓库服务。",
            found,
        )
    return outcome(
        "effective",
        "Harbor runs as the central registry"
        + (" with the Trivy scanner." if trivy else "; no image scanner is attached."),
        "Harbor 作为集中镜像仓库运行" + (",并接入 Trivy 扫描器。" if trivy else ",但未接入镜像扫描器。"),
        found,
        effective=("PLT.IMG.L1.1", "PLT.IMG.L2.3", *((IMG_SCAN,) if trivy else ())),
        partial=() if trivy else (IMG_SCAN,),
    )


DTRACK = Signature(
    images=("dependencytrack/apiserver", "dependencytrack/bundled", "dependencytrack/frontend",
            "dependencytrack/hyades-apiserver"),
    labels=("dependency-track", "dependencytrack"),
)


@detector(
    id="dependency-track",
    name="Dependency-Track",
    category="component-analysis",
    supports=(
        ("DEV.DEV.L2.2", "SBOMs uploaded by the pipeline are analysed automatically for vulnerable components."),
        ("DEV.DEV.L4.1", "Dependency-Track keeps an inventory of every project's components (SBOMs)."),
        (COMPONENTS, "Microservice components are tracked with vulnerabilities and fixed versions."),
    ),
    how="Images dependencytrack/apiserver, bundled, frontend; app label dependency-track.",
    conditions="The API server (or bundled image) runs; the frontend alone is partial.",
)
def dependency_track(ix: Index) -> Outcome | None:
    """Dependency-Track API server."""
    found = ix.presence(DTRACK)
    if not found:
        return None
    server = [u for u in ix.image_uses(DTRACK.images) if not text(u.repo).endswith("frontend")]
    if server:
        return outcome(
            "effective",
            "Dependency-Track's API server runs and can analyse uploaded SBOMs.",
            "Dependency-Track API 服务已运行,可分析上传的 SBOM。",
            found,
        )
    return outcome(
        "partial",
        "Only the Dependency-Track frontend or labels were found, not its API server.",
        "仅发现 Dependency-Track 前端或标签,未发现其 API 服务。",
        found,
    )
