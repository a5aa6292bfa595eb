"""Finding input files and reading them safely.

- Folders are walked recursively. A symbolic link that leads out of the folder given (to ``/``,
  to a file elsewhere on the machine) is not followed: it is reported as skipped, so that
  scanning an untrusted checkout never reads outside it. A link to a file inside it is read. A
  link to a folder inside it is reported as skipped (the folder is scanned once, under its own
  path; a link to a folder that contains the link is named a loop), unless the walk does not
  reach that folder by its own path (it is excluded): then it is walked through the link, once
  (folders already visited are not walked again). Paths named on the command line are read
  wherever they point.
- Excluded folder names (``.git``, ``node_modules``, vendor folders...) and globs are skipped.
- Candidate files: ``.yaml``/``.yml``/``.json`` in any letter case, plus whatever a file
  analyzer (Dockerfiles, CI pipelines) claims. A file named explicitly is always read.
- Reading refuses files over the size limit, binary files and text that is neither UTF-8
  nor UTF-16 with a BOM, each with a message saying what to do.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from cnsmm.sources.interface import InputError
from cnsmm.vocab import InputErrorKind

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True, slots=True)
class InputFile:
    """A file to scan: its display path and the folder-based set it belongs to."""

    path: str
    """Path as shown to the user (relative when the input was relative)."""
    set_name: str
    """The deployable set: the folder holding the file."""
    explicit: bool = False
    """Named on the command line (read even with an unusual extension)."""


def _excluded(name: str, relpath: str, excludes: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(relpath, p) for p in excludes)


def is_candidate(relpath: str, claimers: Sequence[object]) -> bool:
    """Whether a file found while walking should be read."""
    if relpath.lower().endswith(MANIFEST_SUFFIXES):
        return True
    return any(getattr(c, "matches")(relpath) for c in claimers)  # noqa: B009


def discover(
    paths: Sequence[str], excludes: Sequence[str], claimers: Sequence[object],
    skipped: list[dict[str, str]] | None = None,
) -> tuple[list[InputFile], list[InputError]]:
    """Every file to scan under ``paths``, and the paths that could not be walked.

    Symbolic links found while walking that lead out of the folder walked are appended to
    ``skipped`` as ``{"file", "reason"}`` entries (and dropped when it is None).
    """
    skipped = [] if skipped is None else skipped
    files: list[InputFile] = []
    errors: list[InputError] = []
    seen: set[str] = set()
    for root in paths:
        if root == "-":
            files.append(InputFile("-", "<stdin>", True))
            continue
        if not os.path.lexists(root):
            errors.append(InputError(root, None, "no such file or folder; check the path", InputErrorKind.NOT_FOUND))
            continue
        if os.path.islink(root) and not os.path.exists(root):
            errors.append(InputError(root, None, "broken symbolic link", InputErrorKind.UNREADABLE))
            continue
        if os.path.isfile(root):
            norm = os.path.normpath(root)
            if norm not in seen:
                seen.add(norm)
                files.append(InputFile(norm, os.path.dirname(norm) or ".", True))
            continue
        for path in _walk(root, excludes, claimers, errors, skipped):
            if path not in seen:
                seen.add(path)
                files.append(InputFile(path, os.path.dirname(path) or "."))
    return files, errors


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _walked_elsewhere(target: str, real_root: str, excludes: Sequence[str]) -> bool:
    """Whether the walk reaches folder ``target`` (inside ``real_root``) by its own path: no
    folder on the way down to it is excluded."""
    rel = os.path.relpath(target, real_root).replace(os.sep, "/")
    if rel == ".":
        return True
    parts = rel.split("/")
    return not any(_excluded(parts[i], "/".join(parts[: i + 1]), excludes) for i in range(len(parts)))


def _walk(
    root: str, excludes: Sequence[str], claimers: Sequence[object], errors: list[InputError],
    skipped: list[dict[str, str]],
) -> Iterator[str]:
    real_root = os.path.realpath(root)
    visited: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            st = os.stat(folder)
        except OSError as exc:
            errors.append(InputError(folder, None, f"cannot read folder ({exc.strerror})", InputErrorKind.UNREADABLE))
            continue
        key = (st.st_dev, st.st_ino)
        if key in visited:  # reached again through another link into an excluded folder
            skipped.append({"file": folder, "reason": f"symbolic link to {os.path.realpath(folder)}, a folder "
                            "already scanned through another path; not scanned again"})
            continue
        visited.add(key)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            errors.append(InputError(folder, None, f"cannot list folder ({exc.strerror})", InputErrorKind.UNREADABLE))
            continue
        subdirs = []
        for entry in entries:
            path = os.path.normpath(os.path.join(folder, entry.name))
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            if _excluded(entry.name, rel, excludes):
                continue
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
                is_file = not is_dir and entry.is_file(follow_symlinks=True)
            except OSError:
                is_dir = is_file = False
            if (is_dir or is_file) and entry.is_symlink():
                target = os.path.realpath(path)
                if not _inside(target, real_root):
                    if is_dir or is_candidate(rel, claimers):
                        skipped.append({"file": path, "reason": f"symbolic link to {target}, outside "
                                        f"{root}; not followed (only files inside the scanned folder are read)"})
                    continue
                if is_dir and _walked_elsewhere(target, real_root, excludes):  # else walked here, once
                    if _inside(os.path.realpath(folder), target):
                        why = "a folder that contains the link (a loop); not followed: its files are scanned there"
                    else:
                        why = ("a folder inside the scanned folder; not followed: its files are scanned once, "
                               "under their own path")
                    skipped.append({"file": path, "reason": f"symbolic link to {target}, {why}"})
                    continue
            if is_dir:
                subdirs.append(path)
            elif is_file and is_candidate(rel, claimers):
                yield path
            elif entry.is_symlink() and not os.path.exists(path) and is_candidate(rel, claimers):
                errors.append(InputError(path, None, "broken symbolic link", InputErrorKind.UNREADABLE))
        stack.extend(reversed(subdirs))


def decode(data: bytes, file: str) -> tuple[str | None, InputError | None]:
    """Bytes to text: UTF-8 (BOM allowed) or UTF-16 with BOM; binary and other encodings refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError:
            return None, InputError(file, None, "invalid UTF-16 text", InputErrorKind.ENCODING)
    if b"\x00" in data[:8192]:
        return None, InputError(file, None, "binary file (contains NUL bytes), not scanned", InputErrorKind.BINARY)
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return None, InputError(
            file,
            line,
            f"not UTF-8 (byte 0x{data[exc.start]:02x}); Kubernetes manifests must be UTF-8: "
            "convert it, e.g. `iconv -f latin1 -t utf-8`",
            InputErrorKind.ENCODING,
        )


