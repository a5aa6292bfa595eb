"""POSIX-style word splitting in linear time, with the results of :mod:`shlex`.

:func:`split` gives the same words as ``shlex.shlex(text, posix=True,
punctuation_chars=punctuation)`` with ``whitespace_split = True`` (and ``commenters = "#"``
when ``comments`` is true, ``""`` otherwise), and raises :class:`ValueError` with the same
messages where that lexer does (an unterminated quote: ``No closing quotation``; a backslash
at the very end: ``No escaped character``). It is what ``shlex.split(text, comments=...)``
returns when ``punctuation`` is empty.

Why not :mod:`shlex` itself: it reads one character at a time and grows each token by string
concatenation on an attribute, which copies the token on every character, so one long word
costs time quadratic in its length (a 1 MB word takes about half a minute, 10 MB many
minutes). Here the text is cut into runs by one regular expression (plain text, blanks,
quoted strings, escapes, punctuation, comments) and each word is joined once, so the work is
linear in the length of the text whatever the shape of its words.

The rules, as shlex applies them: blanks are space, tab, CR and LF (other whitespace belongs
to words); single quotes keep everything literally; inside double quotes a backslash escapes
only ``"`` and ``\\`` (otherwise it stays, with the character after it); outside quotes a
backslash keeps the next character, newline included; an empty quoted string is a word;
a run of punctuation characters is one word; with ``comments``, ``#`` starts a comment
anywhere outside quotes (also inside a word) that ends at the end of the line.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["split"]

_BLANKS = " \t\r\n"


@lru_cache(maxsize=8)
def _special(punctuation: str, comments: bool) -> re.Pattern[str]:
    return re.compile("['\"\\\\" + re.escape(punctuation) + ("#" if comments else "") + "]")


_WORD = re.compile(r"[^ \t\r\n]+")


@lru_cache(maxsize=8)
def _pattern(punctuation: str, comments: bool) -> re.Pattern[str]:
    special = _BLANKS + "'\"\\" + punctuation + ("#" if comments else "")
    plain = "[^" + re.escape(special) + "]++"
    parts = [
        rf"(?P<blank>[{re.escape(_BLANKS)}]++)",
        rf"(?P<plain>{plain})(?P<end>[{re.escape(_BLANKS)}]++|\Z)?",
        r"'(?P<single>[^']*+)'",
        r'"(?P<double>[^"\\]*+(?:\\[\s\S][^"\\]*+)*+)"',
        r"\\(?P<escaped>[\s\S])",
    ]
    if punctuation:
        parts.append(rf"(?P<punct>[{re.escape(punctuation)}]++)")
    if comments:
        parts.append(r"(?P<comment>#[^\n]*+\n?)")
    parts.append(r"(?P<open>[\s\S])")  # an unterminated quote or a trailing backslash
    return re.compile("|".join(parts))


_DQ_ESCAPE = re.compile(r"\\([\s\S])")


def _unescape_double(match: re.Match[str]) -> str:
    char = match.group(1)
    return char if char in '"\\' else match.group(0)


def _error(text: str, start: int) -> ValueError:
    char = text[start]
    if char == "\\":
        return ValueError("No escaped character")
    if char == '"':
        rest = re.match(r'[^"\\]*+(?:\\[\s\S][^"\\]*+)*+', text[start + 1 :])
        assert rest is not None
        if start + 1 + rest.end() < len(text):  # stopped at a backslash that ends the text
            return ValueError("No escaped character")
    return ValueError("No closing quotation")


def split(text: str, *, punctuation: str = "", comments: bool = False) -> list[str]:
    """Words of ``text`` as :mod:`shlex` (POSIX mode, whitespace split) gives them.

    ``punctuation`` characters form words of their own (``";&|()<>"`` for shell operators);
    with ``comments``, ``#`` outside quotes starts a comment. Raises :class:`ValueError` on
    an unterminated quote or a trailing backslash.
    """
    if _special(punctuation, comments).search(text) is None:
        return _WORD.findall(text)  # nothing but words and blanks
    words: list[str] = []
    parts: list[str] = []
    in_word = False
    for match in _pattern(punctuation, comments).finditer(text):
        kind = match.lastgroup
        if kind == "end":  # a plain run, then blanks or the end of the text
            parts.append(match.group("plain"))
            words.append("".join(parts))
            parts.clear()
            in_word = False
        elif kind == "plain":
            parts.append(match.group())
            in_word = True
        elif kind in {"blank", "comment"}:
            if in_word:
                words.append("".join(parts))
                parts.clear()
                in_word = False
        elif kind == "single":
            parts.append(match.group("single"))
            in_word = True
        elif kind == "double":
            body = match.group("double")
            parts.append(_DQ_ESCAPE.sub(_unescape_double, body) if "\\" in body else body)
            in_word = True
        elif kind == "escaped":
            parts.append(match.group("escaped"))
            in_word = True
        elif kind == "punct":
            if in_word:
                words.append("".join(parts))
                parts.clear()
                in_word = False
            words.append(match.group())
        else:
            raise _error(text, match.start())
    if in_word:
        words.append("".join(parts))
    return words
