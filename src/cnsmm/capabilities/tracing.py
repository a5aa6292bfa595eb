"""Telemetry pipelines and service topology: OpenTelemetry Collector, Jaeger, Tempo and Kiali."""

from __future__ import annotations

import re

from cnsmm.capabilities.index import Index, Signature, evidence
from cnsmm.capabilities.model import Outcome
from cnsmm.capabilities.observability import RELATIONS, TOPOLOGY, UNIFIED, present_or_partial
from cnsmm.capabilities.registry import detector, outcome
from cnsmm.capabilities.values import data_value, mapping

TOPOLOGY_SUPPORTS = (
    (TOPOLOGY, "Traces between services are drawn as a service dependency graph."),
    (RELATIONS, "The graph shows which services call which, from observed requests."),
)
LOG_PIPELINE = re.compile(r"filelog|^\s+logs(/[\w-]+)?:", re.MULTILINE)


def _config_text(ix: Index, *needles: str) -> str:
    """Text of every ConfigMap entry whose ConfigMap or key name contains one of ``needles``."""
    parts = []
    for cm in ix.kind("ConfigMap", ""):
        for key in mapping(cm.get("data")):
            if isinstance(key, str) and any(n in (cm.name + "/" + key).lower() for n in needles):
                parts.append(data_value(cm, key))
    return "\n".join(parts)


OTEL = Signature(
    images=("otel/opentelemetry-collector", "otel/opentelemetry-collector-contrib", "otel/opentelemetry-collector-k8s",
            "open-telemetry/opentelemetry-collector-releases/*", "open-telemetry/opentelemetry-operator/*"),
    labels=("opentelemetry-collector", "otel-collector", "otelcol", "opentelemetry-operator"),
    crd_groups=("opentelemetry.io",),
)


@detector(
    id="opentelemetry-collector",
    name="OpenTelemetry Collector",
    category="observability-pipeline",
    supports=(
        (UNIFIED, "One collector pipeline gathers metrics, traces and logs from all services."),
        ("OPS.MGT.L2.2", "A logs pipeline (e.g. the filelog receiver) collects platform and container logs."),
    ),
    how="Images otel/opentelemetry-collector(-contrib) and release images, labels, OpenTelemetryCollector and "
    "Instrumentation resources (opentelemetry.io).",
    conditions="A collector runs (workload or OpenTelemetryCollector); log collection counts when its "
    "configuration has a logs pipeline or the filelog receiver.",
)
def opentelemetry_collector(ix: Index) -> Outcome | None:
    """OpenTelemetry Collector and auto-instrumentation."""
    collectors = ix.kind("OpenTelemetryCollector", "opentelemetry.io")
    instr = ix.kind("Instrumentation", "opentelemetry.io")
    found = ix.presence(OTEL) + [evidence(o, ("spec",), o.kind) for o in collectors + instr]
    if not found:
        return None
    running = bool(collectors) or any("collector" in u.repo for u in ix.image_uses(OTEL.images))
    if not running:
        return outcome(
            "partial",
            "Only the OpenTelemetry operator or Instrumentation was found; no collector runs in this set.",
            "仅发现 OpenTelemetry 算子或 Instrumentation,本组对象中没有运行的采集器。",
            found,
        )
    conf = _config_text(ix, "otel", "collector", "opentelemetry") + "\n".join(
        str(c.get("spec", "config") or "") for c in collectors)
    logs = bool(LOG_PIPELINE.search(conf))
    return outcome(
        "effective",
        "An OpenTelemetry Collector runs" + (" with a logs pipeline." if logs else "; no logs pipeline is configured."),
        "OpenTelemetry Collector 已运行" + (",并配置了日志管道。" if logs else ",但未配置日志管道。"),
        found, effective=(UNIFIED, *(("OPS.MGT.L2.2",) if logs else ())), partial=(),
    )


JAEGER = Signature(
    images=("jaegertracing/all-in-one", "jaegertracing/jaeger", "jaegertracing/jaeger-query",
            "jaegertracing/jaeger-collector", "jaegertracing/jaeger-agent", "jaegertracing/jaeger-operator"),
    labels=("jaeger",),
    crd_groups=("jaegertracing.io",),
)


@detector(
    id="jaeger",
    name="Jaeger",
    category="tracing",
    supports=TOPOLOGY_SUPPORTS,
    how="Images jaegertracing/* (all-in-one, jaeger v2, query, collector), app label jaeger, Jaeger CRs.",
    conditions="The query UI runs (all-in-one, jaeger v2, jaeger-query or a Jaeger resource).",
)
def jaeger(ix: Index) -> Outcome | None:
    """Jaeger with its query UI."""
    crs = ix.kind("Jaeger", "jaegertracing.io")
    found = ix.presence(JAEGER) + [evidence(c, ("spec",), "Jaeger instance") for c in crs]
    ui = bool(crs or ix.image_uses(("jaegertracing/all-in-one", "jaegertracing/jaeger", "jaegertracing/jaeger-query")))
    return present_or_partial(found, ui, "Jaeger", "Jaeger", "runs with its query UI and service dependency graph",
                              " 已运行,提供查询界面与服务依赖图", "no query UI shows the traces",
                              "没有展示链路的查询界面")


TEMPO = Signature(images=("grafana/tempo", "grafana/tempo-query"), labels=("tempo",), crd_groups=("tempo.grafana.com",))


@detector(
    id="tempo",
    name="Grafana Tempo",
    category="tracing",
    supports=TOPOLOGY_SUPPORTS,
    how="Images grafana/tempo, app label tempo, TempoStack/TempoMonolithic resources.",
    conditions="The metrics generator's service graphs are enabled (service_graphs in the configuration) "
    "or Tempo is managed by the Tempo operator; otherwise traces are stored but not drawn.",
)
def tempo(ix: Index) -> Outcome | None:
    """Tempo, with service graphs."""
    crs = ix.kinds(("TempoStack", "TempoMonolithic"), "tempo.grafana.com")
    found = ix.presence(TEMPO) + [evidence(c, ("spec",), c.kind) for c in crs]
    graphs = bool(crs) or "service_graphs" in _config_text(ix, "tempo")
    return present_or_partial(found, graphs, "Tempo", "Tempo", "stores traces and builds service graphs",
                              " 存储链路并生成服务拓扑图", "service graphs are not enabled", "未启用服务拓扑图")


KIALI = Signature(images=("kiali/kiali", "kiali/kiali-operator"), labels=("kiali", "kiali-operator"),
                  crd_groups=("kiali.io",))


@detector(
    id="kiali",
    name="Kiali",
    category="service-mesh-observability",
    supports=(
        *TOPOLOGY_SUPPORTS,
        ("PLT.NET.L3.2", "Kiali's graph shows live traffic between mesh workloads, including mTLS status."),
    ),
    how="Images quay.io/kiali/kiali and kiali-operator, app label kiali, Kiali CRs (kiali.io).",
    conditions="The Kiali server runs (image or Kiali resource); the operator alone is partial.",
)
def kiali(ix: Index) -> Outcome | None:
    """Kiali console."""
    crs = ix.kind("Kiali", "kiali.io")
    found = ix.presence(KIALI) + [evidence(c, ("spec",), "Kiali instance") for c in crs]
    running = bool(crs or ix.image_uses(("kiali/kiali",)))
    return present_or_partial(found, running, "Kiali", "Kiali", "draws the mesh topology and live traffic",
                              " 展示网格拓扑与实时流量", "only the operator was found", "仅发现其算子")
