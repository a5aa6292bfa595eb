"""Running the renderers (kustomize, kubectl kustomize, helm) with a timeout, and their cache.

The cache is keyed by the content of everything a build reads (every input file's bytes, the
renderer's identity and its arguments), so an unchanged tree is not rendered again, and a
change to any input, or another renderer binary, renders again. Only successful builds are
kept; failures (a remote base while offline) are retried on the next scan.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

MAX_OUTPUT = 256 * 1024 * 1024
"""Largest rendered output accepted from one build (bytes)."""
CACHE_ENTRIES = 2000
"""Most builds kept in the cache; the least recently used go first."""
_HASH_LIMIT = 64 * 1024 * 1024
"""Input files larger than this are keyed by size and modification time, not content."""


@dataclass(frozen=True, slots=True)
class Tool:
    """A renderer binary and how to call it."""

    name: str
    """``kustomize`` or ``helm``."""
    argv: tuple[str, ...]
    """Command prefix: ``(kustomize, build)``, ``(kubectl, kustomize)`` or ``(helm, template)``."""
    identity: str
    """Path, size and modification time of the binary (part of the cache key)."""


def _identity(path: str) -> str:
    try:
        st = os.stat(path)
        return f"{os.path.realpath(path)}:{st.st_size}:{int(st.st_mtime)}"
    except OSError:
        return path


def find_kustomize(configured: str | None) -> tuple[Tool | None, str]:
    """The kustomize renderer (``configured`` path, else ``kustomize``, else ``kubectl`` on
    PATH), or None and why not."""
    candidates = [configured] if configured else ["kustomize", "kubectl"]
    for candidate in candidates:
        path = shutil.which(candidate)
        if path is None:
            continue
        sub = "kustomize" if os.path.basename(path).startswith("kubectl") else "build"
        return Tool("kustomize", (path, sub), _identity(path)), ""
    if configured:
        return None, f"render.kustomize {configured!r} is not an executable file"
    return None, "neither `kustomize` nor `kubectl` was found on PATH"


def find_helm(configured: str | None) -> tuple[Tool | None, str]:
    """The helm renderer (``configured`` path, else ``helm`` on PATH), or None and why not."""
    path = shutil.which(configured or "helm")
    if path is None:
        if configured:
            return None, f"render.helm {configured!r} is not an executable file"
        return None, "`helm` was not found on PATH"
    return Tool("helm", (path, "template"), _identity(path)), ""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one renderer run produced."""

    ok: bool
    output: str
    """Rendered YAML (empty on failure)."""
    message: str
    """The renderer's error message on failure; warnings on success."""
    cached: bool = False


def run(argv: Sequence[str], timeout: float, cwd: str | None = None) -> Outcome:
    """Run a renderer; kill it (and what it started) after ``timeout`` seconds."""
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", GIT_ASKPASS="true", SSH_ASKPASS="true")
    try:
        proc = subprocess.Popen(
            list(argv), cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, start_new_session=True,
        )
    except OSError as exc:
        return Outcome(False, "", f"cannot run {argv[0]}: {exc.strerror or exc}")
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return Outcome(False, "", f"timed out after {timeout:g} s (raise render.timeout or --render-timeout)")
    stderr = _clean(err.decode("utf-8", "replace"))
    if proc.returncode != 0:
        return Outcome(False, "", stderr or f"exit status {proc.returncode}")
    if len(out) > MAX_OUTPUT:
        return Outcome(False, "", f"rendered output is {len(out) // 1048576} MiB, over the "
                                  f"{MAX_OUTPUT // 1048576} MiB limit")
    return Outcome(True, out.decode("utf-8", "replace"), stderr)


def _clean(message: str) -> str:
    lines = [line.rstrip() for line in message.strip().splitlines() if line.strip()]
    text = "; ".join(lines)
    # the most specific cause comes last in kustomize's chain of contexts: keep both ends
    return text if len(text) <= 2000 else text[:600] + " ... " + text[-1400:]


def cache_key(tool: Tool, args: Sequence[str], inputs: Sequence[str], base: str) -> str:
    """Digest of the renderer, its arguments and the content of every input file.

    Paths go in relative to ``base`` (the root or chart), so a tree moved elsewhere keeps its
    cache entries.
    """
    digest = hashlib.sha256()
    digest.update(tool.identity.encode())
    for arg in args:
        digest.update(b"\0a" + arg.encode("utf-8", "surrogatepass"))
    for path in sorted(inputs):
        rel = os.path.relpath(path, base)
        digest.update(b"\0f" + rel.encode("utf-8", "surrogatepass") + b"\0")
        try:
            st = os.stat(path)
            if st.st_size > _HASH_LIMIT:
                digest.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
                continue
            with open(path, "rb") as handle:
                digest.update(hashlib.sha256(handle.read()).digest())
        except OSError:
            digest.update(b"missing")
    return digest.hexdigest()


def default_cache_dir() -> str:
    """``$XDG_CACHE_HOME/cnsmm/render`` (``~/.cache/cnsmm/render`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "cnsmm", "render")


class Cache:
    """Rendered outputs on disk, one file per key."""

    def __init__(self, folder: str | None) -> None:
        self.folder = Path(folder) if folder else None

    def get(self, key: str) -> str | None:
        """The output stored under ``key``, or None."""
        if self.folder is None:
            return None
        path = self.folder / key[:2] / f"{key}.yaml"
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        with contextlib.suppress(OSError):
            os.utime(path)
        return text

    def put(self, key: str, text: str) -> None:
        """Store ``text`` under ``key`` (silently does nothing when the folder is not writable)."""
        if self.folder is None:
            return
        folder = self.folder / key[:2]
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, folder / f"{key}.yaml")
        except OSError:
            return

    def prune(self, keep: int = CACHE_ENTRIES) -> None:
        """Delete the least recently used entries beyond ``keep``."""
        if self.folder is None or not self.folder.is_dir():
            return
        entries = []
        for path in self.folder.glob("*/*.yaml"):
            with contextlib.suppress(OSError):
                entries.append((path.stat().st_mtime, path))
        if len(entries) <= keep:
            return
        entries.sort()
        for _, path in entries[: len(entries) - keep]:
            with contextlib.suppress(OSError):
                path.unlink()
