"""`cnsmm scan`, `cnsmm rules` and `cnsmm baseline` through main(argv), as a user runs them."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from cnsmm._cli import main

REPO = Path(__file__).resolve().parents[2]
POD = """\
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: apps}
spec:
  containers:
    - name: app
      image: nginx:1.25
      securityContext: {privileged: true}
"""


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_exit_1_on_findings_at_or_above_fail_on(write, capsys) -> None:  # type: ignore[no-untyped-def]
    f = write("p.yaml", POD)
    code, out, err = run(["scan", str(f), "--enable", "K8S-001"], capsys)
    assert code == 1 and "K8S-001" in out and "failed: 1 finding(s) at or above high" in err
    code, _, _ = run(["scan", str(f), "--enable", "K8S-001", "--fail-on", "never"], capsys)
    assert code == 0


def test_exit_2_when_nothing_is_scanned(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run(["scan", str(tmp_path / "typo")], capsys)
    assert code == 2 and "no such file or folder" in err
    (tmp_path / "notes.yaml").write_text("just: data\n")
    code, _, err = run(["scan", str(tmp_path)], capsys)
    assert code == 2 and "no Kubernetes object" in err and "1 file(s) read" in err


def test_exit_3_when_incomplete(write, capsys) -> None:  # type: ignore[no-untyped-def]
    write("ok.yaml", POD.replace("true", "false"))
    d = write("bad.yaml", "kind: [\n").parent
    code, out, err = run(["scan", str(d), "--enable", "K8S-001"], capsys)
    assert code == 3 and "bad.yaml:2" in out and "incomplete" in err


def test_unknown_rule_on_command_line_is_an_error(write, capsys) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run(["scan", str(write("p.yaml", POD)), "--disable", "K8S-999"], capsys)
    assert code == 2 and "unknown rule id 'K8S-999'" in err


def test_several_formats_in_one_run(write, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    f = write("p.yaml", POD)
    sarif, junit = tmp_path / "o.sarif", tmp_path / "o.xml"
    code, out, _ = run(
        ["scan", str(f), "--enable", "K8S-001", "-f", "sarif", "-o", str(sarif), "-f", "junit", "-o", str(junit),
         "-f", "json"], capsys)
    assert code == 1
    assert json.loads(sarif.read_text())["version"] == "2.1.0"
    assert junit.read_text().startswith("<?xml")
    assert json.loads(out)["findings"][0]["rule"] == "K8S-001"


def test_stdin_over_the_size_limit_is_not_read_whole(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    raw = io.BytesIO(POD.encode() * 20_000)  # 3.4 MB
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(raw))
    code, _, err = run(["scan", "-", "--max-file-size", "1MB"], capsys)
    assert "<stdin>: standard input is over the 1.0 MiB limit; not scanned" in err
    assert raw.tell() <= 1024 * 1024 + 1 + 8192  # the limit, plus what the text wrapper buffers
    assert code == 2  # nothing else was given to scan


def test_stdin(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(POD.encode())))
    code, out, _ = run(["scan", "-", "--enable", "K8S-001", "-f", "json"], capsys)
    assert code == 1 and json.loads(out)["findings"][0]["file"] == "<stdin>"


def test_baseline_then_scan(write, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    f = write("p.yaml", POD)
    base = tmp_path / "base.json"
    code, _, err = run(["baseline", str(f), "-o", str(base)], capsys)
    assert code == 0 and "wrote" in err
    code, _, _ = run(["scan", str(f), "--baseline", str(base)], capsys)
    assert code == 0


def test_ignore_file_option(write, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    f = write("p.yaml", POD)
    ignore = write("security/exceptions.yaml", "- {rule: K8S-001, resource: Pod/apps/p, reason: SEC-12 pilot}\n")
    code, out, _ = run(["scan", str(f), "--enable", "K8S-001", "-f", "json", "--ignore-file", str(ignore)], capsys)
    assert code == 0 and json.loads(out)["summary"]["suppressed"] == 1
    code, _, err = run(["scan", str(f), "--ignore-file", str(tmp_path / "nope.yaml")], capsys)
    assert code == 2 and "nope.yaml: ignore file not found" in err


def test_rules_json_interface(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(["rules", "--format", "json"], capsys)
    rules = json.loads(out)
    assert code == 0 and rules
    assert {"id", "title", "severity", "targets", "requirements"} <= set(rules[0])


def test_rule_page_and_unknown_rule(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(["rules", "k8s-001"], capsys)
    assert code == 0 and "## K8S-001 privileged-container" in out and "Why is this bad?" in out
    code, _, err = run(["rules", "K8S-999"], capsys)
    assert code == 2 and "unknown rule id" in err


def test_docs_rules_md_is_current(capsys) -> None:  # type: ignore[no-untyped-def]
    _, out, _ = run(["rules", "--format", "markdown"], capsys)
    committed = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    assert out == committed, "docs/rules.md is stale: run `cnsmm rules --format markdown > docs/rules.md`"


def test_examples_scan(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(["scan", str(REPO / "examples"), "-f", "json"], capsys)
    doc = json.loads(out)
    assert code == 1 and doc["complete"]
    bad = {f["resource"] for f in doc["findings"] if f["severity"] in ("critical", "high")}
    assert "Deployment/shop/payments" in bad
    assert "Deployment/shop/frontend" not in bad


def test_hostile_inputs_each_get_a_message_and_the_rest_is_scanned(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "good.yaml").write_text(POD)
    bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    bomb += [f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 10) + "]" for i in range(9)]
    (tmp_path / "bomb.yaml").write_text("\n".join(bomb) + "\n")
    (tmp_path / "deep.yaml").write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    (tmp_path / "binary.yaml").write_bytes(b"\x00\x01\x02ELF" * 100)
    (tmp_path / "latin1.yaml").write_bytes("kind: Pod\nname: caf\xe9\n".encode("latin-1"))
    (tmp_path / "huge.yaml").write_text("a: " + "x" * (2 * 1024 * 1024) + "\n")
    (tmp_path / "loop").mkdir()
    (tmp_path / "loop" / "back").symlink_to(tmp_path)
    code, out, _ = run(["scan", str(tmp_path), "--enable", "K8S-001", "--max-file-size", "1MB", "-f", "json"],
                         capsys)
    doc = json.loads(out)
    kinds = {e["file"].rsplit("/", 1)[-1]: e["kind"] for e in doc["errors"]}
    assert kinds == {"bomb.yaml": "alias-bomb", "deep.yaml": "parse", "binary.yaml": "binary",
                     "latin1.yaml": "encoding", "huge.yaml": "size"}
    assert [s["reason"] for s in doc["skipped"] if s["file"].endswith("back")] == [
        f"symbolic link to {tmp_path}, a folder that contains the link (a loop); not followed: its files are "
        "scanned there"]
    assert [f["resource"] for f in doc["findings"]] == ["Pod/apps/p"]
    assert code == 1 and doc["complete"] is False


def test_links_out_of_the_scanned_folder_are_not_read(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """Regression: a link to a Secret outside the checkout produced findings quoting it, and a
    link to / walked the whole filesystem."""
    repo, outside = tmp_path / "repo", tmp_path / "home"
    repo.mkdir()
    outside.mkdir()
    (repo / "good.yaml").write_text(POD)
    (outside / "other.yaml").write_text(POD.replace("name: p,", "name: outside,"))
    (repo / "stolen.yaml").symlink_to(outside / "other.yaml")
    (repo / "everything").symlink_to("/")
    code, out, _ = run(["scan", str(repo), "--enable", "K8S-001", "-f", "json"], capsys)
    doc = json.loads(out)
    assert [f["resource"] for f in doc["findings"]] == ["Pod/apps/p"]
    assert sorted(Path(s["file"]).name for s in doc["skipped"]) == ["everything", "stolen.yaml"]
    assert all("outside" in s["reason"] and "not followed" in s["reason"] for s in doc["skipped"])
    assert code == 1 and doc["complete"] is True and doc["errors"] == []


def test_a_link_to_a_folder_inside_the_tree_is_scanned_once_and_no_error(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """Regression: a link to a folder of the same checkout was an error ("symbolic link loop")
    that made the scan incomplete; a link to a Secret outside is still not read."""
    repo, outside = tmp_path / "repo", tmp_path / "home"
    (repo / "base").mkdir(parents=True)
    (repo / "overlays").mkdir()
    outside.mkdir()
    (repo / "base" / "pod.yaml").write_text(POD)
    (repo / "overlays" / "base").symlink_to(repo / "base")
    (outside / "secret.yaml").write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
                                         "stringData: {password: hunter2-outside}\n")
    (repo / "overlays" / "secret.yaml").symlink_to(outside / "secret.yaml")
    code, out, _ = run(["scan", str(repo), "-f", "json", "--no-render"], capsys)
    doc = json.loads(out)
    assert code == 1 and doc["complete"] is True and doc["errors"] == []
    assert {f["resource"] for f in doc["findings"]} == {"Pod/apps/p"}
    assert {f["file"] for f in doc["findings"]} == {str(repo / "base" / "pod.yaml")}
    assert "hunter2-outside" not in out
    reasons = {Path(s["file"]).name: s["reason"] for s in doc["skipped"]}
    assert "a folder inside the scanned folder" in reasons["base"]
    assert "outside" in reasons["secret.yaml"] and "not followed" in reasons["secret.yaml"]


def test_rules_needing_configuration_are_listed_as_not_evaluated(write, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    f = write("Dockerfile", "FROM someone/python:3.12\n")
    monkeypatch.chdir(f.parent)  # no cnsmm.yaml here or above (the tmp folder is no repository)
    code, out, _ = run(["scan", str(f), "--enable", "DKR-053", "-f", "json", "--no-render"], capsys)
    doc = json.loads(out)
    assert code == 0 and doc["findings"] == [] and "DKR-053" not in doc["coverage"]
    assert doc["not_evaluated"] == [{"rule": "DKR-053", "reason": "needs the option `dockerfile.trusted_registries` "
                                     "or `trusted_registries`, which is not configured"}]
    _, text, _ = run(["scan", str(f), "--enable", "DKR-053", "--no-render"], capsys)
    assert "not evaluated for lack of configuration: DKR-053" in text
    _, junit, _ = run(["scan", str(f), "--enable", "DKR-053", "-f", "junit", "--no-render"], capsys)
    assert 'skipped="1"' in junit and "<skipped" in junit
    config = write("cnsmm.yaml", "options:\n  trusted_registries: [library]\n")
    code, out, _ = run(["scan", str(f), "--enable", "DKR-053", "-f", "json", "-c", str(config), "--no-render"], capsys)
    doc = json.loads(out)
    assert code == 1 and doc["not_evaluated"] == [] and [x["rule"] for x in doc["findings"]] == ["DKR-053"]
