"""Requirement statuses from each kind of evidence, and how they combine."""

from __future__ import annotations

from datetime import timedelta

from tests.assess.helpers_assess import MODEL, NOW, attest, bundle, check, paths

from cnsmm.assess import AssessOptions, PipelineEvidence, ReportEvidence, assess
from cnsmm.assess.evidence import CapabilityEvidence


def _req(ev, rid, **opts):  # type: ignore[no-untyped-def]
    return assess(ev, MODEL, AssessOptions(**opts), paths()).requirements[rid]


def test_checks_share_decides_met_partial_and_not_met() -> None:
    all_pass = _req(bundle(checks=(check("K8S-001", "PLT.RUN.L2.1", 4, 0),)), "PLT.RUN.L2.1")
    assert all_pass.status == "met" and all_pass.coverage == (4, 4)
    some_fail = _req(bundle(checks=(check("K8S-001", "PLT.RUN.L2.1", 4, 1),
                                    check("K8S-002", "PLT.RUN.L2.1", 4, 2))), "PLT.RUN.L2.1")
    # app0 and app1 fail one rule or the other: 2 of 4 distinct objects pass
    assert some_fail.status == "partial" and some_fail.coverage == (2, 4)
    failing = [i for i in some_fail.evidence if i.verdict == "not-met"]
    assert {i.ref for i in failing} == {"K8S-001", "K8S-002"}
    assert any("k8s/shop/app1.yaml:11" in w for i in failing for w in i.where)
    none_pass = _req(bundle(checks=(check("K8S-001", "PLT.RUN.L2.1", 3, 3),)), "PLT.RUN.L2.1")
    assert none_pass.status == "not-met"


def test_threshold_option_lowers_the_bar() -> None:
    ev = bundle(checks=(check("K8S-001", "PLT.RUN.L2.1", 10, 1),))
    assert _req(ev, "PLT.RUN.L2.1").status == "partial"
    assert _req(ev, "PLT.RUN.L2.1", threshold=90).status == "met"


def test_no_evidence_is_unknown_and_says_what_would_settle_it() -> None:
    res = _req(bundle(), "PLT.RUN.L3.1")
    assert res.status == "unknown"
    settle = " ".join(t.en for t in res.settle)
    assert "Falco" in settle and "runtime" in settle and "attest" in settle
    assert "Falco" in " ".join(t.zh for t in res.settle)


def test_capability_effective_and_partial() -> None:
    cap = CapabilityEvidence("falco", "Falco", "runtime", "effective", ("PLT.RUN.L3.1",), ("INF.CMP.L2.5",),
                             "Falco DaemonSet with rules", "Falco 守护进程集及规则", "k8s/falco.yaml:3")
    a = assess(bundle(capabilities=(cap,)), MODEL, None, paths())
    assert a.requirements["PLT.RUN.L3.1"].status == "met"
    assert a.requirements["INF.CMP.L2.5"].status == "partial"
    assert a.requirements["PLT.RUN.L3.1"].evidence[0].where == ("k8s/falco.yaml:3",)
    # Falco is there: the partial requirement is not told to deploy it again
    assert not any("Falco" in t.en for t in a.requirements["INF.CMP.L2.5"].settle)


def test_capability_evidence_says_why_it_counts_for_each_requirement(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from cnsmm.assess.gather import capabilities_from_scan
    from cnsmm.capabilities.registry import REGISTRY
    from cnsmm.config import Config
    from cnsmm.scan import scan_paths

    policy = tmp_path / "netpol.yaml"
    policy.write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n"
        "spec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
        "    spec: {containers: [{name: web, image: nginx:1.27}]}\n---\n"
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: default-deny, namespace: shop}\n"
        "spec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n")
    caps = tuple(capabilities_from_scan(scan_paths([str(policy)], Config())))
    netpol = next(c for c in caps if c.detector == "network-policy")
    catalogue = REGISTRY["network-policy"][0]
    a = assess(bundle(capabilities=caps), MODEL, None, paths())
    for rid in netpol.requirements_effective:
        text = next(i.text for i in a.requirements[rid].evidence if i.ref == "network-policy")
        assert text.en.endswith(f"Why it counts here: {catalogue.why(rid)}")
        assert "与本要求的关系" in text.zh
    reasons = {catalogue.why(r) for r in netpol.requirements_effective}
    assert len(reasons) == len(netpol.requirements_effective) > 1  # one reason per requirement