def read_stdin(stream: BinaryIO, max_size: int) -> bytes:
    """Standard input up to one byte over ``max_size``: enough for :func:`read_text` to refuse
    it as too large without holding all of it in memory."""
    chunks: list[bytes] = []
    left = max_size + 1
    while left > 0:
        chunk = stream.read(min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_text(path: str, max_size: int, stdin: bytes | None = None) -> tuple[str | None, InputError | None]:
    """Read and decode one input file, enforcing the size limit."""
    if path == "-":
        data = stdin or b""
        if len(data) > max_size:
            return None, InputError("<stdin>", None, _too_big(None, max_size), InputErrorKind.SIZE)
        return decode(data, "<stdin>")
    try:
        size = os.path.getsize(path)
        if size > max_size:
            return None, InputError(path, None, _too_big(size, max_size), InputErrorKind.SIZE)
        with open(path, "rb") as handle:
            data = handle.read(max_size + 1)
    except OSError as exc:
        return None, InputError(path, None, f"cannot read file ({exc.strerror or exc})", InputErrorKind.UNREADABLE)
    if len(data) > max_size:
        return None, InputError(path, None, _too_big(len(data), max_size), InputErrorKind.SIZE)
    return decode(data, path)


def _too_big(size: int | None, limit: int) -> str:
    what = "standard input is" if size is None else f"file is {size / 1048576:.1f} MiB,"
    return (
        f"{what} over the {limit / 1048576:.1f} MiB limit; not scanned "
        "(raise `max_file_size` in cnsmm.yaml or --max-file-size if it is a real manifest)"
    )
