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
    ("GitLab token", re.compile(r"\bgl(?:pat|ptt|dt|rt|soat|cbt)-[A-Za-z0-9_-]{20,}")),
    ("Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("Stripe live key", re.compile(r"\b[sr]k_live_[0-9A-Za-z]{20,}")),
    ("npm token", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b")),
    ("JSON Web Token", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("OpenAI API key", re.compile(
        r"\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}|\bsk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}"
    )),
    ("Anthropic API key", re.compile(r"\bsk-ant-(?:api|admin)[0-9]{2}-[A-Za-z0-9_-]{80,}")),
    ("SendGrid API key", re.compile(r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}")),
    ("Hugging Face token", re.compile(r"\bhf_[A-Za-z]{34}\b")),
    ("DigitalOcean token", re.compile(r"\bdo[por]_v1_[a-f0-9]{64}\b")),
    ("PyPI token", re.compile(r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}")),
    ("HashiCorp Vault token", re.compile(r"\bhv[sb]\.[A-Za-z0-9_-]{24,}")),
    ("Grafana token", re.compile(r"\bglsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}\b|\bglc_[A-Za-z0-9+/]{32,}")),
    ("Shopify token", re.compile(r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b")),
    ("Databricks token", re.compile(r"\bdapi[a-f0-9]{32}\b")),
    ("Slack webhook URL", re.compile(r"https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]{20,}")),
    ("Azure storage account key", re.compile(r"AccountKey=[A-Za-z0-9+/]{86}==")),
    ("bearer token", re.compile(r"\b[Bb]earer\s+(?![$%{<])[A-Za-z0-9._~+/-]{20,}=*")),
    ("HTTP Basic credential", re.compile(r"\bBasic\s+[A-Za-z0-9+/]{16,}={0,2}(?![A-Za-z0-9+/=])")),
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
