"""Container image references, read as the distribution reference grammar defines them.

::

    reference  := name [ ":" tag ] [ "@" digest ]
    name       := [ registry "/" ] path          (at most 255 characters)
    registry   := host [ ":" port ]              (a DNS name, an IPv4 or [IPv6] address, localhost)
    path       := component ( "/" component )*   component := [a-z0-9]+ ( ( [._] | "__" | "-"+ ) [a-z0-9]+ )*
    tag        := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
    digest     := algorithm ":" encoded

The first part of the name is a registry when it contains ``.`` or ``:``, is ``localhost``, or
has an upper-case letter; otherwise the image is on Docker Hub (``docker.io``; ``index.docker.io``
and ``registry-1.docker.io`` are the same registry), where a single-component path is an official
image under ``library/``: ``nginx`` is ``docker.io/library/nginx``.

Parsing is lenient and never fails on text that looks like a reference: the registry and path
are lower-cased (registries compare without case; an upper-case repository is refused by
registries and reported by :attr:`ImageRef.problem`), and a malformed tag or digest is kept as
written. Only a well-formed digest of a registered algorithm *pins* the image
(:attr:`ImageRef.pinned`): ``sha256`` with 64 and ``sha512`` with 128 lower-case hex digits (the
OCI image specification's registered algorithms). Text that is still a template (``$IMAGE``,
``{{ .Values.image }}``, ``<image>``) or holds blanks is not a reference: :func:`parse_image`
returns None.

Every step is a single pass over the text (no backtracking regular expression runs over an
unbounded part of it), so a reference of any length parses in linear time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

DOCKER_HUB = "docker.io"
DOCKER_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
"""Names of the Docker Hub registry."""

DIGEST_LENGTHS = {"sha256": 64, "sha512": 128}
"""Registered digest algorithms and the number of lower-case hex digits of their value."""

MAX_NAME = 255
"""Longest name (registry and path) the grammar allows."""

_TEMPLATE = re.compile(r"[${}<>\s]")
_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_ALGORITHM = re.compile(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*")
_HOST = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])"
    r"(?::[0-9]+)?"
)
_HEX_LOWER = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class ImageRef:
    """A parsed image reference."""

    registry: str
    """Lower-case registry, ``docker.io`` for Docker Hub."""
    path: str
    """Lower-case repository path, with ``library/`` for official Docker Hub images."""
    tag: str | None
    """The tag as written, None when absent."""
    digest: str | None
    """The digest as written (``sha256:...``), None when absent; see :attr:`pinned`."""
    written: str = field(default="", compare=False, repr=False)
    """The reference as written (blanks around it removed)."""

    @property
    def repository(self) -> str:
        """``registry/path``: ``docker.io/library/nginx``."""
        return f"{self.registry}/{self.path}"

    @property
    def familiar(self) -> str:
        """The repository as people write it: Docker Hub without ``docker.io/`` and ``library/``
        (``nginx``, ``bitnami/redis``), other registries in full (``ghcr.io/org/app``)."""
        if self.registry != DOCKER_HUB:
            return self.repository
        return self.path.removeprefix("library/") if self.path.count("/") == 1 else self.path

    @property
    def name(self) -> str:
        """Alias of :attr:`familiar`."""
        return self.familiar

    @property
    def path_without_library(self) -> str:
        """The path without registry and without a leading ``library/`` (``cilium/cilium``, ``vault``)."""
        rest = self.path.removeprefix("library/")
        return rest or self.path

    @property
    def digest_problem(self) -> str | None:
        """Why the digest does not pin the image; None when it does or when there is none."""
        return None if self.digest is None else digest_problem(self.digest)

    @property
    def pinned(self) -> bool:
        """True when a well-formed digest of a registered algorithm names the image's content."""
        return self.digest is not None and digest_problem(self.digest) is None

    @property
    def floating(self) -> bool:
        """Not pinned, and a tag that names no version: none, ``latest``, ``stable``, ``main``..."""
        return not self.pinned and (self.tag is None or not any(ch.isdigit() for ch in self.tag))

    @property
    def problem(self) -> str | None:
        """Why the reference breaks the grammar (registries would refuse it); None when it follows it."""
        return _problem(self)

    def canonical(self, *, default_tag: str | None = None) -> str:
        """``registry/path[:tag][@digest]``; ``default_tag`` fills a missing tag when there is no digest."""
        tag = self.tag if self.tag is not None else (default_tag if self.digest is None else None)
        return self.repository + (f":{tag}" if tag else "") + (f"@{self.digest}" if self.digest else "")


def digest_problem(digest: str) -> str | None:
    """Why ``algorithm:hex`` is not a well-formed digest of a registered algorithm, or None."""
    algorithm, sep, value = digest.partition(":")
    if not sep:
        return f'digest "{_cut(digest)}" has no algorithm (expected sha256:<64 hex digits>)'
    expected = DIGEST_LENGTHS.get(algorithm)
    if expected is None:
        return f'digest algorithm "{_cut(algorithm)}" is not a registered one (sha256, sha512)'
    if len(value) != expected or not _HEX_LOWER.issuperset(value):
        return f"{algorithm} digest is not {expected} lower-case hex digits (got {len(value)} characters)"
    return None


