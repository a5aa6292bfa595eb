"""Coverage-guided fuzzing of cnsmm's input parsers (atheris/libFuzzer), one target at a time.

    python scripts/fuzz.py --list
    python scripts/fuzz.py --budget 3 --jobs 2                    # the short run of .ci/run
    python scripts/fuzz.py --runs 1000000 --budget 0 --keep-going  # the long campaign
    python scripts/fuzz.py yaml 'import-trivy*' --budget 600

Each target (``tests/fuzz/targets.py``) runs in its own process under libFuzzer, starting
from its seeds (the parser's test fixtures) plus the corpus kept from earlier runs in
``WORK/corpus/TARGET``. Every input has a time limit (``--timeout``) and the process a memory
limit (``--rss-limit-mb``): an exception other than the parser's documented input error, an
input that runs longer than the limit, or memory beyond it is a failure, saved as
``WORK/artifacts/TARGET/{crash,timeout,oom}-SHA1``. Replay one with
``python -m tests.fuzz.driver TARGET FILE``; then add it to ``tests/fuzz/regressions/TARGET/``
(``tests/fuzz/test_targets.py`` replays that folder) and fix the parser.

Exit status: 0 when no target failed, 1 when one did, 2 on a usage error. ``--summary``
writes the executions, time and failures per target as JSON.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_UNITS = re.compile(r"stat::number_of_executed_units:\s*(\d+)")
_DONE = re.compile(r"Done (\d+) runs in")
_ARTIFACT = re.compile(r"Test unit written to (\S+)")


@dataclass
class Outcome:
    """What one target's run did."""

    target: str
    executions: int = 0
    seconds: float = 0.0
    corpus: int = 0
    failures: list[str] = field(default_factory=list)
    """Artifact files of the crashes, hangs and memory blow-ups found."""


def _names() -> list[str]:
    sys.path.insert(0, str(ROOT))
    from tests.fuzz.targets import targets

    return list(targets())


def _write_seeds(name: str, folder: Path) -> int:
    from tests.fuzz.targets import regressions, targets

    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    seeds = [*targets()[name].seeds(), *(p.read_bytes() for p in regressions(name))]
    for data in seeds:
        path = folder / hashlib.sha1(data, usedforsecurity=False).hexdigest()
        if not path.exists():
            path.write_bytes(data)
        count += 1
    return count


def _run_once(name: str, args: argparse.Namespace, work: Path, runs: int, seconds: float) -> tuple[int, str, int]:
    """One libFuzzer process; returns (executions, artifact or "", exit status)."""
    corpus, seeds, artifacts = work / "corpus" / name, work / "seeds" / name, work / "artifacts" / name
    for folder in (corpus, artifacts):
        folder.mkdir(parents=True, exist_ok=True)
    from tests.fuzz.targets import targets

    max_len = args.max_len or targets()[name].max_len
    flags = [
        f"-timeout={args.timeout}",
        f"-rss_limit_mb={args.rss_limit_mb}",
        f"-max_len={max_len}",
        f"-artifact_prefix={artifacts}/",
        "-print_final_stats=1",
    ]
    if runs > 0:
        flags.append(f"-runs={runs}")
    if seconds > 0:
        flags.append(f"-max_total_time={max(1, int(seconds))}")
    command = [sys.executable, "-m", "tests.fuzz.driver", name, *flags, str(corpus), str(seeds)]
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    log = work / "logs" / f"{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as out:
        out.write(f"$ {' '.join(command)}\n")
        out.flush()
        proc = subprocess.run(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
    text = log.read_text(errors="replace").rsplit("$ ", 1)[-1]
    units = _UNITS.findall(text) or _DONE.findall(text)
    artifact = _ARTIFACT.findall(text)
    return (int(units[-1]) if units else 0), (artifact[-1] if artifact else ""), proc.returncode


def _failure_report(name: str, work: Path, artifact: str) -> str:
    """The end of the target's log (the traceback, or libFuzzer's timeout or memory report), the
    input in base64 when it is short, and how to replay it: enough to reproduce from a CI log."""
    import base64

    lines = (work / "logs" / f"{name}.log").read_text(errors="replace").rsplit("$ ", 1)[-1].splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(("Traceback", "=== Uncaught", "==")) and
                  "INFO" not in line), max(0, len(lines) - 30))
    shown = lines[start:]
    if len(shown) > 60:  # a long traceback: its first lines and its end, where the error is
        shown = [*shown[:10], "...", *shown[-50:]]
    out = ["    " + line for line in shown]
    if artifact and Path(artifact).is_file():
        data = Path(artifact).read_bytes()
        if len(data) <= 4096:
            out.append(f"    input (base64): {base64.b64encode(data).decode()}")
        out.append(f"    replay: python -m tests.fuzz.driver {name} {artifact}")
    return "\n".join(out)


