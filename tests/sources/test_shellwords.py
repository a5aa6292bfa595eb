"""The linear-time word splitter gives shlex's words and errors, on tables and random text."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnsmm.config import Config
from cnsmm.rules.docker._shell import split_script
from cnsmm.scan import scan_paths
from cnsmm.sources import shellwords
from cnsmm.sources._dockerfile_syntax import split_words
from cnsmm.sources.pipelines.shell import tokens

SHELL_OPERATORS = ";&|()<>"


def reference(text: str, punctuation: str, comments: bool) -> list[str] | str:
    """What shlex gives, as the call sites configure it; the error message on failure."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars=punctuation) if punctuation else shlex.shlex(
        text, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = "#" if comments else ""
    try:
        return list(lexer)
    except ValueError as exc:
        return str(exc)


def ours(text: str, punctuation: str, comments: bool) -> list[str] | str:
    try:
        return shellwords.split(text, punctuation=punctuation, comments=comments)
    except ValueError as exc:
        return str(exc)


CASES: list[tuple[str, str, bool, list[str] | str]] = [
    # (text, punctuation, comments, expected)
    ("", "", False, []),
    ("  \t\r\n ", "", False, []),
    ("apt-get install -y curl", "", False, ["apt-get", "install", "-y", "curl"]),
    ("a\x0bb\x0cc", "", False, ["a\x0bb\x0cc"]),  # only space, tab, CR and LF separate words
    ("'single $HOME \\n'", "", False, ["single $HOME \\n"]),
    ('"double \\" \\\\ \\$x \\n"', "", False, ['double " \\ \\$x \\n']),
    ("''", "", False, [""]),
    ('a "" b', "", False, ["a", "", "b"]),
    ("a''b\"\"c", "", False, ["abc"]),
    ("pre'mid dle'post", "", False, ["premid dlepost"]),
    ("\\ a\\ b \\'c", "", False, [" a b", "'c"]),
    ("a\\\nb", "", False, ["a\nb"]),  # shlex keeps an escaped newline
    ("echo 'unterminated", "", False, "No closing quotation"),
    ('echo "unterminated', "", False, "No closing quotation"),
    ('echo "ends with \\"', "", False, "No closing quotation"),
    ('echo "ends with \\', "", False, "No escaped character"),
    ("echo trailing\\", "", False, "No escaped character"),
    ("a # b 'c", "", False, "No closing quotation"),
    ("a # b 'c", "", True, ["a"]),
    ("a#b c\nd", "", True, ["a", "d"]),  # shlex starts a comment inside a word too
    ("'#x' \\#y", "", True, ["#x", "#y"]),
    ("a;b&&c||d|e", SHELL_OPERATORS, False, ["a", ";", "b", "&&", "c", "||", "d", "|", "e"]),
    ("cmd >/dev/null 2>&1", SHELL_OPERATORS, False, ["cmd", ">", "/dev/null", "2", ">&", "1"]),
    ("(cd x);'a;b'\";\"", SHELL_OPERATORS, False, ["(", "cd", "x", ");", "a;b;"]),
    (";;&'x'", SHELL_OPERATORS, False, [";;&", "x"]),
    ("a #b;c", SHELL_OPERATORS, False, ["a", "#b", ";", "c"]),
]


@pytest.mark.parametrize(("text", "punctuation", "comments", "expected"), CASES)
def test_edge_cases_match_shlex(text: str, punctuation: str, comments: bool, expected: list[str] | str) -> None:
    assert ours(text, punctuation, comments) == expected
    assert reference(text, punctuation, comments) == expected


SHELLISH = st.text(alphabet=st.sampled_from(list("ab9 \t\r\n'\"\\#;&|()<>=$`é\x0b")), max_size=40)


@settings(max_examples=1000, deadline=None)
@given(text=SHELLISH, punctuation=st.sampled_from(["", SHELL_OPERATORS]), comments=st.booleans())
def test_same_words_and_errors_as_shlex(text: str, punctuation: str, comments: bool) -> None:
    assert ours(text, punctuation, comments) == reference(text, punctuation, comments)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=60), punctuation=st.sampled_from(["", SHELL_OPERATORS]), comments=st.booleans())
def test_same_as_shlex_on_any_text(text: str, punctuation: str, comments: bool) -> None:
    assert ours(text, punctuation, comments) == reference(text, punctuation, comments)


def test_call_sites_keep_their_fallbacks_on_unbalanced_quotes() -> None:
    assert split_words("a 'b c") == ["a", "'b", "c"]
    assert tokens('echo "x') == ["echo", '"x']
    assert [(c.name, c.args) for c in split_script("echo 'x; ls")] == [("echo", ("'x",)), ("ls", ())]


def test_long_words_and_many_words_split_whole() -> None:
    word = "A" * 300_000
    assert shellwords.split(f"echo {word}", punctuation=SHELL_OPERATORS) == ["echo", word]
    assert split_words("x " * 100_000) == ["x"] * 100_000
    assert tokens(f"trivy image '{word}' --exit-code 1") == ["trivy", "image", word, "--exit-code", "1"]


def test_long_pipeline_remembers_the_nearest_upstream_programs() -> None:
    commands = split_script("curl -s https://x | " + "cat | " * 200 + "sh")
    assert len(commands) == 202
    assert commands[1].piped_from == ("curl",)
    assert commands[-1].name == "sh" and len(commands[-1].piped_from) == 64
    assert commands[-1].piped_from[-1] == "cat"


def test_scan_of_a_dockerfile_with_one_huge_word_reports_the_manifest_beside_it(tmp_path: Path) -> None:
    """Regression: a 10 MB word in a RUN line kept the scan busy for more than 40 minutes."""
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.19\nRUN echo " + "A" * 2_000_000 + " && curl x | sh\n")
    (tmp_path / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: web\n"
        "    image: nginx:1.27\n    securityContext:\n      privileged: true\n"
    )
    result = scan_paths([str(tmp_path)], Config(workers=1))
    rules = {(f.rule, Path(f.location.file or "").name) for f in result.findings}
    assert ("K8S-001", "pod.yaml") in rules
    assert any(name == "Dockerfile" for _rule, name in rules)
    assert not result.errors
