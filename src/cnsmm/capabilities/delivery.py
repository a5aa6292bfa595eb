"""GitOps delivery: Argo CD and Flux."""

from __future__ import annotations

from cnsmm.capabilities.index import Index, Signature, evidence
from cnsmm.capabilities.model import Outcome
from cnsmm.capabilities.registry import detector, outcome

GITOPS_SUPPORTS = (
    ("DEV.DEV.L3.1", "What runs is declared in Git and synced from a known revision, so it is traceable."),
    ("OPS.MGT.L2.1", "The GitOps controller shows every managed resource by application, namespace and kind."),
)

ARGO_CD = Signature(
    images=("argoproj/argocd",),
    labels=("argocd-server", "argocd-repo-server", "argocd-application-controller", "argocd-applicationset-controller",
            "argocd"),
)
ARGO_CRDS = ("applications.argoproj.io", "applicationsets.argoproj.io", "appprojects.argoproj.io")


@detector(
    id="argo-cd",
    name="Argo CD",
    category="gitops",
    supports=GITOPS_SUPPORTS,
    how="Image quay.io/argoproj/argocd, argocd-* labels, the applications.argoproj.io CRDs, Application objects.",
    conditions="At least one Application or ApplicationSet is managed; an install alone is partial.",
)
def argo_cd(ix: Index) -> Outcome | None:
    """Argo CD and its applications."""
    apps = ix.kinds(("Application", "ApplicationSet"), "argoproj.io")
    crds = [c for c in ix.crds("argoproj.io") if c.name in ARGO_CRDS]
    found = ix.presence(ARGO_CD) + [evidence(c, ("spec", "names"), "Argo CD CRD") for c in crds]
    if not found and not apps:
        return None
    ev = [evidence(a, ("spec", "source"), a.kind) for a in apps[:6]] + found
    if apps:
        return outcome("effective", f"Argo CD manages {len(apps)} Application/ApplicationSet(s) from Git.",
                       f"Argo CD 从 Git 管理 {len(apps)} 个 Application/ApplicationSet。", ev)
    return outcome("partial", "Argo CD is installed but no Application in this set is managed by it.",
                   "已安装 Argo CD,但本组中没有由其管理的 Application。", ev)


FLUX = Signature(
    images=("fluxcd/source-controller", "fluxcd/kustomize-controller", "fluxcd/helm-controller",
            "fluxcd/notification-controller", "fluxcd/image-reflector-controller", "fluxcd/image-automation-controller",
            "fluxcd/flux-operator"),
    labels=("source-controller", "kustomize-controller", "helm-controller", "flux"),
    crd_groups=("source.toolkit.fluxcd.io", "kustomize.toolkit.fluxcd.io", "helm.toolkit.fluxcd.io"),
)
FLUX_SOURCES = ("GitRepository", "OCIRepository", "HelmRepository", "Bucket", "HelmChart")


@detector(
    id="flux",
    name="Flux",
    category="gitops",
    supports=GITOPS_SUPPORTS,
    how="Images ghcr.io/fluxcd/*-controller, labels, toolkit.fluxcd.io CRDs, sources, Kustomizations and HelmReleases.",
    conditions="A source (GitRepository, OCIRepository, ...) and a Flux Kustomization or HelmRelease that applies it.",
)
def flux(ix: Index) -> Outcome | None:
    """Flux sources and their reconcilers."""
    sources = ix.kinds(FLUX_SOURCES, "source.toolkit.fluxcd.io")
    appliers = ix.kind("Kustomization", "kustomize.toolkit.fluxcd.io")
    appliers += ix.kind("HelmRelease", "helm.toolkit.fluxcd.io")
    found = ix.presence(FLUX)
    if not found and not sources and not appliers:
        return None
    ev = [evidence(o, ("spec",), o.kind) for o in (sources + appliers)[:6]] + found
    if sources and appliers:
        return outcome("effective",
                       f"Flux reconciles {len(appliers)} Kustomization/HelmRelease(s) from {len(sources)} source(s).",
                       f"Flux 从 {len(sources)} 个源持续同步 {len(appliers)} 个 Kustomization/HelmRelease。", ev)
    return outcome("partial", "Flux is present but not both a source and a Kustomization/HelmRelease are in this set.",
                   "发现 Flux,但本组中未同时包含源与 Kustomization/HelmRelease。", ev)
