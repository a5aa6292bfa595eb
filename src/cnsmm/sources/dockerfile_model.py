"""The parsed Dockerfile: stages of instructions that keep their lines.

Built by :func:`cnsmm.sources.dockerfile.parse`; rules receive a :class:`Dockerfile`.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from cnsmm.imageref import ImageRef, parse_image
from cnsmm.sources._dockerfile_syntax import Comment, Heredoc
from cnsmm.sources.interface import InputError

__all__ = ["Dockerfile", "ImageRef", "Instruction", "Stage", "parse_image"]


@dataclass(frozen=True, slots=True)
class Instruction:
    """One instruction with its lines, flags, form and expanded arguments."""

    keyword: str
    """Upper-case instruction name."""
    line: int
    """First line (1-based)."""
    end_line: int
    """Last line, including continuation lines and heredoc bodies."""
    args: str
    """Arguments after the flags, continuations joined, not expanded."""
    flags: tuple[tuple[str, str | None], ...] = ()
    """``--name=value`` options in order; ``None`` for a bare ``--name``."""
    exec_form: tuple[str, ...] | None = None
    """The JSON array for exec form; ``None`` for shell form."""
    heredocs: tuple[Heredoc, ...] = ()
    """Heredoc bodies opened by this instruction."""
    expanded: str = ""
    """``args`` with ARG/ENV values substituted (same as ``args`` where the builder does not)."""
    resolved: bool = True
    """False when ``expanded`` used a variable whose value is unknown."""
    stage: int = -1
    """Index of the build stage; -1 for ``ARG`` before the first ``FROM``."""
    onbuild: Instruction | None = None
    """The wrapped instruction of ``ONBUILD``."""

    def flag(self, name: str) -> str | None:
        """Value of the last ``--name`` flag; ``""`` for a bare flag; ``None`` when absent."""
        value = None
        for key, flag_value in self.flags:
            if key.lower() == name:
                value = flag_value if flag_value is not None else ""
        return value

    @property
    def script(self) -> str:
        """Shell text a ``RUN`` executes: the arguments plus heredoc bodies, or the quoted exec words."""
        if self.exec_form is not None:
            return shlex.join(self.exec_form)
        return "\n".join([self.args, *(h.body for h in self.heredocs)])


@dataclass(frozen=True, slots=True)
class Stage:
    """One build stage, from its ``FROM`` to the next."""

    index: int
    name: str | None
    """``AS`` name, lower-cased as the builder matches it."""
    base: str
    """Base image text as written (may contain ``$VAR``)."""
    image: str
    """Base after global ARG substitution."""
    resolved: bool
    """False when ``image`` depends on a build argument without default."""
    platform: str | None
    parent: int | None
    """Index of the earlier stage this one builds on (``FROM builder``), else None."""
    from_instruction: Instruction
    instructions: tuple[Instruction, ...]
    """Instructions after ``FROM``."""

    @property
    def line(self) -> int:
        """Line of the ``FROM``."""
        return self.from_instruction.line

    def of(self, *keywords: str, onbuild: bool = False) -> Iterator[Instruction]:
        """Instructions of this stage with one of ``keywords``; with ``onbuild``, also the
        instructions that ``ONBUILD`` wraps (they run in every image built from this one)."""
        for i in self.instructions:
            if i.keyword in keywords:
                yield i
            elif onbuild and i.onbuild is not None and i.onbuild.keyword in keywords:
                yield i.onbuild


@dataclass(frozen=True)
class Dockerfile:
    """A parsed Dockerfile."""

    file: str
    directives: Mapping[str, str]
    """Parser directives (``syntax``, ``escape``, ``check``) by lower-case name."""
    escape: str
    global_args: tuple[Instruction, ...]
    """``ARG`` instructions before the first ``FROM``."""
    stages: tuple[Stage, ...]
    comments: tuple[Comment, ...]
    errors: tuple[InputError, ...]
    has_dockerignore: bool | None = None
    """Whether a ``.dockerignore`` sits next to the file; None when unknown."""

    @property
    def final_stage(self) -> Stage | None:
        """The last stage (what ``docker build`` produces without ``--target``)."""
        return self.stages[-1] if self.stages else None

    def instructions(self, *, onbuild: bool = False) -> Iterator[Instruction]:
        """Every instruction in file order, ``FROM`` included; with ``onbuild``, each
        ``ONBUILD`` is replaced by the instruction it wraps."""
        yield from self.global_args
        for stage in self.stages:
            yield stage.from_instruction
            for inst in stage.instructions:
                yield inst.onbuild if onbuild and inst.onbuild is not None else inst

    def lineage(self, stage: Stage) -> list[Stage]:
        """``stage`` and the stages it builds on (``FROM builder``), nearest first."""
        chain = [stage]
        while chain[-1].parent is not None and len(chain) <= len(self.stages):
            chain.append(self.stages[chain[-1].parent or 0])
        return chain

    def stage_named(self, ref: str, before: int) -> Stage | None:
        """Stage ``ref`` (name, any case, or index) defined before stage ``before``."""
        for stage in self.stages[:before]:
            if stage.name == ref.lower() or (ref.isdigit() and stage.index == int(ref)):
                return stage
        return None
