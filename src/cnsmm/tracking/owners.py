"""Who owns a finding: owner rules from a YAML file, then CODEOWNERS.

Owner rules (``--owners FILE``), first matching rule wins::

    owners:
      - owner: team-payments
        paths: ["services/payments/**", "charts/payments/"]
        images: ["registry.example.com/payments/*"]
        namespaces: ["payments", "payments-*"]
        labels: {team: payments}

A rule matches when any of its conditions does. CODEOWNERS (``--codeowners FILE``) follows
GitHub's syntax: the last matching line wins and its first owner is taken.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

import yaml

from cnsmm.errors import ConfigError
from cnsmm.tracking.fingerprint import normalise_image, normalise_path


def glob_to_regex(pattern: str) -> re.Pattern[str]:
    """Compile a gitignore/CODEOWNERS style path pattern.

    A pattern with a ``/`` other than at its end is anchored at the repository root; one
    without matches at any depth. A match on a directory covers everything below it, except
    for patterns ending in ``/*`` (GitHub: ``docs/*`` does not match ``docs/a/b.md``).
    """
    anchored = "/" in pattern.rstrip("/")
    body = pattern.strip("/")
    out: list[str] = []
    i = 0
    while i < len(body):
        if body.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif body.startswith("**", i):
            out.append(".*")
            i += 2
        elif body[i] == "*":
            out.append("[^/]*")
            i += 1
        elif body[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(body[i]))
            i += 1
    prefix = "^" if anchored else "^(?:.*/)?"
    suffix = "$" if pattern.endswith("/*") else "(?:/.*)?$"
    return re.compile(prefix + "".join(out) + suffix)


@dataclass(frozen=True)
class OwnerRule:
    """One owner rule of the YAML file."""

    owner: str
    paths: tuple[re.Pattern[str], ...] = ()
    images: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()

    def matches(self, path: str, image: str, namespace: str, labels: Mapping[str, str]) -> bool:
        """True when any condition of the rule matches."""
        if path and any(p.match(path) for p in self.paths):
            return True
        if image and any(fnmatchcase(image, pat) for pat in self.images):
            return True
        if namespace and any(fnmatchcase(namespace, pat) for pat in self.namespaces):
            return True
        return any(labels.get(k) == v for k, v in self.labels)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"{where}: expected a string or a list of strings (got {type(value).__name__})")


def _image_pattern(pattern: str) -> str:
    """An image glob in the form of :func:`normalise_image` output (no default registry)."""
    if any(c in pattern for c in "*?["):
        ref = pattern.strip().lower()
        for prefix in ("index.docker.io/", "docker.io/"):
            ref = ref.removeprefix(prefix)
        return ref.removeprefix("library/")
    return normalise_image(pattern)


def parse_owner_rules(data: object, source: str) -> tuple[OwnerRule, ...]:
    """Validate the parsed YAML of an owners file (``{"owners": [...]}`` or a bare list)."""
    items = data.get("owners") if isinstance(data, dict) else data
    if items is None:
        return ()
    if not isinstance(items, list):
        raise ConfigError(f"{source}: expected a list under 'owners'", hint="See docs/tracking.md, Owners")
    rules = []
    for n, item in enumerate(items, 1):
        where = f"{source}: owner rule #{n}"
        if not isinstance(item, dict) or not isinstance(item.get("owner"), str) or not item["owner"].strip():
            raise ConfigError(f"{where}: 'owner' is missing or not a string", hint="Give each rule an owner")
        unknown = set(item) - {"owner", "paths", "images", "namespaces", "labels"}
        if unknown:
            raise ConfigError(
                f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}",
                hint="Use owner, paths, images, namespaces and labels",
            )
        labels = item.get("labels") or {}
        if not isinstance(labels, dict):
            raise ConfigError(f"{where}: 'labels' must be a mapping of label to value")
        rules.append(
            OwnerRule(
                owner=item["owner"].strip(),
                paths=tuple(glob_to_regex(p) for p in _strings(item.get("paths"), f"{where}: paths")),
                images=tuple(_image_pattern(i) for i in _strings(item.get("images"), f"{where}: images")),
                namespaces=_strings(item.get("namespaces"), f"{where}: namespaces"),
                labels=tuple((str(k), str(v)) for k, v in labels.items()),
            )
        )
    return tuple(rules)


def load_owner_file(text: str, source: str) -> object:
    """Parse an owners YAML file (validated by :func:`parse_owner_rules`)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{source}{line}: invalid YAML: {exc}", hint="Fix the owners file") from None
    parse_owner_rules(data, source)
    return data


def parse_codeowners(text: str) -> tuple[tuple[re.Pattern[str], str | None], ...]:
    """Parse CODEOWNERS: (pattern, first owner or None) per line, in file order."""
    entries = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or line.startswith("["):
            continue
        line = re.split(r"(?<!\\)\s#", line, maxsplit=1)[0]
        fields = line.split()
        pattern = fields[0].replace("\\#", "#")
        if "[" in pattern or pattern.startswith("!"):
            continue  # not supported by GitHub either: the line is ignored
        entries.append((glob_to_regex(pattern), fields[1] if len(fields) > 1 else None))
    return tuple(entries)


class OwnerResolver:
    """Finds the owner of a finding from owner rules, then CODEOWNERS."""

    def __init__(self, rules: tuple[OwnerRule, ...] = (), codeowners: str | None = None) -> None:
        self.rules = rules
        self.codeowners = parse_codeowners(codeowners) if codeowners else ()
        self._cache: dict[tuple[str, str, str], str | None] = {}

    def __bool__(self) -> bool:
        return bool(self.rules or self.codeowners)

    def owner(
        self,
        file: str | None,
        image: str | None,
        resource: str | None,
        labels: Mapping[str, str] | None = None,
    ) -> str | None:
        """The owner, or None when nothing matches."""
        if not self:
            return None
        key = (file or "", image or "", resource or "")
        if labels is None and key in self._cache:
            return self._cache[key]
        path = normalise_path(file)
        parts = (resource or "").split("/")
        namespace = parts[1] if len(parts) == 3 else ""
        found = next(
            (r.owner for r in self.rules if r.matches(path, normalise_image(image), namespace, labels or {})),
            None,
        )
        if found is None and path:
            for pattern, owner in self.codeowners:
                if pattern.match(path):
                    found = owner
        if labels is None and len(self._cache) < 100_000:
            self._cache[key] = found
        return found

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> OwnerResolver:
        """Resolver from a project's stored ``owners`` and ``codeowners`` settings."""
        rules = parse_owner_rules(settings.get("owners"), "project owner rules")
        codeowners = settings.get("codeowners")
        return cls(rules, codeowners if isinstance(codeowners, str) else None)
