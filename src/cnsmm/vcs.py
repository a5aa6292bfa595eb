"""Where a scan ran: the repository root, the repository's name and the commit.

Findings are tracked with paths relative to the repository root, so that the same file
checked out at ``/home/runner/work/shop/shop`` on one CI runner and at ``/builds/acme/shop`` on
another is one location. The root, repository and commit come from git when the scanned path
is in a work tree, else from the CI system's variables; :class:`PathMap` turns the paths a
tool wrote into repository-relative ones.
"""

from __future__ import annotations

import os
import posixpath
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

_CI_ROOTS = ("GITHUB_WORKSPACE", "CI_PROJECT_DIR", "BUILD_SOURCESDIRECTORY", "BITBUCKET_CLONE_DIR",
             "CIRCLE_WORKING_DIRECTORY", "WORKSPACE", "BUILDKITE_BUILD_CHECKOUT_PATH")
"""CI variables naming the checkout folder (GitHub Actions, GitLab, Azure Pipelines,
Bitbucket, CircleCI, Jenkins, Buildkite), first found wins."""
_CI_COMMITS = ("GITHUB_SHA", "CI_COMMIT_SHA", "BUILD_SOURCEVERSION", "BITBUCKET_COMMIT", "CIRCLE_SHA1",
               "GIT_COMMIT", "BUILDKITE_COMMIT")
_CI_WORKSPACES = (
    re.compile(r"^/home/runner/work/[^/]+/[^/]+/"),  # GitHub-hosted runners
    re.compile(r"^/github/workspace/"),  # GitHub container actions
    re.compile(r"^/home/vsts/work/\d+/s/"),  # Azure Pipelines
    re.compile(r"^/opt/atlassian/pipelines/agent/build/"),  # Bitbucket Pipelines
    re.compile(r"^/home/circleci/project/"),  # CircleCI
    re.compile(r"^(?:/var/lib/jenkins|/home/jenkins(?:/agent)?)/workspace/[^/]+/"),  # Jenkins
)
"""Checkout folders of hosted CI runners, recognised in absolute paths of reports made elsewhere."""
_COMMIT = re.compile(r"^[0-9a-f]{7,64}$")


@dataclass(frozen=True)
class Vcs:
    """What is known of the checkout a scan ran in."""

    root: str | None = None
    """Absolute path of the repository's top-level folder (git), or the CI checkout folder."""
    repository: str | None = None
    """``host/owner/name`` without scheme, credentials or ``.git``."""
    commit: str | None = None
    """Full commit id (lower-case hex)."""


def clean_repository(url: str | None) -> str | None:
    """``https://user:token@github.com/acme/shop.git`` or ``git@github.com:acme/shop.git`` ->
    ``github.com/acme/shop`` (credentials are never kept); None for what is not a repository URL."""
    if not url:
        return None
    text = url.strip()
    scp = re.match(r"^(?:[\w.-]+@)?([\w.-]+):(?!//)(.+)$", text)
    if scp and "://" not in text:
        host, path = scp.group(1), scp.group(2)
    else:
        try:  # an unbalanced "[" or a port out of range is no URL
            parts = urlsplit(text if "://" in text else f"https://{text}")
            host, path, port = parts.hostname or "", parts.path, parts.port
        except ValueError:
            return None
        if port:
            host = f"{host}:{port}"
    path = path.strip("/")
    if path.endswith(".git"):
        path = path[:-4]
    if not host or not path or any(ord(c) < 33 for c in host + path):
        return None
    return f"{host.lower()}/{path}"[:300]


def clean_commit(value: str | None) -> str | None:
    """A commit id in lower case, or None when ``value`` is not one."""
    text = (value or "").strip().lower()
    return text if _COMMIT.match(text) else None


def _git(cwd: str, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", "-C", cwd, *args], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def detect(path: str = ".", env: Mapping[str, str] | None = None) -> Vcs:
    """The checkout holding ``path``: git first, then the CI variables; nothing when neither knows."""
    env = os.environ if env is None else env
    start = os.path.abspath(path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path)) or ".")
    root = _git(start, "rev-parse", "--show-toplevel") if os.path.isdir(start) else None
    commit = clean_commit(_git(start, "rev-parse", "HEAD")) if root else None
    repository = clean_repository(_git(start, "config", "--get", "remote.origin.url")) if root else None
    if root is None:
        ci_root = next((env[k] for k in _CI_ROOTS if env.get(k)), None)
        if ci_root and (start + os.sep).startswith(os.path.abspath(ci_root).rstrip(os.sep) + os.sep):
            root = os.path.abspath(ci_root)
    return Vcs(root, repository or ci_repository(env), commit or clean_commit(next(
        (env[k] for k in _CI_COMMITS if env.get(k)), None)))


def ci_repository(env: Mapping[str, str]) -> str | None:
    """The repository the CI variables name, if any."""
    if env.get("GITHUB_REPOSITORY"):
        return clean_repository(f"{env.get('GITHUB_SERVER_URL') or 'https://github.com'}/{env['GITHUB_REPOSITORY']}")
    for key in ("CI_PROJECT_URL", "BUILD_REPOSITORY_URI", "BITBUCKET_GIT_HTTP_ORIGIN", "CIRCLE_REPOSITORY_URL",
                "GIT_URL", "BUILDKITE_REPO"):
        if env.get(key):
            return clean_repository(env[key])
    return None


def ci_root(env: Mapping[str, str] | None = None) -> str | None:
    """The checkout folder the CI variables name, if any."""
    env = os.environ if env is None else env
    return next((env[k] for k in _CI_ROOTS if env.get(k)), None)


@dataclass(frozen=True)
class PathMap:
    """Turns the paths a tool reported into paths relative to the repository root.

    ``roots`` are absolute checkout folders (longest match wins); ``cwd`` is the absolute
    folder the tool ran in, which relative paths are relative to."""

    roots: tuple[str, ...] = ()
    cwd: str | None = None

    @classmethod
    def of(cls, *roots: str | None, cwd: str | None = None) -> PathMap:
        """A map over the given roots (None and duplicates dropped)."""
        kept: dict[str, None] = {}
        for r in roots:
            if r:
                kept.setdefault(_abs(r), None)
        return cls(tuple(sorted(kept, key=len, reverse=True)), _abs(cwd) if cwd else None)

    def portable(self, path: str | None) -> str | None:
        """``path`` relative to the repository root where it can be told, else as given."""
        if not path:
            return path
        p = path.replace("\\", "/")
        if p.startswith("file://"):
            p = p[len("file://"):]
        if _DRIVE.match(p):
            p = p[2:]
        if not p.startswith("/"):
            if not self.cwd:
                return path
            p = f"{self.cwd}/{p}"
        norm = posixpath.normpath(p)
        for root in self.roots:
            if root in ("/", norm) or norm.startswith(root + "/"):
                return norm[len(root):].lstrip("/") or "."
        for pattern in _CI_WORKSPACES:
            if pattern.match(norm + "/"):
                return pattern.sub("", norm + "/", count=1).rstrip("/") or norm
        return path


_DRIVE = re.compile(r"^[A-Za-z]:/")


def _abs(path: str) -> str:
    """An absolute path with forward slashes and without a Windows drive letter."""
    p = path.replace("\\", "/")
    if _DRIVE.match(p):
        p = p[2:]
    return posixpath.normpath(p).rstrip("/") or "/"
