"""Split the shell scripts of ``RUN`` instructions into simple commands.

Not a shell: enough structure for rules to ask "which programs run, with which words, and
what pipes into what". Words keep their quotes removed; redirections are dropped;
``sudo``/``env``/variable assignments in front of a program are unwrapped (the assignments
are kept in :attr:`Command.env`; a line of bare assignments is a command with an empty name);
``sh -c '...'`` scripts are split as well.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from cnsmm.sources import shellwords

_SEPARATORS = frozenset({";", "&&", "||", "&", "(", ")", ";;", "{", "}", "\n"})
_PIPES = frozenset({"|", "|&"})
_REDIRECTS = frozenset({">", ">>", "<", ">&", "&>", "<&", "<<", "<<<", "<>", ">|", "&>>", "<<-"})
_WRAPPERS = frozenset({"time", "nohup", "exec", "command", "builtin", "then", "do", "else", "if",
                       "while", "until", "!"})
SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "busybox"})
"""Programs that run a script given on standard input or with ``-c``."""
MAX_PIPED_FROM = 64
"""Most upstream programs remembered for one command of a pipeline."""


@dataclass(frozen=True, slots=True)
class Command:
    """One simple command of a script."""

    name: str
    """Program base name (``/usr/bin/apt-get`` -> ``apt-get``); empty for bare assignments."""
    args: tuple[str, ...]
    """Words after the program."""
    sudo: bool = False
    """Run through ``sudo`` or ``doas``."""
    piped_from: tuple[str, ...] = ()
    """Names of the programs piping into this one, in order (the nearest
    :data:`MAX_PIPED_FROM` of a longer pipeline, so that the work stays linear in its length)."""
    env: tuple[tuple[str, str], ...] = ()
    """Variable assignments in front of the program (``VAR=value cmd``, ``env VAR=value cmd``),
    or the assignments of a line that runs no program (``VAR=value``)."""

    def has(self, *options: str) -> bool:
        """True when one of ``options`` is among the args (``-y`` also matches ``-qy``)."""
        for arg in self.args:
            if arg in options:
                return True
            if arg.startswith("-") and not arg.startswith("--"):
                short = {f"-{c}" for c in arg[1:]}
                if short & {o for o in options if len(o) == 2 and o[0] == "-"}:
                    return True
        return False

    def operands(self) -> list[str]:
        """Args that are not options (do not start with ``-``)."""
        return [a for a in self.args if not a.startswith("-")]


def _tokens(line: str) -> list[str]:
    try:
        return shellwords.split(line, punctuation=";&|()<>")
    except ValueError:
        return line.replace(";", " ; ").replace("|", " | ").split()


def _unwrap(words: list[str]) -> tuple[list[str], bool, tuple[tuple[str, str], ...]]:
    sudo = False
    env: list[tuple[str, str]] = []
    i, n = 0, len(words)
    while i < n:
        word = words[i]
        head = word.rsplit("/", 1)[-1]
        name, eq, value = word.partition("=")
        if eq and name.isidentifier():
            env.append((name, value))
            i += 1
        elif head in ("sudo", "doas"):
            sudo = True
            i += 1
            while i < n and words[i].startswith("-"):
                takes_value = words[i] in ("-u", "-g", "-U", "-C", "-h", "-p", "-r", "-t")
                i += 2 if takes_value else 1
        elif head == "env":
            i += 1
            while i < n and words[i].startswith("-"):
                i += 1
        elif head in _WRAPPERS:
            i += 1
        else:
            break
    return words[i:], sudo, tuple(env)


def _logical_lines(script: str) -> Iterator[str]:
    pending = ""
    for raw in script.split("\n"):
        line = raw.rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        text = (pending + line).strip()
        pending = ""
        if text and not text.startswith("#"):
            yield text
    if pending.strip():
        yield pending.strip()


@lru_cache(maxsize=4096)
def split_script(script: str) -> tuple[Command, ...]:
    """Simple commands of ``script`` in order, nested ``sh -c`` scripts included."""
    result: list[Command] = []
    for line in _logical_lines(script):
        tokens = _tokens(line)
        words: list[str] = []
        upstream: list[str] = []
        i = 0
        while i <= len(tokens):
            token = tokens[i] if i < len(tokens) else ";"
            if token in _REDIRECTS:
                i += 2 if i + 1 < len(tokens) and tokens[i + 1] not in ("(",) else 1
                continue
            if token in _SEPARATORS or token in _PIPES:
                unwrapped, sudo, env = _unwrap(words)
                if not unwrapped and env:
                    result.append(Command("", (), sudo, tuple(upstream), env))
                if unwrapped:
                    name = unwrapped[0].rsplit("/", 1)[-1]
                    command = Command(name, tuple(unwrapped[1:]), sudo, tuple(upstream), env)
                    result.append(command)
                    if name in SHELLS and "-c" in command.args:
                        index = command.args.index("-c")
                        if index + 1 < len(command.args):
                            result.extend(split_script(command.args[index + 1]))
                    if name == "su" and "-c" in command.args:  # usually drops privileges
                        index = command.args.index("-c")
                        if index + 1 < len(command.args):
                            result.extend(split_script(command.args[index + 1]))
                    upstream = [*upstream[-(MAX_PIPED_FROM - 1):], name] if token in _PIPES else []
                elif token not in _PIPES:
                    upstream = []
                words = []
            elif not (token.isdigit() and i + 1 < len(tokens) and tokens[i + 1] in _REDIRECTS):
                words.append(token)
            i += 1
    return tuple(result)
