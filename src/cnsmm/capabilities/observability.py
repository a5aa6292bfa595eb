"""Monitoring, alerting, dashboards and tracing: Prometheus, Alertmanager, Grafana,
OpenTelemetry, Jaeger, Tempo and Kiali."""

from __future__ import annotations

import re

from cnsmm.capabilities.index import Index, Signature, evidence
from cnsmm.capabilities.model import CapabilityEvidence, Outcome
from cnsmm.capabilities.registry import collect, detector, outcome
from cnsmm.capabilities.values import data_value, items, mapping
from cnsmm.sources.yamlload import load_yaml

HEALTH = "PLT.RUN.L1.1"
UNIFIED = "OPS.SOC.L2.1"
TOPOLOGY = "APP.MSV.L4.1"
RELATIONS = "OPS.MGT.L4.2"
MON = "monitoring.coreos.com"


def present_or_partial(found: list[CapabilityEvidence], running: bool, name: str, zh: str,
                       en_ok: str, zh_ok: str, en_missing: str, zh_missing: str) -> Outcome | None:
    """Effective when the component's server runs, partial when only parts of it were found."""
    if not found:
        return None
    if running:
        return outcome("effective", f"{name} {en_ok}.", f"{zh}{zh_ok}。", found)
    return outcome("partial", f"{name} is only partly present: {en_missing}.", f"{zh} 仅部分存在:{zh_missing}。", found)


PROMETHEUS = Signature(
    images=("prom/prometheus", "prometheus/prometheus", "prometheus-operator/prometheus-operator",
            "coreos/prometheus-operator", "bitnami/prometheus"),
    labels=("prometheus", "prometheus-operator", "kube-prometheus-stack"),
    crd_groups=(MON,),
)


@detector(
    id="prometheus",
    name="Prometheus",
    category="monitoring",
    supports=(
        (HEALTH, "Prometheus scrapes container and pod health metrics (kube-state-metrics, cAdvisor)."),
        ("OPS.SOC.L1.1", "Prometheus is a monitoring system for the platform."),
        (UNIFIED, "One Prometheus collects metrics from every node, workload and component."),
    ),
    how="Prometheus CRs (monitoring.coreos.com), images prom/prometheus and prometheus-operator, labels.",
    conditions="A Prometheus server runs (image or Prometheus CR); the operator, CRDs or monitors alone are partial.",
)
def prometheus(ix: Index) -> Outcome | None:
    """Prometheus server (or Prometheus CR)."""
    servers = ix.kind("Prometheus", MON)
    found = [evidence(p, ("spec",), "Prometheus instance") for p in servers] + ix.presence(PROMETHEUS)
    running = bool(servers or ix.image_uses(("prom/prometheus", "prometheus/prometheus", "bitnami/prometheus")))
    monitors = ix.kinds(("ServiceMonitor", "PodMonitor"), MON)
    return present_or_partial(
        found, running, "Prometheus", "Prometheus",
        "runs and collects metrics" + (f" ({len(monitors)} ServiceMonitor/PodMonitor(s) here)" if monitors else ""),
        " 正在运行并采集指标" + (f"(本组有 {len(monitors)} 个 ServiceMonitor/PodMonitor)" if monitors else ""),
        "no Prometheus server or Prometheus resource runs in this set",
        "本组对象中没有运行的 Prometheus 服务或 Prometheus 资源",
    )


ALERTMANAGER = Signature(images=("prom/alertmanager", "prometheus/alertmanager", "bitnami/alertmanager"),
                         labels=("alertmanager",))
NOTIFY = re.compile(r"_configs$")


def _receivers(ix: Index) -> tuple[list[CapabilityEvidence], bool]:
    """Alertmanager configurations found, and whether any receiver notifies somebody."""
    where, notify = [], False
    for obj in ix.kinds(("Secret", "ConfigMap"), ""):
        raw = data_value(obj, "alertmanager.yaml")
        if not raw:
            continue
        docs, _ = load_yaml(raw, max_nodes=50_000)
        receivers = items(mapping(docs[0].value).get("receivers")) if docs else []
        ok = any(isinstance(k, str) and NOTIFY.search(k) and v for r in receivers for k, v in mapping(r).items())
        notify = notify or ok
        detail = "Alertmanager configuration" + ("" if ok else " (no receiver has a notification integration)")
        where.append(evidence(obj, ("stringData" if obj.get("stringData") else "data", "alertmanager.yaml"), detail))
    for amc in ix.kind("AlertmanagerConfig", MON):
        if any(isinstance(k, str) and NOTIFY.search(k) and v
               for r in items(amc.get("spec", "receivers")) for k, v in mapping(r).items()):
            notify = True
            where.append(evidence(amc, ("spec", "receivers"), "AlertmanagerConfig with receivers"))
    return where, notify


