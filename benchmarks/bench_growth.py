"""Cost of each growing dimension of the input, as a curve: is any step superlinear?

Usage:
    python benchmarks/bench_growth.py [--dimension NAME ...] [--steps N] [--scale X] [--stages]

For every dimension a generator writes one input of size n, 2n, 4n ... (``--steps`` points,
``--scale`` multiplies every base size) into a temporary folder, and the scan of that folder is
timed in this process (``scan_paths`` with one worker, rendering off, all rules). The figure is
the CPU time of this process (steadier than wall time on a shared machine), best of ``--runs``.
Each row ends with the growth exponent of the last doubling, log2(t(2n) / t(n)): about 1 for
linear work, 2 for quadratic. ``--stages`` also times the renderers (JSON, SARIF, text, HTML)
on each result, for the report-size dimension.

Dimensions:
    token          Dockerfile ``RUN echo AAAA...`` with one word of n characters
    words          Dockerfile ``RUN echo w w w ...`` with n words on one line
    env-words      Dockerfile ``ENV x x x ...`` with n words
    pipeline-len   Dockerfile ``RUN a | a | a ...`` with n commands in one pipeline
    yaml-line      Pod whose image name and one annotation are n characters long
    depth          custom resource nested n levels deep (the loader refuses more than 256)
    documents      one file of n Pod documents
    objects        one folder (set) of n Deployments, n Services selecting them, n
                   NetworkPolicies and n RoleBindings: the cross-object rules
    unanchored     one set of n Deployments (tier: web), n NetworkPolicies and n
                   PodDisruptionBudgets whose selectors have only NotIn and DoesNotExist terms
                   and select none of them (no term to look up in an index)
    kyverno        n privileged Deployments and n Kyverno PolicyExceptions whose name
                   patterns (wildcards) match none of them
    config-exceptions  n privileged Deployments and a configuration of n ``exceptions:``
                   entries (image and namespace patterns) that match none of them
    helm-objects   a Helm chart whose one template holds n privileged Pods, rendered with
                   `helm template` (CPU of this process: the findings are located in the
                   template)
    namespaces     a cluster dump of n namespaces, each with a ServiceAccount, a Deployment and
                   its ReplicaSet and Pod (owner references), a PodDisruptionBudget, an
                   autoscaler, a Service, an Ingress, an aggregated ClusterRole and its part, a
                   Role and both kinds of binding
    steps          GitHub Actions workflow with one job of n steps
    jobs           GitHub Actions workflow with n jobs, each needing the one before
    gitlab-jobs    GitLab CI file with n jobs, each extending the one before (capped chain)
    findings       report size: n privileged Pods (several findings each) rendered in every format
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cnsmm.config import Config, RenderSettings
from cnsmm.renderers import OutputFormat, ScanReport, renderer_for
from cnsmm.scan import ScanResult, scan_paths

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: p{i}
  namespace: apps
  annotations: {{note: "{note}"}}
spec:
  containers:
    - name: app
      image: {image}
      securityContext: {{privileged: true}}
"""
DEPLOYMENT_SET = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: app{i}, namespace: shop}}
spec:
  selector: {{matchLabels: {{app: app{i}}}}}
  template:
    metadata: {{labels: {{app: app{i}, tier: web}}}}
    spec:
      serviceAccountName: sa{i}
      containers:
        - name: app
          image: registry.example/app{i}:1.0
---
apiVersion: v1
kind: Service
metadata: {{name: app{i}, namespace: shop}}
spec:
  selector: {{app: app{i}}}
  ports: [{{port: 80}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: np{i}, namespace: shop}}
spec:
  podSelector: {{matchLabels: {{app: app{i}}}}}
  ingress: [{{from: [{{podSelector: {{matchLabels: {{tier: web}}}}}}]}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: rb{i}, namespace: shop}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}}
