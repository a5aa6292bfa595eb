"""Finding and reading inputs: excludes, letter case, symlink loops, binary, encodings, size."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from cnsmm.config import DEFAULT_EXCLUDES
from cnsmm.sources.discover import decode, discover, read_stdin, read_text


def _touch(path: Path, text: str = "a: 1\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_walk_finds_yaml_in_any_case_and_skips_excluded_folders(tmp_path: Path) -> None:
    _touch(tmp_path / "a.yaml")
    _touch(tmp_path / "B.YAML")
    _touch(tmp_path / "c.Yml")
    _touch(tmp_path / "d.JSON")
    _touch(tmp_path / "notes.txt")
    _touch(tmp_path / ".git" / "config.yaml")
    _touch(tmp_path / "node_modules" / "x" / "pkg.json")
    _touch(tmp_path / "sub" / "deep" / "e.yaml")
    files, errors = discover([str(tmp_path)], DEFAULT_EXCLUDES, [])
    names = sorted(os.path.relpath(f.path, tmp_path) for f in files)
    assert names == ["B.YAML", "a.yaml", "c.Yml", "d.JSON", os.path.join("sub", "deep", "e.yaml")]
    assert not errors


def test_symlink_loop_is_skipped_as_a_loop_and_walk_finishes(tmp_path: Path) -> None:
    _touch(tmp_path / "a" / "x.yaml")
    os.symlink(tmp_path, tmp_path / "a" / "loop")
    skipped: list[dict[str, str]] = []
    files, errors = discover([str(tmp_path)], DEFAULT_EXCLUDES, [], skipped)
    assert [os.path.basename(f.path) for f in files] == ["x.yaml"]
    assert not errors
    assert skipped == [{"file": str(tmp_path / "a" / "loop"),
                        "reason": f"symbolic link to {tmp_path}, a folder that contains the link (a loop); "
                                  "not followed: its files are scanned there"}]


@pytest.mark.parametrize("link_name", ["aaa-link", "zzz-link"])  # walked before and after the target
def test_a_link_to_a_folder_inside_the_tree_is_no_loop_and_its_files_are_scanned_once(
    tmp_path: Path, link_name: str
) -> None:
    """Regression: a link to a sibling folder was reported as a symbolic link loop (an error
    that made the scan incomplete), or the target folder was, depending on the names' order."""
    _touch(tmp_path / "base" / "deploy.yaml")
    _touch(tmp_path / "overlays" / "prod" / "patch.yaml")
    os.symlink(tmp_path / "base", tmp_path / "overlays" / link_name)
    skipped: list[dict[str, str]] = []
    files, errors = discover([str(tmp_path)], DEFAULT_EXCLUDES, [], skipped)
    names = sorted(os.path.relpath(f.path, tmp_path) for f in files)
    assert names == [os.path.join("base", "deploy.yaml"), os.path.join("overlays", "prod", "patch.yaml")]
    assert not errors
    assert skipped == [{"file": str(tmp_path / "overlays" / link_name),
                        "reason": f"symbolic link to {tmp_path / 'base'}, a folder inside the scanned folder; "
                                  "not followed: its files are scanned once, under their own path"}]


def test_a_link_to_an_excluded_folder_inside_the_tree_is_walked_once(tmp_path: Path) -> None:
    _touch(tmp_path / "vendor" / "manifests" / "app.yaml")
    os.symlink(tmp_path / "vendor" / "manifests", tmp_path / "deploy")
    os.symlink(tmp_path / "vendor" / "manifests", tmp_path / "deploy-again")
    skipped: list[dict[str, str]] = []
    files, errors = discover([str(tmp_path)], DEFAULT_EXCLUDES, [], skipped)
    assert [os.path.relpath(f.path, tmp_path) for f in files] == [os.path.join("deploy", "app.yaml")]
    assert not errors
    assert [(os.path.basename(s["file"]), "already scanned" in s["reason"]) for s in skipped] == [
        ("deploy-again", True)]


def test_a_link_out_of_the_tree_next_to_a_link_inside_it(tmp_path: Path) -> None:
    repo, outside = tmp_path / "repo", tmp_path / "elsewhere"
    _touch(repo / "base" / "deploy.yaml")
    _touch(outside / "secret.yaml", "kind: Secret\n")
    os.symlink(repo / "base", repo / "inside")
    os.symlink(outside, repo / "out")
    skipped: list[dict[str, str]] = []
    files, errors = discover([str(repo)], DEFAULT_EXCLUDES, [], skipped)
    assert [os.path.relpath(f.path, repo) for f in files] == [os.path.join("base", "deploy.yaml")]
    reasons = {os.path.basename(s["file"]): s["reason"] for s in skipped}
    assert "a folder inside the scanned folder" in reasons["inside"]
    assert reasons["out"].startswith(f"symbolic link to {outside}, outside {repo}; not followed")
    assert not errors


