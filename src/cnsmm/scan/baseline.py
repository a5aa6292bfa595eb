"""Baselines: accept today's findings so that only new ones fail a build.

A baseline entry identifies a finding without its line number: the finding identity of
:mod:`cnsmm.identity` (rule, normalised file path, resource, image, message without line
references), the same one SARIF fingerprints and the tracker use, so that edits above a
finding do not make it "new". Identical findings are matched by count.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from cnsmm.errors import ConfigError
from cnsmm.findings import Finding
from cnsmm.identity import digest, finding_id, identity_parts

SCHEMA = "cnsmm-baseline"
_LINE = re.compile(r"\bline \d+")
_WRITTEN_LINE = re.compile(r"\bline N\b")
"""How entries write a line reference (``line N``); read back as one so that it is dropped too."""


def baseline_key(f: Finding) -> str:
    """Line-independent identity of a finding (:func:`cnsmm.identity.finding_id`)."""
    return finding_id(f)


def _entry_key(e: dict[str, Any]) -> str:
    message = _WRITTEN_LINE.sub("line 0", str(e.get("message") or ""))
    return digest(identity_parts(str(e["rule"]), e.get("file"), e.get("resource"), e.get("image"), message,
                                 e.get("build")))


def write_baseline(findings: list[Finding]) -> str:
    """The baseline file content for ``findings``."""
    entries = [
        {"rule": f.rule, "file": f.location.file, "resource": f.location.resource,
         "message": _LINE.sub("line N", f.message), **({"image": f.location.image} if f.location.image else {}),
         **({"build": f.location.build} if f.location.build else {})}
        for f in sorted(findings, key=Finding.sort_key)
    ]
    return json.dumps({"schema": SCHEMA, "version": 1, "findings": entries}, indent=2, ensure_ascii=False) + "\n"


def load_baseline(path: str) -> Counter[str]:
    """Read a baseline file into a multiset of keys."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: baseline file not found", hint="Create it with `cnsmm baseline PATH -o FILE`"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: not a readable baseline ({exc})") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(data.get("findings"), list):
        raise ConfigError(f"{path}: not a cnsmm baseline (expected schema {SCHEMA!r} with a findings list)")
    keys: Counter[str] = Counter()
    for i, e in enumerate(data["findings"], start=1):
        if not isinstance(e, dict) or not e.get("rule"):
            raise ConfigError(f"{path}: baseline entry #{i} has no rule")
        keys[_entry_key(e)] += 1
    return keys


def apply_baseline(findings: list[Finding], keys: Counter[str]) -> tuple[list[Finding], int]:
    """Findings not covered by the baseline, and how many were."""
    remaining = Counter(keys)
    new: list[Finding] = []
    matched = 0
    for f in findings:
        key = baseline_key(f)
        if remaining[key] > 0:
            remaining[key] -= 1
            matched += 1
        else:
            new.append(f)
    return new, matched
