"""One way to register plugins: rules, capability detectors and report formats.

Each family keeps a :class:`Registry`: registering checks the id against the family's pattern,
refuses a second plugin with the same id, and checks every requirement id the plugin claims to
evidence against the shipped maturity model, so a typo fails when the module is imported (and
so in the tests), with the nearest ids in the message. A registry is a read-only mapping from id
to plugin that lists in a stable order: sorted by id, or in registration order where order
carries meaning (report formats are tried in that order).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Generic, TypeVar

T = TypeVar("T")


class RegistryError(ValueError):
    """A plugin was registered badly: a malformed or duplicate id, an unknown requirement, missing text."""


def known_requirements() -> frozenset[str]:
    """Ids of every requirement of the shipped model."""
    from cnsmm.model.loader import load_model

    return frozenset(load_model().requirements)


def check_requirements(owner: str, requirements: Iterable[str]) -> None:
    """Raise :class:`RegistryError` when ``owner`` (``rule K8S-001``) names a requirement id that
    the shipped model does not have."""
    known = known_requirements()
    for req in requirements:
        if req not in known:
            near = difflib.get_close_matches(req, sorted(known), n=3)
            tip = f" (did you mean {', '.join(near)}?)" if near else " (see docs/model.md for the ids)"
            raise RegistryError(f"{owner}: requirement {req!r} is not in the maturity model{tip}")


class Registry(Mapping[str, T], Generic[T]):
    """Plugins of one family by id."""

    def __init__(self, family: str, id_pattern: re.Pattern[str], *, example: str, sort: bool = True,
                 id_rule: str = "") -> None:
        self.family = family
        """What the plugins are, for messages (``rule``, ``detector``, ``report format``)."""
        self.id_pattern = id_pattern
        self.id_rule = id_rule or f"does not match {id_pattern.pattern}"
        """What is wrong with an id that does not match, for messages."""
        self.example = example
        """A well-formed id, shown when an id does not match."""
        self.sort = sort
        """List by id (True) or in registration order (False)."""
        self._items: dict[str, T] = {}

    def register(self, plugin_id: str, plugin: T, *, requirements: Iterable[str] = ()) -> T:
        """Add ``plugin`` under ``plugin_id``; raises :class:`RegistryError` on a bad registration."""
        self.check(plugin_id, requirements=requirements)
        self._items[plugin_id] = plugin
        return plugin

    def check(self, plugin_id: str, *, requirements: Iterable[str] = ()) -> None:
        """Raise :class:`RegistryError` when ``plugin_id`` could not be registered: malformed, taken,
        or claiming a requirement the model does not have."""
        if not self.id_pattern.match(plugin_id):
            raise RegistryError(f"{self.family} id {plugin_id!r} {self.id_rule} (expected e.g. {self.example!r})")
        if plugin_id in self._items:
            raise RegistryError(f"{self.family} id {plugin_id!r} is registered twice")
        check_requirements(f"{self.family} {plugin_id}", requirements)

    def unregister(self, plugin_id: str) -> None:
        """Remove a plugin (for tests that register a temporary one)."""
        self._items.pop(plugin_id, None)

    def __getitem__(self, plugin_id: str) -> T:
        return self._items[plugin_id]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items) if self.sort else list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Registry({self.family!r}, {len(self)} plugins)"
