"""Compare YAML parsing paths on the same files (how cnsmm's loader was chosen).

Usage (in a throwaway venv with the candidates; they are not cnsmm dependencies):
    python3 -m venv /tmp/yamlbench && /tmp/yamlbench/bin/pip install pyyaml rapidyaml yaml-rs
    /tmp/yamlbench/bin/python benchmarks/bench_yaml_loaders.py [FOLDER]

Measures, over every .yaml/.yml/.json file of FOLDER (default ../shared/corpus), the time to
parse all documents with: PyYAML's C parser composing nodes (the classic path), PyYAML's C
parser emitting events (what cnsmm builds its line-numbered tree from), PyYAML's full C
loader, rapidyaml (tree only) and yaml-rs (Python objects, no line numbers).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "corpus"


def texts() -> list[str]:
    out = []
    for p in sorted(ROOT.rglob("*")):
        if p.is_file() and p.suffix.lower() in (".yaml", ".yml", ".json"):
            out.append(p.read_text(encoding="utf-8", errors="replace"))
    return out


def timed(name: str, fn: Callable[[str], object], data: list[str]) -> None:
    start = time.perf_counter()
    failures = 0
    for text in data:
        try:
            fn(text)
        except Exception:
            failures += 1
    print(f"{name:34} {time.perf_counter() - start:7.2f} s   ({failures} files refused)")


def main() -> None:
    data = texts()
    print(f"{len(data)} files, {sum(map(len, data)) / 1e6:.1f} MB from {ROOT}")
    timed("pyyaml C compose_all (nodes)", lambda t: list(yaml.compose_all(t, Loader=yaml.CSafeLoader)), data)
    timed("pyyaml C parse (events)", lambda t: sum(1 for _ in yaml.parse(t, Loader=yaml.CSafeLoader)), data)
    timed("pyyaml C safe_load_all (objects)", lambda t: list(yaml.load_all(t, Loader=yaml.CSafeLoader)), data)
    try:
        import ryml

        timed("rapidyaml parse_in_arena (tree)", lambda t: ryml.parse_in_arena(t.encode()), data)
    except ImportError:
        print("rapidyaml not installed")
    try:
        import yaml_rs

        timed("yaml-rs loads_all (objects)", lambda t: yaml_rs.loads(t, parse_datetime=False), data)
    except ImportError:
        print("yaml-rs not installed")
    try:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
        from cnsmm.sources.yamlload import load_yaml

        timed("cnsmm load_yaml (events + lines)", load_yaml, data)
    except ImportError:
        print("cnsmm not importable")


if __name__ == "__main__":
    main()