subjects: [{{kind: ServiceAccount, name: sa{i}, namespace: shop}}]
"""


def _write(folder: Path, name: str, text: str) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def gen_token(folder: Path, n: int) -> None:
    _write(folder, "Dockerfile", "FROM alpine:3.20\nRUN echo " + "A" * n + "\n")


def gen_words(folder: Path, n: int) -> None:
    _write(folder, "Dockerfile", "FROM alpine:3.20\nRUN echo " + "w " * n + "\n")


def gen_env_words(folder: Path, n: int) -> None:
    _write(folder, "Dockerfile", "FROM alpine:3.20\nENV " + "x " * n + "\n")


def gen_pipeline(folder: Path, n: int) -> None:
    _write(folder, "Dockerfile", "FROM alpine:3.20\nRUN curl -s x | " + "cat | " * n + "sh\n")


def gen_yaml_line(folder: Path, n: int) -> None:
    _write(folder, "pod.yaml", POD.format(i=0, note="n" * n, image="registry.example/" + "a" * n + ":1"))


def gen_depth(folder: Path, n: int) -> None:
    nested = "{a: " * n + "1" + "}" * n
    _write(folder, "deep.yaml", f"apiVersion: example.com/v1\nkind: Deep\nmetadata: {{name: d}}\nspec: {nested}\n")


def gen_documents(folder: Path, n: int) -> None:
    _write(folder, "pods.yaml", "---\n".join(POD.format(i=i, note="x", image="nginx:1.27") for i in range(n)))


def gen_objects(folder: Path, n: int) -> None:
    _write(folder, "set.yaml", "---\n".join(DEPLOYMENT_SET.format(i=i) for i in range(n)))


WIDE_SET = """\
apiVersion: v1
kind: Namespace
metadata: {{name: ns{i}}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {{name: sa{i}, namespace: ns{i}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: app{i}, namespace: ns{i}, uid: d{i}}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: app{i}}}}}
  template:
    metadata: {{labels: {{app: app{i}}}}}
    spec:
      serviceAccountName: sa{i}
      containers: [{{name: app, image: "registry.example/app{i}:1.0", ports: [{{name: web, containerPort: 8080}}]}}]
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: app{i}-1
  namespace: ns{i}
  uid: r{i}
  ownerReferences: [{{apiVersion: apps/v1, kind: Deployment, name: app{i}, uid: d{i}, controller: true}}]
spec:
  selector: {{matchLabels: {{app: app{i}}}}}
  template:
    metadata: {{labels: {{app: app{i}}}}}
    spec: {{containers: [{{name: app, image: "registry.example/app{i}:1.0"}}]}}
---
apiVersion: v1
kind: Pod
metadata:
  name: app{i}-1-x
  namespace: ns{i}
  labels: {{app: app{i}}}
  ownerReferences: [{{apiVersion: apps/v1, kind: ReplicaSet, name: app{i}-1, uid: r{i}, controller: true}}]
spec: {{containers: [{{name: app, image: "registry.example/app{i}:1.0"}}]}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: pdb{i}, namespace: ns{i}}}
spec: {{minAvailable: 1, selector: {{matchLabels: {{app: app{i}}}}}}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: hpa{i}, namespace: ns{i}}}
spec: {{scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: app{i}}}, minReplicas: 2, maxReplicas: 4}}
---
apiVersion: v1
kind: Service
metadata: {{name: app{i}, namespace: ns{i}}}
spec: {{selector: {{app: app{i}}}, ports: [{{port: 80, targetPort: web}}]}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: ing{i}, namespace: ns{i}}}
spec:
  rules:
    - host: "a{i}.example"
      http: {{paths: [{{path: /, pathType: Prefix, backend: {{service: {{name: app{i}, port: {{number: 80}}}}}}}}]}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: agg{i}, labels: {{rbac.example/aggregate: "true", part: p{i}}}}}