@detector(
    id="alertmanager",
    name="Alertmanager",
    category="alerting",
    supports=(
        ("APP.SLS.L3.1", "Alert rules on resource metrics raise alerts that Alertmanager routes to people."),
        (HEALTH, "Alerts on container health (crash loops, restarts) reach the operators."),
    ),
    how="Alertmanager CRs or images prom/alertmanager; PrometheusRule objects with alert rules; alertmanager.yaml.",
    conditions="Alertmanager runs, alert rules exist (PrometheusRule groups with alert:), and, when its "
    "configuration is in the set, at least one receiver has a notification integration (*_configs).",
)
def alertmanager(ix: Index) -> Outcome | None:
    """Alertmanager with alert rules and receivers."""
    managers = ix.kind("Alertmanager", MON)
    rules = [r for r in ix.kind("PrometheusRule", MON)
             if any(mapping(x).get("alert") for group in collect(r.get("spec"), "rules") for x in items(group))]
    found = [evidence(a, ("spec",), "Alertmanager instance") for a in managers] + ix.presence(ALERTMANAGER)
    if not found and not rules:
        return None
    config, notify = _receivers(ix)
    ev = found + config + [evidence(r, ("spec", "groups"), "PrometheusRule with alerts") for r in rules[:4]]
    problems_en, problems_zh = [], []
    if not found:
        problems_en.append("no Alertmanager receives the alerts")
        problems_zh.append("没有 Alertmanager 接收告警")
    if not rules:
        problems_en.append("no PrometheusRule defines alerts")
        problems_zh.append("没有定义告警的 PrometheusRule")
    if config and not notify:
        problems_en.append("no receiver sends notifications (no *_configs)")
        problems_zh.append("没有任何接收者配置通知渠道")
    if problems_en:
        return outcome("partial", f"Alerting is incomplete: {'; '.join(problems_en)}.",
                       f"告警链路不完整:{';'.join(problems_zh)}。", ev)
    return outcome(
        "effective",
        f"Alertmanager routes alerts from {len(rules)} PrometheusRule(s) to notification receivers.",
        f"Alertmanager 将 {len(rules)} 个 PrometheusRule 产生的告警发送给通知接收者。",
        ev,
    )


GRAFANA = Signature(images=("grafana/grafana", "grafana/grafana-oss", "grafana/grafana-enterprise", "bitnami/grafana"),
                    labels=("grafana",), crd_groups=("grafana.integreatly.org",))


@detector(
    id="grafana",
    name="Grafana",
    category="monitoring",
    supports=(
        ("OPS.SOC.L3.1", "Dashboards visualise monitoring data and the progress of incidents."),
        (UNIFIED, "One Grafana brings metrics, logs and traces from several sources into one view."),
    ),
    how="Images grafana/grafana(-oss, -enterprise), app label grafana, grafana.integreatly.org CRDs.",
    conditions="A data source is provisioned (datasources.yaml, grafana_datasource label or GrafanaDatasource).",
)
def grafana(ix: Index) -> Outcome | None:
    """Grafana with a provisioned data source."""
    found = ix.presence(GRAFANA)
    sources = [o for o in ix.kinds(("ConfigMap", "Secret"), "")
               if "grafana_datasource" in o.labels
               or any(isinstance(k, str) and k.endswith("datasources.yaml") for k in
                      (*mapping(o.get("data")), *mapping(o.get("stringData"))))]
    sources += ix.kind("GrafanaDatasource", "grafana.integreatly.org")
    found += [evidence(s, ("metadata", "name"), "Grafana data source") for s in sources]
    return present_or_partial(
        found, bool(sources) and bool(ix.image_uses(GRAFANA.images) or ix.kind("Grafana", "grafana.integreatly.org")),
        "Grafana", "Grafana", "runs with provisioned data sources", " 已运行并配置了数据源",
        "no Grafana server with a provisioned data source", "没有配置数据源的 Grafana 服务",
    )
