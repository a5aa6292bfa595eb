"""The project's named vocabulary: every closed set of words that crosses a module boundary.

Each is a ``str`` enum, so a member compares equal to its value (``InputErrorKind.PARSE ==
"parse"``) and serialises as that value in JSON, SARIF and the store. Add a word here, not as
a string literal where it is used.
"""

from __future__ import annotations

import enum


class InputErrorKind(str, enum.Enum):
    """Why an input, or part of one, was not checked (``errors[].kind`` in the JSON output)."""

    PARSE = "parse"
    """The text is not valid YAML, JSON, Dockerfile or pipeline syntax."""
    SIZE = "size"
    """The file is larger than the configured limit."""
    BINARY = "binary"
    """The file holds NUL bytes."""
    ENCODING = "encoding"
    """The text is neither UTF-8 nor UTF-16 with a byte-order mark."""
    UNREADABLE = "unreadable"
    """The file or folder cannot be opened (permissions, broken link)."""
    SYMLINK_LOOP = "symlink-loop"
    """A symbolic link points back into a folder being walked."""
    NOT_FOUND = "not-found"
    """A path given on the command line does not exist."""
    ALIAS_BOMB = "alias-bomb"
    """YAML aliases expand beyond the node limit."""
    DEPTH = "depth"
    """YAML nested deeper than the limit."""
    INTERNAL = "internal"
    """A rule raised an exception: a bug in cnsmm, reported once per rule."""
    TIMEOUT = "timeout"
    """Processing the file took longer than the per-file time budget."""

    def __str__(self) -> str:
        return self.value
