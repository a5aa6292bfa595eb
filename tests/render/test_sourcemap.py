"""Locating a field of a rendered Helm object in its template: one index per template gives the
line a search of the template text from the ``kind:`` line gives."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from cnsmm.render.sourcemap import TemplateIndex, template_line


def _search(template: str, kind: str, path: tuple[object, ...], limit: int = 4000) -> int:
    """The line by searching the text key after key (what the index must agree with)."""
    lines = template.splitlines()
    kind_re = re.compile(rf"^\s*kind:\s*[\"']?{re.escape(kind)}[\"']?\s*(?:#.*)?$")
    found = next((n for n, line in enumerate(lines) if kind_re.match(line)), -1)
    for step in path:
        if isinstance(step, int):
            continue
        key_re = re.compile(rf"^\s*(?:-\s+)?[\"']?{re.escape(str(step))}[\"']?\s*:")
        hit = next((n for n in range(found + 1, min(len(lines), found + 1 + limit)) if key_re.match(lines[n])), None)
        if hit is None:
            break
        found = hit
    return found + 1 if found >= 0 else 1


_KEYS = ["metadata", "name", "spec", "containers", "securityContext", "image", "labels", "app.kubernetes.io/name"]
_LINE = st.one_of(
    st.builds(lambda ind, dash, q, k, v: f"{' ' * ind}{'- ' if dash else ''}{q}{k}{q}: {v}",
              st.integers(0, 6), st.booleans(), st.sampled_from(["", '"', "'"]), st.sampled_from(_KEYS),
              st.sampled_from(["", "x", "{{ .Values.x }}", '"a: b"'])),
    st.builds(lambda ind, k, c: f"{' ' * ind}kind: {k}{c}", st.integers(0, 2),
              st.sampled_from(["Deployment", "Service", '"Pod"']), st.sampled_from(["", "  # note"])),
    st.sampled_from(["---", "{{- if .Values.enabled }}", "{{- end }}", "", "# comment: x"]),
)


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(_LINE, max_size=40), kind=st.sampled_from(["Deployment", "Service", "Pod", "Job"]),
       path=st.lists(st.one_of(st.sampled_from(_KEYS), st.integers(0, 2)), max_size=6))
def test_index_gives_the_line_of_a_search_of_the_text(lines: list[str], kind: str, path: list[object]) -> None:
    template = "\n".join(lines) + "\n"
    index = TemplateIndex(template)
    assert index.line(kind, tuple(path)) == _search(template, kind, tuple(path))
    assert template_line(template, kind, tuple(path)) == _search(template, kind, tuple(path))


def test_key_search_stays_within_its_window() -> None:
    template = "kind: Deployment\n" + "x: 1\n" * 5000 + "spec:\n"
    assert TemplateIndex(template).line("Deployment", ("spec",)) == 1
    assert _search(template, "Deployment", ("spec",)) == 1
