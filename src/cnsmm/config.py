"""Scan configuration: ``cnsmm.yaml`` or ``[tool.cnsmm]`` in ``pyproject.toml``.

Unknown keys and unknown rule ids are errors, never silently ignored.

.. code-block:: yaml

    rules:
      disable: [K8S-014]            # or `only: [...]` to run just these
      severity: {K8S-001: critical}
    options:                        # read by rules; see each rule's page
      trusted_registries: [registry.example.com/]
    ignore:                         # central suppressions
      - rule: K8S-003
        path: "legacy/**"
        resource: "Deployment/*/old-*"
        reason: "Decommissioned in Q1"
        expires: 2027-03-31
    exclude: ["charts/**"]          # path globs not to scan (added to the defaults)
    max_file_size: 10MB
    file_timeout: 30
    render:                         # Kustomize roots and Helm charts (docs/rendering.md)
      kustomize: /usr/local/bin/kustomize   # default: kustomize, else kubectl, on PATH
      helm: /usr/local/bin/helm             # default: helm on PATH
      timeout: 120                  # seconds per build
      helm_values: [values-prod.yaml]
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from cnsmm.errors import ConfigError
from cnsmm.findings import Severity

DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".git", ".hg", ".svn", "node_modules", "vendor", "third_party", ".venv", "venv",
    "__pycache__", ".terraform", ".tox", ".mypy_cache", ".pytest_cache",
)
"""Folder names never descended into (override with ``exclude`` / ``--exclude``)."""

DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024
DEFAULT_FILE_TIMEOUT = 30.0
"""Seconds one file may take, parsing and rules together (see :mod:`cnsmm.scan.budget`)."""
CONFIG_NAMES = ("cnsmm.yaml", "cnsmm.yml", ".cnsmm.yaml")

_TOP_KEYS = {"rules", "options", "ignore", "exclude", "max_file_size", "file_timeout", "workers", "exceptions",
             "render"}
_RULE_KEYS = {"disable", "only", "severity"}
_IGNORE_KEYS = {"rule", "path", "resource", "reason", "expires"}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class IgnoreEntry:
    """A central suppression from the config file."""

    rule: str
    """Rule id, or ``*`` for every rule."""
    reason: str
    path: str = "*"
    """Glob on the file path."""
    resource: str = "*"
    """Glob on ``Kind/namespace/name``."""
    expires: dt.date | None = None
    source: str = ""
    """Where the entry was written (``cnsmm.yaml:12``)."""

    def expired(self, today: dt.date) -> bool:
        """True once the expiry date has passed."""
        return self.expires is not None and self.expires < today


@dataclass(frozen=True, slots=True)
class RenderSettings:
    """How the scan renders Kustomize roots and Helm charts (``render:`` in the config)."""

    enabled: bool = True
    """False with ``--no-render``: files are checked as they are (patches are still skipped)."""
    kustomize: str | None = None
    """Path of ``kustomize`` or ``kubectl``; None looks on PATH (kustomize, then kubectl)."""
    helm: str | None = None
    """Path of ``helm``; None looks on PATH."""
    timeout: float = 120.0
    """Seconds one build may take."""
    helm_release: str = "release"
    """Release name given to ``helm template``."""
    helm_namespace: str | None = None
    """Namespace given to ``helm template``. None: not chosen, so the chart's objects go where
    ``helm install -n`` puts them; ``helm template`` gets ``default`` and the objects it places
    there are checked as manifests without a namespace (see :mod:`cnsmm.scan.rendered`)."""
    helm_values: tuple[str, ...] = ()
    """Values files given to every chart, in order."""
    helm_ci_values: bool = False
    """Also render each chart with each of its own ``ci/*-values.yaml`` files."""
    cache_dir: str | None = None
    """Where rendered outputs are kept; None: ``$XDG_CACHE_HOME/cnsmm/render``; ``""``: no cache."""


_RENDER_KEYS = {"enabled", "kustomize", "helm", "timeout", "helm_release", "helm_namespace", "helm_values",
                "helm_ci_values", "cache_dir"}


def _render_settings(data: Any, source: str) -> RenderSettings:
    if data is None:
        return RenderSettings()
    if not isinstance(data, dict) or set(data) - _RENDER_KEYS:
        raise ConfigError(f"{source}: `render` accepts only {', '.join(sorted(_RENDER_KEYS))}")
    try:
        timeout = float(data.get("timeout", 120))
    except (TypeError, ValueError):
        timeout = 0
    if timeout <= 0:
        raise ConfigError(f"{source}: render.timeout has value {data.get('timeout')!r}, expected seconds > 0")
    values = data.get("helm_values") or []
    if not isinstance(values, list):
        raise ConfigError(f"{source}: render.helm_values must be a list of files")
    def path(key: str) -> str | None:
        return os.path.expanduser(str(data[key])) if data.get(key) else None

    return RenderSettings(
        enabled=bool(data.get("enabled", True)),
        kustomize=path("kustomize"),
        helm=path("helm"),
        timeout=timeout,
        helm_release=str(data.get("helm_release") or "release"),
        helm_namespace=str(data["helm_namespace"]) if data.get("helm_namespace") else None,
        helm_values=tuple(os.path.expanduser(str(v)) for v in values),
        helm_ci_values=bool(data.get("helm_ci_values", False)),
        cache_dir=os.path.expanduser(str(data["cache_dir"])) if data.get("cache_dir") is not None else None,
    )


@dataclass(frozen=True)
class Config:
    """Effective settings for a scan."""

    disabled: frozenset[str] = frozenset()
    only: frozenset[str] | None = None
    severity: dict[str, Severity] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    ignore: tuple[IgnoreEntry, ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDES
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    workers: int = 0
    """Worker processes; 0 picks automatically from input size and cores."""
    source: str | None = None
    exceptions: tuple[Any, ...] = ()
    """``exceptions:`` entries (``cnsmm.capabilities.exceptions.ExtraException``)."""
    render: RenderSettings = field(default_factory=RenderSettings)
    """Kustomize and Helm rendering."""
    file_timeout: float = DEFAULT_FILE_TIMEOUT
    """Seconds one file may take before it is skipped as a ``timeout`` input error; 0 = no limit."""

    def rule_enabled(self, rule_id: str) -> bool:
        """Whether a rule runs under this configuration."""
        if self.only is not None:
            return rule_id in self.only
        return rule_id not in self.disabled


def parse_size(value: Any, where: str) -> int:
    """``10MB``, ``512k``, ``1048576`` -> bytes."""
    if isinstance(value, int) and value > 0:
        return value
    match = _SIZE_RE.match(str(value))
    if not match:
        raise ConfigError(f"{where}: max_file_size has value {value!r}, expected a size such as 10MB")
    number = float(match.group(1))
    unit = (match.group(2) or "b").lower()[0]
    factor = {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit]
    return int(number * factor)


def parse_timeout(value: Any, where: str) -> float:
    """``file_timeout``: seconds (a number, 0 for no limit)."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if isinstance(value, bool) or not seconds >= 0 or seconds == float("inf"):
        raise ConfigError(f"{where}: file_timeout has value {value!r}, expected seconds such as 30 (0 for no limit)")
    return seconds


def _known_rule(rule_id: Any, where: str, known: set[str]) -> str:
    rid = str(rule_id).strip().upper()
    if rid not in known:
        raise ConfigError(
            f"{where}: unknown rule id {rule_id!r}",
            hint="Run `cnsmm rules` to list rule ids",
        )
    return rid


def _parse_date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{where}: expires has value {value!r}, expected a date YYYY-MM-DD") from None


def build_config(data: dict[str, Any], source: str, known_rules: set[str]) -> Config:
    """Validate a config mapping (from YAML or TOML) into a :class:`Config`."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping at the top level, got {type(data).__name__}")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ConfigError(
            f"{source}: unknown key(s) {', '.join(sorted(map(str, unknown)))}",
            hint=f"Known keys: {', '.join(sorted(_TOP_KEYS))}",
        )
    rules = data.get("rules") or {}
    if not isinstance(rules, dict) or set(rules) - _RULE_KEYS:
        raise ConfigError(f"{source}: `rules` accepts only {', '.join(sorted(_RULE_KEYS))}")
    disabled = frozenset(_known_rule(r, f"{source}: rules.disable", known_rules) for r in rules.get("disable") or [])
    only_list = rules.get("only")
    only = (
        frozenset(_known_rule(r, f"{source}: rules.only", known_rules) for r in only_list)
        if only_list is not None
        else None
    )
    severity: dict[str, Severity] = {}
    for rid, sev in (rules.get("severity") or {}).items():
        key = _known_rule(rid, f"{source}: rules.severity", known_rules)
        try:
            severity[key] = Severity.parse(str(sev))
        except ValueError as exc:
            raise ConfigError(f"{source}: rules.severity.{key}: {exc}") from None
    ignore = _ignore_entries(data.get("ignore") or [], f"{source}: ignore", known_rules)
    options = data.get("options") or {}
    if not isinstance(options, dict):
        raise ConfigError(f"{source}: `options` must be a mapping")
    exclude = tuple(DEFAULT_EXCLUDES) + tuple(str(x) for x in data.get("exclude") or [])
    max_size = parse_size(data["max_file_size"], source) if "max_file_size" in data else DEFAULT_MAX_FILE_SIZE
    workers = int(data.get("workers") or 0)
    from cnsmm.capabilities.exceptions import parse_extra

    exceptions = parse_extra(data.get("exceptions"), f"{source}: exceptions", known_rules)
    render = _render_settings(data.get("render"), source)
    timeout = parse_timeout(data["file_timeout"], source) if "file_timeout" in data else DEFAULT_FILE_TIMEOUT
    return Config(
        disabled, only, severity, dict(options), tuple(ignore), exclude, max_size, workers, source, exceptions,
        render=render, file_timeout=timeout,
    )


def _ignore_entries(entries: Any, where_prefix: str, known_rules: set[str]) -> list[IgnoreEntry]:
    """Validated central suppressions (``rule``, ``path``, ``resource``, ``reason``, ``expires``)."""
    if not isinstance(entries, list):
        raise ConfigError(f"{where_prefix}: expected a list of entries")
    ignore = []
    for i, entry in enumerate(entries, start=1):
        where = f"{where_prefix} #{i}"
        if not isinstance(entry, dict) or set(entry) - _IGNORE_KEYS:
            raise ConfigError(f"{where}: expected a mapping with keys {', '.join(sorted(_IGNORE_KEYS))}")
        rid = "*" if entry.get("rule") in (None, "*") else _known_rule(entry["rule"], where, known_rules)
        reason = str(entry.get("reason") or "").strip()
        if not reason:
            raise ConfigError(f"{where}: a reason is required", hint="Say why the finding is accepted")
        expires = _parse_date(entry["expires"], where) if entry.get("expires") else None
        ignore.append(
            IgnoreEntry(rid, reason, str(entry.get("path") or "*"), str(entry.get("resource") or "*"), expires, where)
        )
    return ignore


IGNORE_FILE_NAMES = ("cnsmm-ignore.yaml", ".cnsmm-ignore.yaml")
"""Central ignore files found in the current folder when ``--ignore-file`` is not given."""


def load_ignore_file(path: str | None, known_rules: set[str], cwd: Path | None = None) -> list[IgnoreEntry]:
    """Entries of a central ignore file: ``path``, else the first of :data:`IGNORE_FILE_NAMES`
    in ``cwd``; none when there is no such file. The file is a list of entries, or a mapping
    with an ``ignore:`` list (the same entries as in the config file)."""
    cwd = cwd or Path.cwd()
    if path is None:
        found = next((cwd / n for n in IGNORE_FILE_NAMES if (cwd / n).is_file()), None)
        if found is None:
            return []
        file = found
    else:
        file = Path(path)
        if not file.is_file():
            raise ConfigError(f"{path}: ignore file not found")
    data = _read_yaml(file, "ignore file")
    if isinstance(data, dict):
        if set(data) - {"ignore"}:
            raise ConfigError(f"{file}: an ignore file holds only `ignore:` (or a list of entries)")
        data = data.get("ignore") or []
    return _ignore_entries(data, f"{file}: ignore", known_rules)


def load_config(
    path: str | None, known_rules: set[str], cwd: Path | None = None, *, ignore_file: str | None = None
) -> Config:
    """Load ``path``, or the first ``cnsmm.yaml`` (``cnsmm.yml``, ``.cnsmm.yaml``) or
    ``pyproject.toml`` with ``[tool.cnsmm]`` found from ``cwd`` up to the repository root
    (:func:`search_folders`), with the entries of the central ignore file (``ignore_file``,
    else one found in ``cwd``) added. ``Config.source`` names the file used."""
    cwd = cwd or Path.cwd()
    config = _load_config(path, known_rules, cwd)
    extra = load_ignore_file(ignore_file, known_rules, cwd)
    return replace(config, ignore=config.ignore + tuple(extra)) if extra else config


def search_folders(cwd: Path) -> list[Path]:
    """Folders searched for a config file: ``cwd`` and its parents up to the repository root
    (the nearest folder holding ``.git``), nearest first; only ``cwd`` outside a repository."""
    start = cwd.resolve()
    chain = [start, *start.parents]
    for i, folder in enumerate(chain):
        if (folder / ".git").exists():
            return chain[: i + 1]
    return [start]


def _load_config(path: str | None, known_rules: set[str], cwd: Path) -> Config:
    if path is not None:
        file = Path(path)
        if not file.is_file():
            raise ConfigError(f"{path}: config file not found")
        return _load_file(file, known_rules)
    for folder in search_folders(cwd):
        for name in CONFIG_NAMES:
            if (folder / name).is_file():
                return _load_file(folder / name, known_rules)
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            try:
                tool = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {})
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{pyproject}: invalid TOML ({exc})") from None
            if "cnsmm" in tool:
                return build_config(tool["cnsmm"], f"{pyproject} [tool.cnsmm]", known_rules)
    return Config()


def _load_file(file: Path, known_rules: set[str]) -> Config:
    if file.suffix == ".toml":
        try:
            data = tomllib.loads(_read_text(file, "config"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file}: invalid TOML ({exc})") from None
        data = data.get("tool", {}).get("cnsmm", data)
    else:
        data = _read_yaml(file, "config") or {}
    return build_config(data, str(file), known_rules)


def _read_text(file: Path, what: str) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read {what} ({exc})") from None


def _read_yaml(file: Path, what: str) -> Any:
    try:
        return yaml.safe_load(_read_text(file, what))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise ConfigError(f"{file}{line}: invalid YAML ({getattr(exc, 'problem', exc)})") from None