def _cut(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_image(image: object) -> ImageRef | None:
    """Parse an image reference; None for non-text, empty or templated references."""
    if not isinstance(image, str):
        return None
    return _parse_cached(image) if len(image) <= _CACHED_LENGTH else _parse(image)


_CACHED_LENGTH = 512
"""References up to this length are cached (the same images recur across a repository)."""


@lru_cache(maxsize=4096)
def _parse_cached(image: str) -> ImageRef | None:
    return _parse(image)


def _split(text: str) -> tuple[str | None, str, str | None, str | None]:
    """(registry, path, tag, digest) as written."""
    name, _, digest = text.partition("@")
    tag = None
    slash, colon = name.rfind("/"), name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    first, sep, rest = name.partition("/")
    if sep and is_registry(first):
        return first, rest, tag or None, digest or None
    return None, name, tag or None, digest or None


def _parse(image: str) -> ImageRef | None:
    text = image.strip()
    if not text or _TEMPLATE.search(text):
        return None
    registry, path, tag, digest = _split(text)
    registry = DOCKER_HUB if registry is None else registry.lower()
    path = path.lower()
    if registry in DOCKER_HUB_ALIASES:
        registry = DOCKER_HUB
        if "/" not in path:
            path = f"library/{path}"
    return ImageRef(registry, path, tag, digest, text)


def is_registry(component: str) -> bool:
    """Whether the first ``/``-separated part of a name is a registry (see the module docs)."""
    return "." in component or ":" in component or component == "localhost" or component != component.lower()


def _problem(ref: ImageRef) -> str | None:
    written_path = _split(ref.written)[1]
    if written_path != written_path.lower():
        return "the repository path has upper-case letters (registries refuse them)"
    if not ref.path or not all(_COMPONENT.fullmatch(c) for c in ref.path.split("/")):
        return "the repository path is not lower-case letters, digits and single separators"
    if ref.registry != DOCKER_HUB and not _HOST.fullmatch(ref.registry):
        return "the registry is not a host name with an optional port"
    if len(ref.repository) > MAX_NAME:
        return f"the name is longer than {MAX_NAME} characters"
    if ref.tag is not None and not _TAG.fullmatch(ref.tag):
        return "the tag is not 1 to 128 letters, digits, '_', '.' or '-' (not starting with '.' or '-')"
    if ref.digest is not None:
        algorithm, sep, value = ref.digest.partition(":")
        if not sep or not _ALGORITHM.fullmatch(algorithm) or len(value) < 32:
            return "the digest is not algorithm:hex"
    return None


def parse_lenient(image: str) -> ImageRef | None:
    """Like :func:`parse_image` for references quoted by other tools, which may carry an OS
    suffix (Trivy's ``nginx:1.25 (debian 12.4)``): the suffix is dropped first."""
    return parse_image(strip_os_suffix(image.strip()))


def from_parts(registry: str | None, repository: str, tag: str | None = None) -> str:
    """The reference a report gives in parts (registry, repository, tag), as people write it:
    ``registry/repository:tag``, without the registry when there is none or it is Docker Hub (by
    any of its names). A URL scheme and trailing slashes around the registry are dropped."""
    host = (registry or "").strip().removeprefix("https://").removeprefix("http://").strip("/")
    name = repository if not host or host.lower() in DOCKER_HUB_ALIASES else f"{host}/{repository}"
    return f"{name}:{tag}" if tag else name


_SUFFIX_START = re.compile(r"(?<!\s)\s+\(")


def strip_os_suffix(text: str) -> str:
    """``text`` without a trailing `` (...)`` on its last line (one pass over the text)."""
    if not text.rstrip().endswith(")"):
        return text
    line_start = text.rfind("\n") + 1
    for m in _SUFFIX_START.finditer(text):
        if m.end() - 1 >= line_start:
            return text[: m.start()]
    return text


def _normalise_prefix(prefix: str) -> str:
    prefix = prefix.strip().rstrip("/")
    first = prefix.split("/", 1)[0]
    if not is_registry(first):
        prefix = f"docker.io/{prefix}"
    head, _, tail = prefix.partition("/")
    return f"docker.io/{tail}".rstrip("/") if head in DOCKER_HUB_ALIASES else prefix


def trusted(ref: ImageRef, prefixes: list[str]) -> bool:
    """Whether the image's repository is under one of the allow-listed prefixes (normalised like
    images: ``bitnami`` is ``docker.io/bitnami``, ``library`` Docker Hub's official images)."""
    repo = ref.repository
    for raw in prefixes:
        prefix = _normalise_prefix(str(raw))
        if repo == prefix or repo.startswith(prefix + "/"):
            return True
    return False