rules: [{{apiGroups: [""], resources: [pods], verbs: [get]}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: top{i}}}
aggregationRule: {{clusterRoleSelectors: [{{matchLabels: {{part: p{i}}}}}]}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: role{i}, namespace: ns{i}}}
rules: [{{apiGroups: [""], resources: [secrets], verbs: [get, list]}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: rb{i}, namespace: ns{i}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: role{i}}}
subjects: [{{kind: ServiceAccount, name: sa{i}, namespace: ns{i}}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: crb{i}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: top{i}}}
subjects: [{{kind: ServiceAccount, name: sa{i}, namespace: ns{i}}}]
"""


UNANCHORED_SET = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: app{i}, namespace: shop}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: app{i}}}}}
  template:
    metadata: {{labels: {{app: app{i}, tier: web}}}}
    spec: {{containers: [{{name: app, image: "registry.example/app{i}:1.0"}}]}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: np{i}, namespace: shop}}
spec:
  podSelector:
    matchExpressions: [{{key: tier, operator: NotIn, values: [web]}}, {{key: x{i}, operator: DoesNotExist}}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: pdb{i}, namespace: shop}}
spec:
  maxUnavailable: 1
  selector: {{matchExpressions: [{{key: tier, operator: NotIn, values: [web]}}, {{key: y{i}, operator: DoesNotExist}}]}}
"""


def gen_unanchored(folder: Path, n: int) -> None:
    _write(folder, "set.yaml", "---\n".join(UNANCHORED_SET.format(i=i) for i in range(n)))


PRIVILEGED_APP = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: app{i}, namespace: shop}}
spec:
  selector: {{matchLabels: {{app: app{i}}}}}
  template:
    metadata: {{labels: {{app: app{i}}}}}
    spec:
      hostPID: true
      containers: [{{name: app, image: "registry.example/app{i}:1.0", securityContext: {{privileged: true}}}}]
"""
POLICY_EXCEPTION = """\
apiVersion: kyverno.io/v2
kind: PolicyException
metadata: {{name: pe{i}, namespace: kyverno}}
spec:
  exceptions: [{{policyName: disallow-privileged, ruleNames: [privileged]}}]
  match: {{any: [{{resources: {{kinds: [Deployment], names: ["other{i}-*"], namespaces: ["shop*"]}}}}]}}
