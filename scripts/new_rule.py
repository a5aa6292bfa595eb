#!/usr/bin/env python3
"""Scaffold a new rule: the next free id, a rule module with its metadata and a starter check,
and pass/fail fixtures with their ``# expect:`` markers.

    .venv/bin/python scripts/new_rule.py k8s env-insecure-flag \\
        --title "Container turns off TLS verification" --requirement PLT.RUN.L2.1

The starter check and fixtures work as they are (the fixture tests pass), so the rule can be
grown test first: change the fixtures to the real bad and good cases, then the check, then the
texts (what, why, fix, examples, references), and regenerate the docs with ``make docs``.
See CONTRIBUTING.md.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Group:
    """Where the rules of one target live and what a starter rule of it looks like."""

    prefix: str
    folder: str
    scope: str
    imports: str
    targets: str
    check: str
    fail_name: str
    fail: str
    good_name: str
    passing: str


GROUPS = {
    "k8s": Group(
        prefix="K8S", folder="k8s", scope="CONTAINER",
        imports="from cnsmm.kube import truthy\nfrom cnsmm.rules.k8s._common import WORKLOADS, where\n"
                "from cnsmm.sources.k8s import Container\n",
        targets="WORKLOADS",
        check='''def {func}(c: Container, ctx: RuleContext) -> Iterator[Hit]:
    # Starter logic: replace it (and the fixtures) with the real check.
    env = c.get("env")
    for index, var in enumerate(env if isinstance(env, list) else []):
        if isinstance(var, dict) and var.get("name") == "EXAMPLE_INSECURE" and truthy(var.get("value")):
            yield Hit(f"{{where(c)}} sets EXAMPLE_INSECURE=true", (*c.path, "env", index))
''',
        fail_name="insecure.yaml",
        fail='''# {id} fail: a container sets EXAMPLE_INSECURE to true.
apiVersion: v1
kind: Pod
metadata: {{name: web, namespace: shop}}
spec:
  containers:
    - name: web
      image: registry.example.com/shop/web:1.0
      env:
        # expect-next: {id}
        - name: EXAMPLE_INSECURE
          value: "true"
''',
        good_name="secure.yaml",
        passing='''# {id} pass: EXAMPLE_INSECURE is false.
apiVersion: v1
kind: Pod
metadata: {{name: web, namespace: shop}}
spec:
  containers:
    - name: web
      image: registry.example.com/shop/web:1.0
      env:
        - name: EXAMPLE_INSECURE
          value: "false"
''',
    ),
    "docker": Group(
        prefix="DKR", folder="docker", scope="DOCKERFILE",
        imports="from cnsmm.sources.dockerfile_model import Dockerfile\n",
        targets='("Dockerfile",)',
        check='''def {func}(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    # Starter logic: replace it (and the fixtures) with the real check.
    for ins in df.instructions():
        if ins.keyword == "LABEL" and "example.insecure=true" in ins.expanded:
            yield Hit("the image is labelled example.insecure=true", line=ins.line)
''',
        fail_name="insecure.Dockerfile",
        fail='''# {id} fail: the image carries the example.insecure=true label.
FROM alpine:3.20
LABEL example.insecure=true  # expect: {id}
USER 10001
''',
        good_name="secure.Dockerfile",
        passing='''# {id} pass: no example.insecure label.
FROM alpine:3.20
LABEL example.insecure=false
USER 10001
''',
    ),
    "ci": Group(
        prefix="CI", folder="ci", scope="PIPELINE",
        imports="from cnsmm.sources.pipelines.model import SYSTEMS, Pipeline\n",
        targets="SYSTEMS",
        check='''def {func}(p: Pipeline, ctx: RuleContext) -> Iterator[Hit]:
    # Starter logic: replace it (and the fixtures) with the real check.
    for job in p.jobs:
        for step in job.steps:
            if step.run and "--example-insecure" in step.run:
                yield Hit(f"job {{job.id}} runs a command with --example-insecure", line=step.run_line or step.line)
''',
        fail_name="github/.github/workflows/ci.yml",
        fail='''# {id} fail: a step runs a command with --example-insecure.
on: push
permissions: {{}}
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - run: make build --example-insecure  # expect: {id}
''',
        good_name="github/.github/workflows/ci.yml",
        passing='''# {id} pass: no --example-insecure flag.
on: push
permissions: {{}}
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - run: make build
''',
    ),
}

_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_MODULE = re.compile(r"^[a-z][a-z0-9_]*$")


class ScaffoldError(Exception):
    """A scaffold request that cannot be carried out; the message says why."""


def _rule_sources(root: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted((root / "src/cnsmm/rules").rglob("*.py")))


def next_id(root: Path, prefix: str) -> str:
    """The next free id of ``prefix``: one above every id in the rule modules and fixture folders."""
    used = {int(n) for n in re.findall(rf'"{prefix}-(\d{{3}})"', _rule_sources(root))}
    used |= {int(p.name.split("-")[1]) for p in (root / "tests/fixtures/rules").glob(f"{prefix}-[0-9][0-9][0-9]")}
    return f"{prefix}-{max(used, default=0) + 1:03d}"


def known_requirements(root: Path) -> set[str]:
    """Requirement ids of the model file of ``root``."""
    text = (root / "src/cnsmm/model/cnmm-tas.yaml").read_text(encoding="utf-8")
    return set(re.findall(r"\bid:\s*['\"]?([A-Z]+\.[A-Z]+\.L\d\.\d+)\b", text))


def scaffold(root: Path, group_name: str, name: str, title: str, requirements: list[str],
             module: str | None = None, severity: str = "medium") -> list[Path]:
    """Write the rule and its fixtures under ``root``; returns the files written."""
    group = GROUPS[group_name]
    if not _NAME.match(name):
        raise ScaffoldError(f"name {name!r} is not kebab-case (expected e.g. 'env-insecure-flag')")
    if f'name="{name}"' in _rule_sources(root):
        raise ScaffoldError(f"a rule named {name!r} exists already; names are unique")
    known = known_requirements(root)
    unknown = [r for r in requirements if r not in known]
    if not requirements or unknown:
        raise ScaffoldError(f"requirement ids {unknown or '(none)'} are not in the model "
                            "(give at least one --requirement from docs/model.md)")
    module = module or name.replace("-", "_")
    if not _MODULE.match(module):
        raise ScaffoldError(f"module {module!r} is not a Python module name")
    rule_id = next_id(root, group.prefix)
    func = "check_" + name.replace("-", "_")
    path = root / "src/cnsmm/rules" / group.folder / f"{module}.py"
    reqs = ", ".join(f'"{r}"' for r in requirements) + ("," if len(requirements) == 1 else "")
    block = f'''

@rule(RuleMeta(
    id="{rule_id}", name="{name}", title="{title}",
    severity=Severity.{severity.upper()}, scope=Scope.{group.scope}, targets={group.targets},
    requirements=({reqs}),
    what="TODO: what the rule flags, precisely.",
    why="TODO: why it matters: what an attacker or an accident can do.",
    fix="TODO: how to fix it.",
    bad="TODO: a short failing example",
    good="TODO: the same example fixed",
    references=("TODO: a standard (CIS, NSA-CISA, Pod Security Standards) or CWE",),
))
{group.check.format(func=func)}'''
    written = []
    if path.exists():
        text = path.read_text(encoding="utf-8")
        missing = [line for line in _header(group).splitlines() if line.startswith("from ") and line not in text]
        if missing:
            raise ScaffoldError(f"{path}: add these imports first, or pick a new module: {'; '.join(missing)}")
        path.write_text(text.rstrip("\n") + "\n" + block, encoding="utf-8")
    else:
        path.write_text(f'"""{title}."""\n' + _header(group) + block, encoding="utf-8")
    written.append(path)
    for outcome, rel, body in (("fail", group.fail_name, group.fail), ("pass", group.good_name, group.passing)):
        target = root / "tests/fixtures/rules" / rule_id / outcome / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body.format(id=rule_id), encoding="utf-8")
        written.append(target)
    return written


def _header(group: Group) -> str:
    imports = sorted({"from cnsmm.findings import Severity",
                      "from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule",
                      *group.imports.splitlines()})
    return "\n".join(["", "from __future__ import annotations", "", "from collections.abc import Iterator", "",
                      *imports, ""])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0],
                                     formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("group", choices=sorted(GROUPS), help="what the rule checks: k8s, docker or ci")
    parser.add_argument("name", help="kebab-case name of the bad pattern (e.g. env-insecure-flag)")
    parser.add_argument("--title", required=True, help="one-line title")
    parser.add_argument("--requirement", action="append", default=[], required=True,
                        help="CNMM-TAS requirement id the rule evidences (repeatable)")
    parser.add_argument("--module", help="module of rules/<group>/ to add the rule to (default: from the name)")
    parser.add_argument("--severity", default="medium", choices=["info", "low", "medium", "high", "critical"])
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        written = scaffold(args.root, args.group, args.name, args.title, args.requirement, args.module,
                           args.severity)
    except ScaffoldError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path.relative_to(args.root)}")
    rule_id = written[1].relative_to(args.root / "tests/fixtures/rules").parts[0]
    print(f"\nNext: make the fixtures the real bad and good cases, write the check, replace every TODO of "
          f"{rule_id}, then run\n  .venv/bin/python -m pytest tests/rules/test_fixtures.py -k {rule_id}\n  make docs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