def fuzz_target(name: str, args: argparse.Namespace, work: Path) -> Outcome:
    """Fuzz one target for its budget (restarting after a failure with ``--keep-going``)."""
    outcome = Outcome(name)
    seeds = _write_seeds(name, work / "seeds" / name)
    start = time.monotonic()
    while True:
        left_runs = args.runs - outcome.executions if args.runs else 0
        left_time = args.budget - (time.monotonic() - start) if args.budget else 0
        if (args.runs and left_runs <= 0) or (args.budget and left_time < 1):
            break
        done, artifact, status = _run_once(name, args, work, left_runs, left_time)
        outcome.executions += done
        if status == 0:
            break
        outcome.failures.append(artifact or f"exit status {status}, see {work / 'logs' / (name + '.log')}")
        print(f"{name}: FAILURE {outcome.failures[-1]}\n{_failure_report(name, work, artifact)}", flush=True)
        if not args.keep_going or not artifact:
            break
    outcome.seconds = round(time.monotonic() - start, 1)
    outcome.corpus = sum(1 for _ in (work / "corpus" / name).iterdir())
    rate = outcome.executions / outcome.seconds if outcome.seconds else 0
    print(f"{name}: {outcome.executions} executions in {outcome.seconds} s ({rate:.0f}/s), "
          f"{seeds} seeds, corpus {outcome.corpus}, {len(outcome.failures)} failure(s)", flush=True)
    return outcome


def table(summaries: list[str]) -> str:
    """A Markdown table adding up the executions, fuzzing time and failures per target of
    several ``--summary`` files (the pieces of a long campaign)."""
    rows: dict[str, list[float]] = {}
    for file in summaries:
        for item in json.loads(Path(file).read_text()):
            row = rows.setdefault(item["target"], [0, 0.0, 0, 0])
            row[0] += item["executions"]
            row[1] += item["seconds"]
            row[2] = max(row[2], item["corpus"])
            row[3] += len(item["failures"])
    out = ["| Target | Executions | Seconds | Executions/s | Corpus | Failures |",
           "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, (runs, seconds, corpus, failures) in rows.items():
        rate = runs / seconds if seconds else 0
        out.append(f"| {name} | {int(runs):,} | {seconds:,.0f} | {rate:,.0f} | {int(corpus)} | {int(failures)} |")
    total = sum(r[0] for r in rows.values())
    out.append(f"| **all {len(rows)} targets** | **{int(total):,}** | {sum(r[1] for r in rows.values()):,.0f} | | | "
               f"{int(sum(r[3] for r in rows.values()))} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, fuzz the chosen targets, print a summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("targets", nargs="*", help="target names or glob patterns (default: all)")
    parser.add_argument("--list", action="store_true", help="list the targets and exit")
    parser.add_argument("--budget", type=float, default=5.0, help="seconds per target (0: no time limit)")
    parser.add_argument("--runs", type=int, default=0, help="executions per target (0: until the budget is spent)")
    parser.add_argument("--jobs", type=int, default=1, help="targets fuzzed in parallel (one core each)")
    parser.add_argument("--timeout", type=int, default=10, help="seconds one input may take (default 10)")
    parser.add_argument("--rss-limit-mb", type=int, default=2048, help="memory limit of a target process")
    parser.add_argument("--max-len", type=int, default=0, help="longest generated input (default: per target)")
    parser.add_argument("--work", default=str(ROOT / ".fuzz"), help="corpus, artifacts and logs (default .fuzz/)")
    parser.add_argument("--keep-going", action="store_true", help="after a failure, go on fuzzing that target")
    parser.add_argument("--summary", help="write the per-target results to this JSON file")
    parser.add_argument("--add-up", nargs="+", metavar="SUMMARY",
                        help="print a Markdown table adding up these --summary files, and exit")
    args = parser.parse_args(argv)
    if args.add_up:
        print(table(args.add_up))
        return 0
    names = _names()
    if args.list:
        print("\n".join(names))
        return 0
    if not args.budget and not args.runs:
        parser.error("give --budget or --runs (or both)")
    try:
        import atheris  # noqa: F401
    except ImportError:
        print("atheris is not installed: pip install -e '.[fuzz]'", file=sys.stderr)
        return 2
    chosen = names if not args.targets else list(dict.fromkeys(  # in the order given
        n for pattern in args.targets for n in names if fnmatch.fnmatch(n, pattern)))
    if not chosen:
        parser.error(f"no target matches {args.targets}; see --list")
    work = Path(args.work)
    outcomes: list[Outcome] = []

    def one(name: str) -> Outcome:
        outcome = fuzz_target(name, args, work)
        outcomes.append(outcome)
        if args.summary:  # after every target, so that a campaign stopped early is recorded
            Path(args.summary).write_text(json.dumps([asdict(o) for o in outcomes], indent=2) + "\n")
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        outcomes_in_order = list(pool.map(one, chosen))
    outcomes = outcomes_in_order
    total = sum(o.executions for o in outcomes)
    failed = [o for o in outcomes if o.failures]
    print(f"{len(outcomes)} targets, {total} executions, {len(failed)} with failures"
          + "".join(f"\n  {o.target}: {', '.join(o.failures)}" for o in failed))
    if args.summary:
        Path(args.summary).write_text(json.dumps([asdict(o) for o in outcomes], indent=2) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