def test_missing_path_and_broken_link(tmp_path: Path) -> None:
    os.symlink(tmp_path / "gone.yaml", tmp_path / "dangling.yaml")
    files, errors = discover([str(tmp_path / "nope"), str(tmp_path)], DEFAULT_EXCLUDES, [])
    kinds = sorted(e.kind for e in errors)
    assert kinds == ["not-found", "unreadable"]
    assert files == []


def test_explicit_file_with_any_extension_is_read(tmp_path: Path) -> None:
    f = _touch(tmp_path / "manifest.txt")
    files, _ = discover([str(f)], DEFAULT_EXCLUDES, [])
    assert files[0].explicit and files[0].path == str(f)


def test_binary_file_is_refused() -> None:
    text, err = decode(b"\x7fELF\x00\x00\x01binary", "bin.yaml")
    assert text is None and err is not None and err.kind == "binary"


def test_utf16_with_bom_is_read() -> None:
    text, err = decode("kind: Pod\n".encode("utf-16"), "w.yaml")
    assert err is None and text == "kind: Pod\n"


def test_latin1_is_refused_with_line_and_advice() -> None:
    text, err = decode("a: 1\nb: caf\xe9\n".encode("latin-1"), "l.yaml")
    assert text is None and err is not None
    assert err.line == 2 and "iconv" in err.message


def test_size_limit(tmp_path: Path) -> None:
    f = _touch(tmp_path / "big.yaml", "a: " + "x" * 5000 + "\n")
    text, err = read_text(str(f), max_size=1000)
    assert text is None and err is not None and err.kind == "size" and "max_file_size" in err.message


def test_unreadable_input_is_reported(tmp_path: Path) -> None:
    # a folder where a file is expected fails to open even for root
    text, err = read_text(str(tmp_path), max_size=1_000_000)
    assert text is None and err is not None and err.kind == "unreadable"


def test_symlinks_out_of_the_scanned_folder_are_skipped_not_followed(tmp_path: Path) -> None:
    repo, outside = tmp_path / "repo", tmp_path / "elsewhere"
    _touch(repo / "app.yaml")
    secret = _touch(outside / "secret.yaml", "kind: Secret\n")
    os.symlink(secret, repo / "leak.yaml")
    os.symlink("/", repo / "root")
    os.symlink(outside, repo / "sub")
    skipped: list[dict[str, str]] = []
    files, errors = discover([str(repo)], DEFAULT_EXCLUDES, [], skipped)
    assert [os.path.basename(f.path) for f in files] == ["app.yaml"]
    assert not errors
    reasons = {os.path.basename(s["file"]): s["reason"] for s in skipped}
    assert sorted(reasons) == ["leak.yaml", "root", "sub"]
    assert reasons["leak.yaml"].startswith(f"symbolic link to {secret}, outside {repo}; not followed")
    assert reasons["root"].startswith("symbolic link to /, outside")


def test_symlinks_inside_the_scanned_folder_are_followed(tmp_path: Path) -> None:
    _touch(tmp_path / "base" / "deploy.yaml")
    os.symlink(tmp_path / "base" / "deploy.yaml", tmp_path / "alias.yaml")
    os.symlink(os.path.join("base", "deploy.yaml"), tmp_path / "relative.yaml")  # relative
    skipped: list[dict[str, str]] = []
    files, errors = discover([str(tmp_path)], DEFAULT_EXCLUDES, [], skipped)
    names = sorted(os.path.relpath(f.path, tmp_path) for f in files)
    assert names == ["alias.yaml", os.path.join("base", "deploy.yaml"), "relative.yaml"]
    assert not errors and not skipped


def test_a_scanned_folder_reached_through_a_symlink_is_walked(tmp_path: Path) -> None:
    _touch(tmp_path / "real" / "a.yaml")
    os.symlink(tmp_path / "real", tmp_path / "link")
    files, _ = discover([str(tmp_path / "link")], DEFAULT_EXCLUDES, [])
    assert [os.path.basename(f.path) for f in files] == ["a.yaml"]


def test_a_file_named_explicitly_is_read_wherever_its_link_points(tmp_path: Path) -> None:
    target = _touch(tmp_path / "elsewhere" / "pod.yaml")
    os.symlink(target, tmp_path / "named.yaml")
    files, _ = discover([str(tmp_path / "named.yaml")], DEFAULT_EXCLUDES, [])
    assert [f.path for f in files] == [str(tmp_path / "named.yaml")]


def test_standard_input_is_read_only_up_to_the_size_limit() -> None:
    stream = io.BytesIO(b"a: 1\n" * 600_000)  # 3 MB
    data = read_stdin(stream, 1024 * 1024)
    assert len(data) == 1024 * 1024 + 1 and stream.tell() == len(data)
    text, error = read_text("-", 1024 * 1024, data)
    assert text is None and error is not None and error.kind == "size"
    assert error.message.startswith("standard input is over the 1.0 MiB limit; not scanned")
    small = io.BytesIO(b"kind: Pod\n")
    assert read_stdin(small, 1024) == b"kind: Pod\n"