def test_stale_reports_do_not_count_and_clean_needs_no_high_findings() -> None:
    fresh = ReportEvidence("trivy.json", "trivy-json", "trivy", "image-scan", generated_at=NOW - timedelta(days=3))
    stale = ReportEvidence("old.json", "trivy-json", "trivy", "image-scan", generated_at=NOW - timedelta(days=200))
    res = _req(bundle(reports=(fresh,)), "PLT.IMG.L2.1")
    assert res.status == "met"
    assert res.evidence[0].text.en == "image scanning report by trivy (0 findings) dated 2026-05-29"
    scoped = ReportEvidence("t.json", "trivy-json", "trivy", "image-scan", scope="image:shop/web", generated_at=NOW)
    text = _req(bundle(reports=(scoped,)), "PLT.IMG.L2.1").evidence[0].text
    assert "on image:shop/web" in text.en and "扫描对象 image:shop/web" in text.zh
    old = _req(bundle(reports=(stale,)), "PLT.IMG.L2.1")
    assert old.status == "unknown"
    assert any(i.verdict == "ignored" and "200 days" in i.text.en for i in old.evidence)
    assert _req(bundle(reports=(stale,)), "PLT.IMG.L2.1", report_max_age_days=365).status == "met"
    sca = ReportEvidence("grype.json", "grype", "grype", "sca", generated_at=NOW, severities=(("high", 2), ("low", 5)))
    res = _req(bundle(reports=(sca,)), "DEV.DEV.L5.1")
    assert res.status == "partial" and any("2 critical/high" in i.text.en for i in res.evidence)


def test_pipeline_blocking_matters_where_the_model_asks_for_it() -> None:
    scan = PipelineEvidence("image-scan", "trivy", False, ".github/workflows/ci.yml", 30, "build")
    assert _req(bundle(pipelines=(scan,)), "PLT.IMG.L4.1").status == "met"
    policy = _req(bundle(pipelines=(scan,)), "PLT.IMG.L3.2")
    assert policy.status == "partial"
    assert "does not fail the build" in policy.evidence[0].text.en
    blocking = PipelineEvidence("image-scan", "trivy", True, ".github/workflows/ci.yml", 30, "build")
    assert _req(bundle(pipelines=(blocking,)), "PLT.IMG.L3.2").status == "met"


def test_attestation_fills_in_and_disagreement_is_reported() -> None:
    assert _req(bundle(attestations=(attest("DEV.REQ.L1.1", "met"),)), "DEV.REQ.L1.1").status == "met"
    # an attestation cannot overrule objects failing a critical rule (K8S-001 is critical)
    res = _req(bundle(checks=(check("K8S-001", "PLT.RUN.L2.1", 4, 1, "critical"),),
                      attestations=(attest("PLT.RUN.L2.1", "met"),)), "PLT.RUN.L2.1")
    assert res.status == "partial" and res.attested == "met" and res.disagreement is not None
    assert "automated result" in res.disagreement.en and "自动化" in res.disagreement.zh
    # but it can say a detected component is not actually in use
    cap = CapabilityEvidence("falco", "Falco", "runtime", "effective", ("PLT.RUN.L3.1",), (), "ok", "好", "")
    res = _req(bundle(capabilities=(cap,), attestations=(attest("PLT.RUN.L3.1", "not-met"),)), "PLT.RUN.L3.1")
    assert res.status == "not-met" and res.automated == "met" and res.disagreement is not None


def test_presence_lifts_not_met_checks_to_partial() -> None:
    cap = CapabilityEvidence("kyverno", "Kyverno", "policy", "effective", ("PLT.RUN.L2.1",), (), "enforce", "强制", "")
    res = _req(bundle(checks=(check("K8S-001", "PLT.RUN.L2.1", 2, 2),), capabilities=(cap,)), "PLT.RUN.L2.1")
    assert res.status == "partial" and res.automated == "partial"


def test_the_summary_names_the_rules_failing_most_objects() -> None:
    """A blocker says what fails, by the rules' titles, not only how many objects pass."""
    import dataclasses

    many = dataclasses.replace(check("K8S-001", "PLT.RUN.L2.1", 6, 4), title="Container runs privileged")
    few = dataclasses.replace(check("K8S-002", "PLT.RUN.L2.1", 6, 1), title="Windows HostProcess container")
    req = _req(bundle(checks=(few, many)), "PLT.RUN.L2.1")
    assert req.summary.en.startswith(
        "most failures: K8S-001 Container runs privileged (4 of 6); K8S-002 Windows HostProcess container (1 of 6). "
        "2 of 6 relevant objects (33%) pass the mapped rules")
    assert "K8S-001 Container runs privileged: 4 of 6 relevant objects fail" in [i.text.en for i in req.evidence]
    assert req.summary.zh.startswith("未通过最多的规则：K8S-001 Container runs privileged（6 个中 4 个）；K8S-002")
    clean = _req(bundle(checks=(check("K8S-001", "PLT.RUN.L2.1", 3, 0),)), "PLT.RUN.L2.1")
    assert not clean.summary.en.startswith("most failures")