"""


def gen_kyverno(folder: Path, n: int) -> None:
    docs = [PRIVILEGED_APP.format(i=i) for i in range(n)] + [POLICY_EXCEPTION.format(i=i) for i in range(n)]
    _write(folder, "set.yaml", "---\n".join(docs))


def gen_config_exceptions(folder: Path, n: int) -> Config:
    from cnsmm.capabilities.exceptions import HOST_RULES, parse_extra

    _write(folder, "set.yaml", "---\n".join(PRIVILEGED_APP.format(i=i) for i in range(n)))
    entries = [{"name": f"e{i}", "images": [f"registry.example/other{i}"], "namespaces": ["shop*"],
                "reason": "benchmark"} for i in range(n)]
    return Config(workers=1, render=RenderSettings(enabled=False),
                  exceptions=parse_extra(entries, "cnsmm.yaml: exceptions", set(HOST_RULES)))


def gen_helm_objects(folder: Path, n: int) -> Config:
    _write(folder, "chart/Chart.yaml", "apiVersion: v2\nname: big\nversion: 0.1.0\n")
    _write(folder, "chart/values.yaml", "image: nginx:1.27\n")
    pods = [POD.format(i=i, note="x", image="{{ .Values.image }}") for i in range(n)]
    _write(folder, "chart/templates/pods.yaml", "---\n".join(pods))
    return Config(workers=1, render=RenderSettings(enabled=True, cache_dir=""))


def gen_wide(folder: Path, n: int) -> None:
    _write(folder, "dump.yaml", "---\n".join(WIDE_SET.format(i=i) for i in range(n)))


def gen_steps(folder: Path, n: int) -> None:
    steps = "".join(f"      - run: echo step{i} && curl -fsSL https://x.example/{i}.sh | sh\n" for i in range(n))
    _write(folder, ".github/workflows/ci.yml",
           "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n" + steps)


def gen_jobs(folder: Path, n: int) -> None:
    jobs = "".join(
        f"  j{i}:\n    runs-on: ubuntu-latest\n" + (f"    needs: j{i - 1}\n" if i else "")
        + "    steps:\n      - uses: actions/checkout@v4\n      - run: make test\n"
        for i in range(n)
    )
    _write(folder, ".github/workflows/ci.yml", "on: push\njobs:\n" + jobs)


def gen_gitlab_jobs(folder: Path, n: int) -> None:
    jobs = "".join(
        f"job{i}:\n  stage: test\n" + (f"  extends: job{i - 1}\n" if i else "") + "  script: [make test]\n"
        for i in range(n)
    )
    _write(folder, ".gitlab-ci.yml", "stages: [test]\n" + jobs)


def gen_findings(folder: Path, n: int) -> None:
    gen_documents(folder, n)


DIMENSIONS: dict[str, tuple[Callable[[Path, int], Config | None], int]] = {
    # name: (generator, base size)
    "token": (gen_token, 250_000),
    "words": (gen_words, 25_000),
    "env-words": (gen_env_words, 25_000),
    "pipeline-len": (gen_pipeline, 5_000),
    "yaml-line": (gen_yaml_line, 250_000),
    "depth": (gen_depth, 30),
    "documents": (gen_documents, 250),
    "objects": (gen_objects, 100),
    "namespaces": (gen_wide, 50),
    "unanchored": (gen_unanchored, 250),
    "kyverno": (gen_kyverno, 100),
    "config-exceptions": (gen_config_exceptions, 100),
    "helm-objects": (gen_helm_objects, 250),
    "steps": (gen_steps, 250),
    "jobs": (gen_jobs, 100),
    "gitlab-jobs": (gen_gitlab_jobs, 100),
    "findings": (gen_findings, 250),
}
CONFIG = Config(workers=1, render=RenderSettings(enabled=False))


def cpu(action: Callable[[], object], runs: int) -> tuple[float, object]:
    best, value = math.inf, None
    for _ in range(runs):
        start = time.process_time()
        value = action()
        best = min(best, time.process_time() - start)
    return best, value


def render_all(result: ScanResult) -> None:
    report = ScanReport(result=result, paths=["bench"], tool_version="bench")
    for fmt in (OutputFormat.JSON, OutputFormat.SARIF, OutputFormat.TEXT, OutputFormat.HTML):
        renderer_for(fmt).render(report)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dimension", action="append", choices=sorted(DIMENSIONS))
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--stages", action="store_true", help="also time the renderers on each result")
    args = parser.parse_args()
    scan_paths([tempfile.gettempdir() + "/does-not-exist"], CONFIG)  # imports and rule registry, untimed
    print("| dimension | sizes (n) | scan CPU seconds | last doubling exponent |")
    print("|---|---|---|---:|")
    for name in args.dimension or list(DIMENSIONS):
        generate, base = DIMENSIONS[name]
        sizes = [max(1, int(base * args.scale)) * 2**k for k in range(args.steps)]
        if name == "depth":
            sizes = [min(s, 250) for s in sizes]
        times: list[float] = []
        render_times: list[float] = []
        for n in sizes:
            with tempfile.TemporaryDirectory() as tmp:
                config = generate(Path(tmp), n) or CONFIG
                seconds, result = cpu(lambda tmp=tmp, config=config: scan_paths([tmp], config), args.runs)
                assert isinstance(result, ScanResult)
                if result.errors:
                    print(f"  {name} n={n}: {[e.display() for e in result.errors][:2]}", file=sys.stderr)
                times.append(seconds)
                if args.stages or name == "findings":
                    render_times.append(cpu(lambda result=result: render_all(result), args.runs)[0])
        exponent = math.log2(times[-1] / times[-2]) if len(times) > 1 and times[-2] > 0 else float("nan")
        print(f"| {name} | {', '.join(f'{s:,}' for s in sizes)} | {', '.join(f'{t:.2f}' for t in times)} "
              f"| {exponent:.2f} |")
        if render_times:
            exponent = (math.log2(render_times[-1] / render_times[-2])
                        if len(render_times) > 1 and render_times[-2] > 0 else float("nan"))
            print(f"| {name} (render json, sarif, text, html) | {', '.join(f'{s:,}' for s in sizes)} "
                  f"| {', '.join(f'{t:.2f}' for t in render_times)} | {exponent:.2f} |")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
