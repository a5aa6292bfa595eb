"""What the GitHub alert APIs (Dependabot, code scanning) share: pages, states, repositories."""

from __future__ import annotations

import re
from typing import IO, Any

from cnsmm.importers._common import PROJECT, fail, type_name
from cnsmm.importers._simple import load_pages

OPEN = "open"
"""The alert state that is a problem; ``dismissed``, ``fixed`` and ``auto_dismissed`` are not."""

_REPO = re.compile(r"^https?://([^/]+)/([^/]+)/([^/]+)/security/")
_API_REPO = re.compile(r"^https?://([^/]+)/repos/([^/]+)/([^/]+)/")


def alerts(stream: IO[bytes], source: str, what: str) -> list[tuple[str, list[Any]]]:
    """The alert arrays of the file, one per page (``gh api --paginate`` output, or a JSON
    array of pages as ``--slurp`` writes), with each page's JSON pointer prefix."""
    pages = load_pages(stream, source)
    if len(pages) == 1 and isinstance(pages[0], list) and pages[0] and all(isinstance(p, list) for p in pages[0]):
        return [(f"{i}/", page) for i, page in enumerate(pages[0])]  # --slurp: an array of pages
    out = []
    for i, page in enumerate(pages, 1):
        if not isinstance(page, list):
            where = source if len(pages) == 1 else f"{source}: page #{i}"
            raise fail(where, f"the {what} API answers with a JSON array of alerts (got {type_name(page)})",
                       hint="Save the body of GET /repos/OWNER/REPO/" + ("dependabot" if "Dependabot" in what
                                                                          else "code-scanning") + "/alerts")
        out.append(("" if len(pages) == 1 else f"page{i}/", page))
    return out


def repository(alert: dict[str, Any]) -> str | None:
    """``host/owner/repo`` of an alert, from ``repository`` (organisation endpoints) or its URLs."""
    repo = alert.get("repository")
    if isinstance(repo, dict):
        url = repo.get("html_url")
        if isinstance(url, str) and (m := re.match(r"^https?://([^/]+)/([^/]+)/([^/]+)", url)):
            return "/".join(m.groups())
        name = repo.get("full_name")
        if isinstance(name, str) and name:
            return f"github.com/{name}"
    url = alert.get("html_url")
    if isinstance(url, str) and (m := _REPO.match(url)):
        return "/".join(m.groups())
    url = alert.get("url")
    if isinstance(url, str) and (m := _API_REPO.match(url)):
        host = "github.com" if m.group(1) == "api.github.com" else m.group(1)
        return f"{host}/{m.group(2)}/{m.group(3)}"
    return None


def scope(pages: list[tuple[str, list[Any]]]) -> str:
    """``repo:<host>/<owner>/<repo>`` when every alert is of one repository (alerts of every
    state name it, so an export with all alerts fixed still has it); ``org:<host>/<owner>`` for
    one owner's repositories; else ``project``."""
    repos = {r for _, page in pages for a in page if isinstance(a, dict) and (r := repository(a))}
    if len(repos) == 1:
        return f"repo:{repos.pop()}"
    owners = {r.rsplit("/", 1)[0] for r in repos}
    if len(owners) == 1:
        return f"org:{owners.pop()}"
    return PROJECT
