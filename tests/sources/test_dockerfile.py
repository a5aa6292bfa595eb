"""The Dockerfile parser and analyzer on tricky, realistic Dockerfiles."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnsmm.findings import Severity
from cnsmm.rules import Hit, Rule, RuleContext, RuleMeta, Scope, get_rule
from cnsmm.scan import analyze_file
from cnsmm.sources.dockerfile import ANALYZER, Dockerfile, parse

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"

MULTI_STAGE = """\
# syntax=docker/dockerfile:1.7
# check=skip=JSONArgsRecommended
ARG GO_VERSION=1.22
ARG BASE=gcr.io/distroless/static-debian12
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS Build
WORKDIR /src
RUN --mount=type=cache,target=/root/.cache/go-build \\
    # comments inside a continuation are dropped
    --mount=type=bind,target=. \\

    CGO_ENABLED=0 go build -o /out/app ./cmd/app
FROM build AS test
RUN go test ./...
FROM ${BASE:-scratch}:nonroot
COPY --from=build /out/app /app
COPY --from=0 /etc/ssl/certs /etc/ssl/certs
ENTRYPOINT ["/app"]
"""


def test_multi_stage_with_args_platform_and_stage_references() -> None:
    df = parse(MULTI_STAGE, "Dockerfile")
    assert df.errors == ()
    assert df.directives == {"syntax": "docker/dockerfile:1.7", "check": "skip=JSONArgsRecommended"}
    assert [a.line for a in df.global_args] == [3, 4]
    build, test, final = df.stages
    assert (build.name, build.image, build.platform, build.line) == (
        "build", "golang:1.22-bookworm", "$BUILDPLATFORM", 5)
    assert (test.parent, test.name) == (0, "test")
    assert final.image == "gcr.io/distroless/static-debian12:nonroot" and final.parent is None
    run = build.instructions[1]
    assert (run.keyword, run.line, run.end_line) == ("RUN", 7, 11)
    assert run.flag("mount") == "type=bind,target=."
    assert [v for k, v in run.flags] == ["type=cache,target=/root/.cache/go-build", "type=bind,target=."]
    assert run.args.split() == ["CGO_ENABLED=0", "go", "build", "-o", "/out/app", "./cmd/app"]
    assert final.instructions[-1].exec_form == ("/app",)
    assert df.lineage(test) == [test, build]
    assert df.stage_named("BUILD", before=2) is build
    assert df.stage_named("0", before=2) is build


def test_heredocs_several_on_one_line_and_dash_form() -> None:
    text = (
        "FROM alpine:3.20\n"
        "RUN <<-EOT sh\n"
        "\tset -e\n"
        "\tapk add --no-cache curl\n"
        "\tEOT\n"
        "COPY <<CONF /etc/app.conf <<'RAW' /etc/raw.txt\n"
        "port = $PORT\n"
        "CONF\n"
        "not $expanded\n"
        "RAW\n"
        "USER app\n"
    )
    df = parse(text)
    assert df.errors == ()
    run, copy, user = df.stages[0].instructions
    assert (run.line, run.end_line) == (2, 5)
    assert run.heredocs[0].body == "set -e\napk add --no-cache curl" and run.heredocs[0].strip_tabs
    assert "apk add" in run.script
    assert [h.name for h in copy.heredocs] == ["CONF", "RAW"]
    assert [(h.line, h.end_line, h.quoted) for h in copy.heredocs] == [(7, 8, False), (9, 10, True)]
    assert (user.line, user.expanded) == (11, "app")


def test_unterminated_heredoc_is_an_error_with_line_and_parse_goes_on() -> None:
    df = parse("FROM alpine:3.20\nUSER app\nRUN <<EOF\necho hi\n", "x/Dockerfile")
    assert [(e.file, e.line) for e in df.errors] == [("x/Dockerfile", 3)]
    assert "unterminated heredoc <<EOF" in df.errors[0].message
    assert [i.keyword for i in df.stages[0].instructions] == ["USER", "RUN"]


def test_backtick_escape_directive_for_windows_dockerfiles() -> None:
    text = (
        "# escape=`\n"
        "FROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
        "RUN powershell -Command `\n"
        "    Invoke-WebRequest https://example.com/a.zip -OutFile C:\\a.zip\n"
        "WORKDIR C:\\app\n"
    )
    df = parse(text)
    assert df.escape == "`" and df.errors == ()
    run, workdir = df.stages[0].instructions
    assert (run.line, run.end_line) == (3, 4)
    assert "Invoke-WebRequest" in run.args and "`" not in run.args
    assert workdir.expanded == "C:\\app"


def test_directives_only_at_the_top() -> None:
    df = parse("FROM alpine:3.20\n# escape=`\nRUN echo \\\n  hi\n")
    assert df.directives == {} and df.escape == "\\"
    assert df.stages[0].instructions[0].end_line == 4


def test_exec_form_shell_form_and_broken_json() -> None:
    text = (
        "FROM alpine:3.20\n"
        'CMD ["python", "app.py"]\n'
        "RUN [ -f /etc/os-release ] && echo ok\n"
        "ENTRYPOINT ['python', 'app.py']\n"
        'SHELL /bin/bash -c\n'
        "BOGUS something\n"
        "USER app\n"
    )
    df = parse(text, "Dockerfile")
    cmd, run, entry, _shell, user = df.stages[0].instructions
    assert cmd.exec_form == ("python", "app.py")
    assert run.exec_form is None
    assert entry.exec_form is None
    assert [e.line for e in df.errors] == [4, 5, 6]
    assert "not valid JSON" in df.errors[0].message
    assert "SHELL needs a JSON array" in df.errors[1].message
    assert "unknown instruction 'BOGUS'" in df.errors[2].message
    assert user.keyword == "USER"


def test_arg_and_env_substitution_where_the_builder_does_it() -> None:
    text = (
        "ARG REGISTRY=docker.io\n"
        "ARG TAG\n"
        "FROM $REGISTRY/library/node:${TAG:-20}-slim\n"
        "ARG REGISTRY\n"
        "ENV APP_HOME=/srv/app USER_ID=10001\n"
        "ENV LOG_DIR ${APP_HOME}/logs\n"
        "WORKDIR ${LOG_DIR}\n"
        "USER ${USER_ID}:${GROUP:-0}\n"
        "RUN echo $APP_HOME\n"
        "LABEL registry=$REGISTRY literal=\\$HOME\n"
    )
    df = parse(text)
    stage = df.stages[0]
    assert stage.image == "docker.io/library/node:20-slim" and stage.resolved
    workdir, user, run, label = (i for i in stage.instructions if i.keyword in ("WORKDIR", "USER", "RUN", "LABEL"))
    assert workdir.expanded == "/srv/app/logs"
    assert user.expanded == "10001:0"
    assert run.expanded == "echo $APP_HOME"  # RUN is left to the shell
    assert label.expanded == "registry=docker.io literal=$HOME"


def test_build_args_override_defaults_and_unknown_args_are_unresolved() -> None:
    df = parse("ARG BASE\nFROM $BASE\nFROM python:${PY}\n", build_args={"BASE": "alpine:3.20"})
    assert df.stages[0].image == "alpine:3.20" and df.stages[0].resolved
    assert not df.stages[1].resolved


def test_onbuild_wraps_an_instruction() -> None:
    df = parse("FROM alpine:3.20\nONBUILD COPY . /app\nONBUILD RUN make\n")
    onbuild = df.stages[0].instructions[0]
    assert onbuild.onbuild is not None and onbuild.onbuild.keyword == "COPY"


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "\ufeff", "\x00\x01binary"])
def test_empty_and_garbage_input_never_raise(text: str) -> None:
    df = parse(text, "Dockerfile")
    assert df.stages == ()
    if text.lstrip("\ufeff").strip() and not text.strip().startswith("#"):
        assert df.errors


def test_instruction_before_from_is_reported() -> None:
    df = parse("RUN echo hi\nFROM alpine:3.20\n", "Dockerfile")
    assert [(e.line, "before the first FROM" in e.message) for e in df.errors] == [(1, True)]


def test_huge_input_stays_linear() -> None:
    body = "FROM alpine:3.20\n" + "RUN echo a \\\n    b\n" * 20000
    df = parse(body)
    assert len(df.stages[0].instructions) == 20000
    assert df.stages[0].instructions[-1].end_line == 40001


@pytest.mark.parametrize(("path", "expected"), [
    ("Dockerfile", True), ("svc/Dockerfile.prod", True), ("api.Dockerfile", True),
    ("web.dockerfile", True), ("x/Containerfile", True), ("Containerfile.ubi", True),
    ("build/WEB.DOCKERFILE", True), ("Dockerfile.dockerignore", False), ("docs/Dockerfile.md", False),
    ("Dockerfiles/readme.txt", False), ("mydockerfile", False), ("Dockerfile.template", False),
    ("deploy/Dockerfile.j2", False), ("Dockerfile.orig", False), ("Dockerfile-dev", True), ("Dockerfile_prod", True),
    ("svc/api-Dockerfile", True), ("base_containerfile", True), ("Dockerfile-dev.md", False),
    ("dockerfile-lint.yaml", False), ("Dockerfile-", True),
])
def test_file_detection(path: str, expected: bool) -> None:
    assert ANALYZER.matches(path) is expected


def _rule(rule_id: str) -> Rule:
    rule = get_rule(rule_id)
    assert rule is not None
    return rule


def test_inline_and_file_suppressions() -> None:
    text = (
        "# cnsmm:ignore-file DKR-042 probed by Kubernetes\n"
        "FROM alpine:3.20\n"
        "# cnsmm:ignore DKR-005 debug image, never deployed\n"
        "USER root\n"
        "USER 0\n"
    )
    rules = [_rule("DKR-005"), _rule("DKR-042"), _rule("DKR-052")]
    report = analyze_file(ANALYZER, text, "Dockerfile", rules, RuleContext())
    assert [(r.id, h.line) for r, h in report.hits] == [("DKR-005", 5)]


def test_suppression_without_reason_still_applies_and_is_reported() -> None:
    text = "FROM alpine:3.20\n# cnsmm:ignore DKR-005\nUSER root\n"
    report = analyze_file(ANALYZER, text, "Dockerfile", [_rule("DKR-005"), _rule("DKR-052")], RuleContext())
    assert [(r.id, h.line) for r, h in report.hits] == [("DKR-052", 3)]


def test_suppression_covers_every_line_of_a_multiline_instruction() -> None:
    text = "FROM debian:12\n# cnsmm:ignore DKR-029 pinned by the base image digest\nRUN apt-get install -y \\\n  curl\n"
    report = analyze_file(ANALYZER, text, "Dockerfile", [_rule("DKR-029")], RuleContext())
    assert report.hits == []


def test_dockerignore_next_to_the_file(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM alpine:3.20\nCOPY . /app\n")
    rule = [_rule("DKR-046")]
    assert len(analyze_file(ANALYZER, dockerfile.read_text(), os.fspath(dockerfile), rule, RuleContext()).hits) == 1
    (tmp_path / ".dockerignore").write_text(".git\n")
    assert analyze_file(ANALYZER, dockerfile.read_text(), os.fspath(dockerfile), rule, RuleContext()).hits == []


def test_a_failing_rule_becomes_an_error_and_the_others_still_run() -> None:
    def boom(df: Dockerfile, ctx: RuleContext) -> list[Hit]:
        raise RuntimeError("bad rule")

    meta = RuleMeta(id="DKR-999", name="boom", title="Boom", severity=Severity.LOW, scope=Scope.DOCKERFILE,
                    targets=("Dockerfile",), requirements=(), what="x", why="x", fix="x.", bad="x", good="x")
    report = analyze_file(ANALYZER, "FROM alpine\nUSER root\n", "Dockerfile",
                              [Rule(meta, boom), _rule("DKR-005")], RuleContext())
    assert [r.id for r, _h in report.hits] == ["DKR-005"]
    assert report.errors[0].kind == "internal" and "DKR-999" in report.errors[0].message


def test_build_args_option_reaches_the_parser() -> None:
    ctx = RuleContext(options={"dockerfile.build_args": {"BASE": "ubuntu"}})
    report = analyze_file(ANALYZER, "ARG BASE\nFROM $BASE\n", "Dockerfile", [_rule("DKR-001")], ctx)
    assert [h.line for _r, h in report.hits] == [2]


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")
def test_corpus_dockerfiles_parse_without_errors() -> None:
    from cnsmm.rules import all_rules

    rules = [r for r in all_rules() if r.meta.scope == Scope.DOCKERFILE]
    files = [p for p in CORPUS.rglob("*") if p.is_file() and ANALYZER.matches(p.name)]
    assert len(files) > 100
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        report = analyze_file(ANALYZER, text, os.fspath(path), rules, RuleContext())
        assert report.errors == [], [e.display() for e in report.errors]
        assert parse(text, os.fspath(path)).stages, path


_FRAGMENTS = st.sampled_from([
    "FROM alpine:3.20", "FROM $X AS b", "RUN echo hi \\", "RUN <<EOF", "EOF", "<<-X", "\tX", "# escape=`",
    "# cnsmm:ignore DKR-005", "COPY --from=b . .", 'CMD ["a", ', "ENV A=${B:-c} D", "ARG T", "USER root",
    "ONBUILD RUN x", "HEALTHCHECK NONE", "  ", "`", "\\", "--", '"', "'", "[", "\x00", "é",
])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_FRAGMENTS, st.text(max_size=30)), max_size=25))
def test_parser_and_rules_never_raise_on_arbitrary_input(parts: list[str]) -> None:
    from cnsmm.rules import all_rules

    text = "\n".join(parts)
    df = parse(text, "Dockerfile")
    for inst in df.instructions():
        assert 1 <= inst.line <= inst.end_line
    rules = [r for r in all_rules() if r.meta.scope == Scope.DOCKERFILE]
    report = analyze_file(ANALYZER, text, "Dockerfile", rules, RuleContext())
    assert all(e.kind != "internal" for e in report.errors), [e.display() for e in report.errors]
    assert all(h.line is not None and h.line >= 1 for _r, h in report.hits)


def test_scan_reports_dockerfile_findings_with_file_line_and_suppressions(tmp_path: Path) -> None:
    from cnsmm.config import Config
    from cnsmm.scan import scan_paths

    service = tmp_path / "svc"
    service.mkdir()
    (service / "Dockerfile").write_text(
        "FROM python:3.12-slim\n"
        "WORKDIR /app\n"
        "COPY . .\n"
        "# cnsmm:ignore DKR-036 dummy value for local runs only\n"
        "ENV DB_PASSWORD=postgres\n"
        "RUN curl -fsSL https://get.example.com | sh\n"
        "USER root\n"
    )
    (tmp_path / "api.Containerfile").write_text("FROM alpine:3.20\nBROKEN instr\nUSER 10001\n")
    result = scan_paths([str(tmp_path)], Config(only=frozenset({"DKR-005", "DKR-014", "DKR-036", "DKR-046"})))
    found = sorted((Path(f.location.file or "").name, f.location.line, f.rule) for f in result.findings)
    assert found == [("Dockerfile", 3, "DKR-046"), ("Dockerfile", 6, "DKR-014"), ("Dockerfile", 7, "DKR-005")]
    assert [(Path(e.file).name, e.line) for e in result.errors] == [("api.Containerfile", 2)]


def test_shift_operators_and_here_strings_are_not_heredocs() -> None:
    df = parse('FROM alpine:3.20\nRUN echo $((1<<2)) && cat <<<"x"\nUSER app\n')
    assert df.errors == ()
    assert [i.keyword for i in df.stages[0].instructions] == ["RUN", "USER"]


def test_unknown_directive_is_a_comment_and_ends_directives() -> None:
    df = parse("# maintainer=jane\n# escape=`\nFROM alpine:3.20\n")
    assert df.directives == {} and df.escape == "\\"
    assert [c.line for c in df.comments] == [1, 2]


def test_variables_doubling_at_every_line_stop_expanding_within_a_budget() -> None:
    """Regression: 30 ENV lines each doubling the one before took 4 GB and minutes to expand."""
    lines = ["FROM alpine:3.20", "ENV A0=xx"] + [f"ENV A{i}=$A{i - 1}$A{i - 1}" for i in range(1, 40)]
    text = "\n".join([*lines, "LABEL big=$A39"]) + "\n"
    df = parse(text)
    refused = [i for i in df.stages[0].instructions if not i.resolved]
    assert refused and refused[0].expanded == refused[0].args  # left as written, not resolved
    assert max(len(i.expanded) for i in df.stages[0].instructions) <= (1 << 20) + 2 * len(text)
    assert df.stages[0].instructions[4].expanded == "A4=" + "x" * 32 and df.stages[0].instructions[4].resolved
    small = parse("FROM alpine:3.20\nENV B=b\nENV C=$B$B\nLABEL c=$C\n")
    assert small.stages[0].instructions[-1].expanded == "c=bb"


def test_expansion_limit_returns_the_text_unexpanded() -> None:
    from cnsmm.sources._dockerfile_syntax import expand

    assert expand("$A-$A", {"A": "x" * 10}) == ("x" * 10 + "-" + "x" * 10, True)
    assert expand("$A-$A", {"A": "x" * 10}, limit=15) == ("$A-$A", False)
