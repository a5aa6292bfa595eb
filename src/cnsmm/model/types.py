"""Typed view of the CNMM-TAS model: domains, sub-items, practice items and requirements."""

from __future__ import annotations

from dataclasses import dataclass, field

from cnsmm.vocab import PIPELINE_CATEGORY_VALUES, REPORT_KIND_VALUES

LEVELS: tuple[int, ...] = (1, 2, 3, 4, 5)
"""The maturity levels, L1 to L5."""

REPORT_KINDS: tuple[str, ...] = REPORT_KIND_VALUES
"""Kinds of imported report that can evidence a requirement."""

PIPELINE_CATEGORIES: tuple[str, ...] = PIPELINE_CATEGORY_VALUES
"""Categories of CI pipeline security activity that can evidence a requirement."""

REPORT_STRENGTHS: tuple[str, ...] = ("met", "partial", "clean")
"""How far a report kind evidences a requirement (``clean``: met only without critical/high findings)."""

PIPELINE_STRENGTHS: tuple[str, ...] = ("met", "partial", "blocking", "chain")
"""How far a pipeline category evidences a requirement (``blocking``: met only when it fails the
build; ``chain``: met only when every ``chain`` category of the requirement has a blocking step,
partial while some run)."""


@dataclass(frozen=True, slots=True)
class Text:
    """A text in Chinese and English."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        """The text in ``lang`` (``zh`` or ``en``); English for any other value."""
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True, slots=True)
class Requirement:
    """One key characteristic of a level of a sub-item."""

    id: str
    """``SUBITEM.L<level>.<n>``, e.g. ``PLT.RUN.L2.1``."""
    level: int
    """1 to 5."""
    sub_item: str
    domain: str
    text: Text
    practices: tuple[str, ...]
    """Practice items this requirement evidences."""
    reports: tuple[tuple[str, str], ...] = ()
    """(report kind, strength) pairs that evidence it."""
    pipeline: tuple[tuple[str, str], ...] = ()
    """(pipeline category, strength) pairs that evidence it."""
    line: int = 0
    """Line of the requirement in the model file."""


@dataclass(frozen=True, slots=True)
class Practice:
    """A practice item (实践项): the unit that gets a level."""

    id: str
    sub_item: str
    domain: str
    name: Text
    desc_zh: str = ""


@dataclass(frozen=True, slots=True)
class SubItem:
    """A capability sub-item (能力子项); the model defines level characteristics per sub-item."""

    id: str
    domain: str
    name: Text
    practices: tuple[Practice, ...]
    requirements: tuple[Requirement, ...]

    def at_level(self, level: int) -> tuple[Requirement, ...]:
        """The requirements of exactly ``level``, in model order."""
        return tuple(r for r in self.requirements if r.level == level)


@dataclass(frozen=True, slots=True)
class Domain:
    """A capability domain (能力域)."""

    id: str
    name: Text
    desc_zh: str
    sub_items: tuple[SubItem, ...]


@dataclass(frozen=True)
class Model:
    """The whole model, with lookup tables by id."""

    version: str
    name: Text
    domains: tuple[Domain, ...]
    source: str = ""
    """File the model was loaded from."""
    requirements: dict[str, Requirement] = field(init=False, repr=False, compare=False)
    """Every requirement by id, in model order."""
    practices: dict[str, Practice] = field(init=False, repr=False, compare=False)
    """Every practice by id, in model order."""
    sub_items: dict[str, SubItem] = field(init=False, repr=False, compare=False)
    """Every sub-item by id, in model order."""

    def __post_init__(self) -> None:
        subs = {s.id: s for d in self.domains for s in d.sub_items}
        object.__setattr__(self, "sub_items", subs)
        object.__setattr__(self, "practices", {p.id: p for s in subs.values() for p in s.practices})
        object.__setattr__(self, "requirements", {r.id: r for s in subs.values() for r in s.requirements})

    def domain(self, domain_id: str) -> Domain:
        """The domain with ``domain_id``; ``KeyError`` when unknown."""
        for d in self.domains:
            if d.id == domain_id:
                return d
        raise KeyError(domain_id)

    def requirements_of(self, practice_id: str) -> tuple[Requirement, ...]:
        """The requirements mapped to a practice, in model order."""
        return tuple(r for r in self.requirements.values() if practice_id in r.practices)
