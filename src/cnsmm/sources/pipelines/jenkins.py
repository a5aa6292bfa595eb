"""Jenkinsfile: a tolerant scanner, not a Groovy parser.

It finds ``stage('...') { ... }`` blocks by brace matching (strings and comments are masked
first, so braces inside them do not count), ``sh``/``bat``/``powershell`` steps with their
string argument, plugin steps of security tools, agent images, ``withCredentials`` bindings,
``environment { X = credentials('id') }`` and ``catchError``/``warnError`` blocks. Declarative
and scripted pipelines are read the same way; what it cannot recognise it skips.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, replace

from cnsmm.sources.pipelines.model import Image, Job, Pipeline, Step


@dataclass(frozen=True, slots=True)
class _Str:
    start: int
    end: int
    quote: str
    body: str


def _mask(text: str) -> tuple[str, list[_Str]]:
    """Text with comments blanked and string bodies replaced by spaces; plus the strings."""
    out = list(text)
    strings: list[_Str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out[i:j] = " " * (j - i)
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out[i:j] = [ch if ch == "\n" else " " for ch in text[i:j]]
            i = j
        elif c in "'\"":
            quote = text[i : i + 3] if text.startswith(c * 3, i) else c
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                if len(quote) == 1 and text[j] == "\n":
                    break
                j += 2 if text[j] == "\\" else 1
            body_end = min(j, n)
            strings.append(_Str(i, body_end + len(quote), quote, text[i + len(quote) : body_end]))
            out[i + len(quote) : body_end] = [
                ch if ch == "\n" else " " for ch in text[i + len(quote) : body_end]
            ]
            i = body_end + len(quote)
        else:
            i += 1
    return "".join(out), strings


def _close(skel: str, start: int, open_ch: str = "{", close_ch: str = "}") -> int:
    """Offset just after the bracket matching the one at ``start`` (end of text if unmatched)."""
    depth = 0
    for i in range(start, len(skel)):
        if skel[i] == open_ch:
            depth += 1
        elif skel[i] == close_ch:
            depth -= 1
            if depth == 0:
                return i + 1
    return len(skel)


_STAGE = re.compile(r"\bstage\s*\(\s*(?:name\s*:\s*)?(['\"])")
_SHELL = re.compile(r"\b(sh|bat|powershell|pwsh)\b\s*(\(?)")
_PLUGIN = re.compile(
    r"\b(withSonarQubeEnv|waitForQualityGate|dependencyCheck|dependencyCheckPublisher|snykSecurity"
    r"|anchore|grypeScan|recordIssues|zapAttack|neuvector|prismaCloudScanImage|aquaMicroscanner)\b"
)
_CREDS_BLOCK = re.compile(r"\bwithCredentials\s*\(\s*\[")
_CRED_VAR = re.compile(
    r"\b(?:variable|usernameVariable|passwordVariable|keyFileVariable|passphraseVariable|tokenVariable)"
    r"\s*:\s*['\"](\w+)['\"]"
)
_ENV_CRED = re.compile(r"\b(\w+)\s*=\s*credentials\s*\(")
_SOFT_BLOCK = re.compile(r"\b(catchError|warnError)\b\s*(\([^)]*\))?\s*\{")
_DOCKER_IMAGE = re.compile(
    r"\bdocker\s*\{[^}]*?\bimage\s+(['\"])([^'\"]+)\1|\bdocker\s+(['\"])([^'\"]+)\3"
    r"|\bdocker\.image\s*\(\s*(['\"])([^'\"]+)\5"
)
_LABEL = re.compile(r"\blabel\s+['\"]([^'\"]+)['\"]")
_TRIGGERS = (
    (re.compile(r"\bcron\s*\("), "schedule"),
    (re.compile(r"\bpollSCM\s*\("), "push"),
    (re.compile(r"\b(githubPush|bitbucketPush|gitlab)\s*\("), "push"),
    (re.compile(r"\bchangeRequest\s*\("), "pull_request"),
    (re.compile(r"\bGenericTrigger\s*\("), "webhook"),
    (re.compile(r"\bupstream\s*\("), "pipeline"),
)


class _Text:
    def __init__(self, text: str) -> None:
        self.text = text
        self.skel, self.strings = _mask(text)
        self.starts = [s.start for s in self.strings]
        self.newlines = [i for i, ch in enumerate(text) if ch == "\n"]

    def line(self, offset: int) -> int:
        return bisect.bisect_left(self.newlines, offset) + 1

    def string_at(self, offset: int) -> _Str | None:
        k = bisect.bisect_left(self.starts, offset)
        return self.strings[k] if k < len(self.strings) and self.strings[k].start == offset else None

    def next_string(self, offset: int, limit: int) -> _Str | None:
        k = bisect.bisect_left(self.starts, offset)
        return self.strings[k] if k < len(self.strings) and self.strings[k].start < limit else None

    def block_after(self, offset: int) -> tuple[int, int] | None:
        brace = self.skel.find("{", offset)
        if brace < 0 or self.skel[offset:brace].strip(" \t\r\n)"):
            return None
        return brace, _close(self.skel, brace)


def _soft_spans(t: _Text) -> list[tuple[int, int, str]]:
    """``catchError``/``warnError`` blocks that do not fail the build (offset range, step name)."""
    out = []
    for m in _SOFT_BLOCK.finditer(t.skel):
        if re.search(r"buildResult\s*:\s*['\"]FAILURE", t.text[m.start():m.end()]):
            continue
        out.append((m.end() - 1, _close(t.skel, m.end() - 1), m.group(1)))
    return out


def _shell_steps(t: _Text) -> list[tuple[int, Step]]:
    steps: list[tuple[int, Step]] = []
    for m in _SHELL.finditer(t.skel):
        args = ""
        if m.group(2):
            end = _close(t.skel, m.end() - 1, "(", ")")
            args = t.text[m.end() : end - 1]
            s = re.search(r"\bscript\s*:\s*", t.skel[m.end() : end])
            pos = m.end() + s.end() if s else m.end()
            string = t.next_string(pos, end)
        else:
            string = t.string_at(m.end())
        if string is None:
            continue
        soft = "returnStatus: true" if re.search(r"returnStatus\s*:\s*true", args) else None
        steps.append(
            (
                m.start(),
                Step(
                    line=t.line(m.start()),
                    name=m.group(1),
                    run=string.body,
                    run_line=t.line(string.start),
                    interpolated=string.quote.startswith('"') and "$" in string.body,
                    soft=soft,
                    soft_line=t.line(m.start()) if soft else 0,
                ),
            )
        )
    for m in _PLUGIN.finditer(t.skel):
        end = len(t.skel)
        after = t.skel[m.end() : m.end() + 1]
        if after == "(":
            end = _close(t.skel, m.end(), "(", ")")
        else:
            nl = t.skel.find("\n", m.end())
            end = nl if nl >= 0 else end
        steps.append(
            (
                m.start(),
                Step(
                    line=t.line(m.start()),
                    name=m.group(1),
                    uses=m.group(1),
                    uses_line=t.line(m.start()),
                    inputs={"args": t.text[m.end() : end]},
                ),
            )
        )
    steps.sort(key=lambda s: s[0])
    return steps


def parse(text: str, file: str) -> Pipeline:
    """A Jenkinsfile (declarative or scripted)."""
    t = _Text(text)
    stages = []
    for m in _STAGE.finditer(t.skel):
        name = t.string_at(m.end() - 1)
        span = t.block_after(_close(t.skel, t.skel.find("(", m.start()), "(", ")"))
        if name is not None and span is not None:
            stages.append((span[0], span[1], name.body, t.line(m.start())))
    creds: list[tuple[int, int, tuple[str, ...]]] = []
    for m in _CREDS_BLOCK.finditer(t.skel):
        close = _close(t.skel, m.end() - 1, "[", "]")
        names = tuple(_CRED_VAR.findall(t.text[m.end() : close]))
        span = t.block_after(_close(t.skel, t.skel.find("(", m.start()), "(", ")"))
        if span is not None:
            creds.append((span[0], span[1], names))
    for m in _ENV_CRED.finditer(t.skel):
        scope = [s for s in stages if s[0] <= m.start() < s[1]]
        lo, hi = (scope[-1][0], scope[-1][1]) if scope else (0, len(text))
        n = m.group(1)
        creds.append((lo, hi, (n, f"{n}_USR", f"{n}_PSW")))
    soft_spans = _soft_spans(t)
    by_stage: dict[int, list[Step]] = {}
    for offset, found in _shell_steps(t):
        names = tuple(n for a, b, ns in creds if a <= offset < b for n in ns)
        soft = found.soft or next((f"{w} block" for a, b, w in soft_spans if a <= offset < b), None)
        soft_line = found.soft_line or (found.line if soft else 0)
        step = replace(found, credentials=names, soft=soft, soft_line=soft_line)
        inner = [i for i, s in enumerate(stages) if s[0] <= offset < s[1]]
        by_stage.setdefault(inner[-1] if inner else -1, []).append(step)
    images = [
        Image(m.group(2) or m.group(4) or m.group(6), t.line(m.start()))
        for m in _DOCKER_IMAGE.finditer(t.text)
        if t.skel[m.start() : m.start() + 6] == t.text[m.start() : m.start() + 6]
    ]
    labels = tuple(_LABEL.findall(t.text))
    jobs: list[Job] = []
    if -1 in by_stage or images:
        jobs.append(
            Job(
                id="(pipeline)",
                line=1,
                steps=tuple(by_stage.get(-1, ())),
                images=tuple(images),
                runs_on=labels,
            )
        )
    for i, (_, _, stage_name, line) in enumerate(stages):
        jobs.append(Job(id=stage_name, line=line, name=stage_name, steps=tuple(by_stage.get(i, ()))))
    events = sorted({ev for rx, ev in _TRIGGERS if rx.search(t.skel)} | {"push"})
    return Pipeline(file=file, system="jenkins", text=text, events=tuple(events), jobs=tuple(jobs))


def looks_like_jenkins(text: str) -> bool:
    """Content rule: ``pipeline {`` with ``stages``/``agent``, or ``node`` with ``stage(``."""
    if re.search(r"^\s*pipeline\s*\{", text, re.MULTILINE) and re.search(r"\b(stages|agent)\b", text):
        return True
    return bool(re.search(r"^\s*node\s*(\([^)]*\))?\s*\{", text, re.MULTILINE) and _STAGE.search(text))
