"""The located YAML loader on realistic and hostile inputs."""

from __future__ import annotations

import pytest

from cnsmm.sources import yamlload
from cnsmm.sources.yamlload import MAX_DEPTH, YList, YMap, line_of, load_yaml

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: app
          image: nginx:1.25
          ports:
            - containerPort: 80
"""


def test_lines_of_keys_and_items() -> None:
    docs, problems = load_yaml(DEPLOYMENT)
    assert not problems
    doc = docs[0].value
    assert isinstance(doc, YMap) and doc.line == 1
    containers = doc["spec"]["template"]["spec"]["containers"]
    assert isinstance(containers, YList)
    assert line_of(doc, ("spec", "template", "spec", "containers", 0, "image"), 0) == 10
    assert line_of(doc, ("spec", "template", "spec", "containers", 0, "ports", 0, "containerPort"), 0) == 12
    # a missing field resolves to its nearest parent
    assert line_of(doc, ("spec", "template", "spec", "containers", 0, "securityContext"), 0) == 9


def test_multi_document_stream_keeps_good_documents_around_a_bad_one() -> None:
    text = "a: 1\n---\nb: [unclosed\n---\nc: 3\n"
    docs, problems = load_yaml(text)
    assert [d.value for d in docs] == [{"a": 1}, {"c": 3}]
    assert docs[1].line == 5
    assert len(problems) == 1 and problems[0].line in (3, 4)


def test_duplicate_keys_last_wins_and_are_recorded() -> None:
    docs, _ = load_yaml("kind: Pod\nspec: {}\nkind: Deployment\n")
    assert docs[0].value["kind"] == "Deployment"
    dup = docs[0].duplicates[0]
    assert (dup.key, dup.line, dup.first_line) == ("kind", 3, 1)


def test_yaml11_value_key_is_read_as_a_string() -> None:
    # kube-prometheus ships a CRD whose enum contains a bare "=" key
    docs, problems = load_yaml("ops:\n  =: equal\n  '!=': not\n")
    assert not problems
    assert docs[0].value["ops"] == {"=": "equal", "!=": "not"}


def test_scalars_follow_yaml_1_1_like_kubectl() -> None:
    docs, _ = load_yaml("a: yes\nb: 0x1F\nc: 1.5\nd: ~\ne: '080'\nf: 2024-01-01\n")
    assert docs[0].value == {"a": True, "b": 31, "c": 1.5, "d": None, "e": "080", "f": "2024-01-01"}


def test_alias_bomb_is_refused_without_expanding() -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 10):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 10) + "]")
    docs, problems = load_yaml("\n".join(lines) + "\n")
    assert docs == []
    assert "alias bomb" in problems[0].message


def test_modest_alias_reuse_is_fine() -> None:
    docs, problems = load_yaml("base: &b {cpu: 1}\nx: *b\ny:\n  <<: *b\n  mem: 2\n")
    assert not problems
    assert docs[0].value["x"] == {"cpu": 1}
    assert docs[0].value["y"] == {"cpu": 1, "mem": 2}


def test_deep_nesting_is_refused_cleanly() -> None:
    depth = MAX_DEPTH + 50
    text = "a:\n" + "".join("  " * i + "- \n" for i in range(1, 2)) + "b: " + "[" * depth + "]" * depth + "\n"
    _, problems = load_yaml(text)
    assert problems and ("nested deeper" in problems[0].message or "nesting" in problems[0].message)


def test_flow_nesting_bomb_does_not_crash() -> None:
    _, problems = load_yaml("a: " + "[" * 100_000 + "]" * 100_000)
    assert problems


def test_json_is_loaded_with_lines() -> None:
    docs, problems = load_yaml('{\n  "kind": "Pod",\n  "apiVersion": "v1",\n  "metadata": {"name": "x"}\n}\n')
    assert not problems
    assert docs[0].value.key_lines["apiVersion"] == 3


def test_empty_and_comment_only_streams() -> None:
    assert load_yaml("") == ([], [])
    assert load_yaml("# nothing here\n---\n") == ([], [])


def _reusing_documents(count: int) -> str:
    """``count`` documents, each expanding to about 10,000 nodes from 100 anchored items."""
    doc = "items: &a [" + ",".join(["x"] * 100) + "]\nreuse: [" + ",".join(["*a"] * 100) + "]\n"
    return "---\n".join([doc] * count)


def test_alias_reuse_is_capped_for_the_whole_file_not_per_document() -> None:
    """Regression: 200 documents each just under a per-document cap expanded to 2.8 GB."""
    text = _reusing_documents(150)  # 1.5 million nodes from 90 KB
    docs, problems = load_yaml(text)
    assert 90 <= len(docs) < 100  # the documents before the one that went over are kept
    assert len(problems) == 1 and problems[0].kind == "alias-bomb"
    assert "the file expands to more than 1,000,000 nodes" in problems[0].message
    assert problems[0].line > docs[-1].line


def test_alias_cap_holds_when_another_document_is_malformed() -> None:
    text = "a: [unclosed\n---\n" + _reusing_documents(150)
    docs, problems = load_yaml(text)
    assert len(docs) < 100
    assert [p.kind for p in problems] == ["parse", "alias-bomb"]


def test_large_files_without_aliases_get_a_node_per_character(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlload, "MAX_NODES", 1000)
    plain = "[" + ",".join(["1"] * 1500) + "]\n"  # 1,500 nodes from 3,000 characters
    assert load_yaml(plain)[1] == []
    aliased = "a: &a [1,1,1,1,1,1,1,1,1,1]\nb: [" + ",".join(["*a"] * 150) + "]\n"  # 1,500 from 480
    assert load_yaml(aliased)[1][0].kind == "alias-bomb"
