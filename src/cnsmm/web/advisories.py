"""Links to public advisories for the vulnerability and weakness ids a finding carries.

The store keeps ids, not the tools' long descriptions; these links take a reader to the
authoritative text. Only ids of exactly the known shapes become links.
"""

from __future__ import annotations

import re

_LINKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"CVE-\d{4}-\d{4,7}"), "https://nvd.nist.gov/vuln/detail/{}"),
    (re.compile(r"GHSA(-[23456789cfghjmpqrvwx]{4}){3}"), "https://github.com/advisories/{}"),
    (re.compile(r"CWE-(\d{1,5})"), "https://cwe.mitre.org/data/definitions/{1}.html"),
)


def advisory_links(*fields: str | None) -> list[tuple[str, str]]:
    """(id, URL) for every known id among the space-separated ``fields``, without repeats."""
    links: list[tuple[str, str]] = []
    seen: set[str] = set()
    for field in fields:
        for token in (field or "").split():
            ident = token.strip(",;")
            if ident in seen:
                continue
            for pattern, template in _LINKS:
                m = pattern.fullmatch(ident)
                if m:
                    seen.add(ident)
                    links.append((ident, template.format(ident, *m.groups())))
                    break
    return links
