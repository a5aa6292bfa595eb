"""Reading shell commands: logical lines, simple commands, program and arguments.

A command text is cut into logical lines (backslash continuations joined, comments dropped),
then into simple commands at ``&&``, ``||``, ``;`` and ``|``. Each simple command is read as
*program + arguments* after dropping wrappers (``sudo``, ``env``, ``VAR=x``, ``npx``,
``python -m``, ``go run`` ...).
"""

from __future__ import annotations

import re

from cnsmm.sources import shellwords

SOFT_FLAG = re.compile(
    r"(?:^|\s)(--exit-code[= ]0\b|--soft-fail\b|--soft_fail\b|--no-fail\b|-no-fail\b|--exit-zero\b"
    r"|--continue-on-error\b|--ignore-on-exit[= ]\S+|--fail-on[= ]none\b|--audit-level[= ]none\b"
    r"|--no-exit-on-(?:warn|error)\b|-I\b)"
)
"""Arguments that make a scanner exit 0 on findings (documented in docs/pipelines.md)."""

_WRAPPERS = {"sudo", "time", "exec", "nohup", "command", "npx", "uvx", "bunx", "xargs"}
_TWO_WORD_WRAPPERS = {
    ("pipx", "run"),
    ("bundle", "exec"),
    ("poetry", "run"),
    ("pdm", "run"),
    ("uv", "run"),
    ("pnpm", "dlx"),
    ("pnpm", "exec"),
    ("yarn", "dlx"),
    ("hatch", "run"),
    ("pipenv", "run"),
}
_PY = {"python", "python3", "py", "python3.11", "python3.12"}


def _strip_comment(line: str) -> str:
    """The line without a trailing `` # comment`` (a ``#`` after blank, outside quotes)."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and i > 0 and line[i - 1] in " \t":
            return line[:i].rstrip()
    return line


def logical_lines(text: str) -> list[str]:
    """Lines of a script with backslash continuations joined; comment lines dropped."""
    out: list[str] = []
    buf = ""
    for raw in text.splitlines():
        line = raw.rstrip()
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        line = buf + line
        buf = ""
        if line.strip() and not line.lstrip().startswith("#"):
            out.append(_strip_comment(line))
    if buf.strip():
        out.append(buf)
    return out


def tokens(segment: str) -> list[str]:
    """Words of a simple command (shell quoting applied when it parses, else split on blanks)."""
    try:
        return shellwords.split(segment, comments=True)
    except ValueError:
        return segment.split()


def _base(word: str) -> str:
    word = word.rsplit("/", 1)[-1]
    if word.startswith("@") or ("@" in word and not word.startswith("-")):
        word = word.split("@")[0] or word.lstrip("@").split("@")[0]
    for suffix in (".py", ".sh", ".exe", ".jar"):
        word = word.removesuffix(suffix)
    return word.lower()


def program(tokens: list[str]) -> tuple[str, list[str]]:
    """Program name (basename, lower case) and its arguments, wrappers removed."""
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        low = tok.lower()
        if (
            re.match(r"^[A-Za-z_]\w*=", tok)
            or low in _WRAPPERS
            or low == "env"
            or (low.startswith("-") and i > 0 and tokens[i - 1].lower() in _WRAPPERS)
        ):
            i += 1
            continue
        if i + 1 < len(tokens) and (low, tokens[i + 1].lower()) in _TWO_WORD_WRAPPERS:
            i += 2
            continue
        if _base(tok) in _PY and i + 2 < len(tokens) and tokens[i + 1] == "-m":
            return _base(tokens[i + 2]).replace("_", "-"), tokens[i + 3 :]
        if low == "go" and i + 2 < len(tokens) and tokens[i + 1] == "run":
            return _base(tokens[i + 2]), tokens[i + 3 :]
        return _base(tok), tokens[i + 1 :]
    return "", []


def segments(line: str) -> list[tuple[str, str | None]]:
    """Simple commands of one logical line, each with an explicit soft-fail marker or None."""
    parts = re.split(r"(\|\||&&|;|\|(?!\|))", line)
    out: list[tuple[str, str | None]] = []
    for k in range(0, len(parts), 2):
        seg = parts[k].strip()
        if not seg:
            continue
        soft = None
        if k + 2 < len(parts) and parts[k + 1] == "||":
            nxt = parts[k + 2].strip()
            if nxt in ("true", ":", "exit 0", "/bin/true") or nxt.startswith("echo"):
                soft = f"|| {nxt.split()[0] if nxt.startswith('echo') else nxt}"
        out.append((seg, soft))
    return out
