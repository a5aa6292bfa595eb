#!/usr/bin/env python3
"""Regenerate every generated page of docs/ (``make docs``), or check that they are current.

    .venv/bin/python scripts/gen_docs.py           # rewrite the pages
    .venv/bin/python scripts/gen_docs.py --check   # exit 1 and name the stale pages

Each page is the output of the command named at its top; tests/test_generated_docs.py runs the
check, so a rule, detector or model change without its regenerated page fails the tests.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PAGES: dict[str, tuple[str, ...]] = {
    "docs/rules.md": ("-m", "cnsmm", "rules", "--format", "markdown"),
    "docs/capabilities.md": ("-m", "cnsmm.capabilities"),
    "docs/model.md": ("-m", "cnsmm", "model", "--format", "markdown"),
}
"""Every generated page, with the Python arguments that print it."""


def generate(page: str) -> str:
    """The current text of ``page``, from the command that generates it."""
    proc = subprocess.run([sys.executable, *PAGES[page]], cwd=ROOT, capture_output=True, text=True,
                          encoding="utf-8", check=False, timeout=300)
    if proc.returncode != 0:
        raise SystemExit(f"{page}: `python {' '.join(PAGES[page])}` failed:\n{proc.stderr}")
    return proc.stdout


def stale_pages() -> list[str]:
    """Pages whose committed text differs from what the code generates."""
    return [p for p in PAGES if (ROOT / p).read_text(encoding="utf-8") != generate(p)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report stale pages (exit 1 when any)")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_pages()
        for page in stale:
            print(f"{page} is stale: run `make docs`", file=sys.stderr)
        return 1 if stale else 0
    for page in PAGES:
        (ROOT / page).write_text(generate(page), encoding="utf-8")
        print(f"wrote {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
