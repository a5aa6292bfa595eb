"""Credential shapes shared by the Dockerfile, Kubernetes and pipeline rules.

One table, so that a token format added here is recognised in every kind of file. Labels
are bare nouns ("AWS access key id"); :func:`with_article` makes them read in a sentence.
"""

from __future__ import annotations

import math
import re
from collections import Counter

SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")),
    ("AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})")),
    ("GitLab token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}")),
    ("Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("Stripe live key", re.compile(r"\b[sr]k_live_[0-9A-Za-z]{20,}")),
    ("npm token", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b")),
    ("JSON Web Token", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
)
"""Value shapes that are credentials wherever they appear, most specific first."""


def shape_of(text: str) -> str | None:
    """The label of the first credential shape found in ``text``, or None."""
    for label, pattern in SHAPES:
        if pattern.search(text):
            return label
    return None


def entropy(text: str) -> float:
    """Shannon entropy in bits per character (0 for the empty string)."""
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values()) if n else 0.0


def with_article(label: str) -> str:
    """``AWS access key id`` -> ``an AWS access key id``."""
    return ("an " if label[:1].upper() in "AEIOU" else "a ") + label
