"""The pipeline FileAnalyzer: path matching, content sniffing, rules, inventory, bad input."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnsmm.rules import RuleContext, all_rules, get_rule
from cnsmm.rules.base import Scope
from cnsmm.scan import analyze_file
from cnsmm.sources.pipelines import ANALYZER, sniff

PIPELINE_RULES = [r for r in all_rules() if r.meta.scope == Scope.PIPELINE]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (".github/workflows/ci.yml", True), ("repo/.github/workflows/release.yaml", True),
        (".github/workflows/sub/ci.yml", False), (".github/actions/setup/action.yml", True),
        (".gitlab-ci.yml", True), ("ci/build.gitlab-ci.yml", True), (".gitlab/ci/lint.yml", True),
        ("Jenkinsfile", True), ("jenkins/Jenkinsfile.release", True), ("deploy.jenkinsfile", True),
        ("azure-pipelines.yml", True), ("azure-pipelines-pr.yaml", True), (".azure-pipelines/ci.yml", True),
        (".github/dependabot.yml", True), ("renovate.json", True), (".renovaterc.json", True),
        ("k8s/deployment.yaml", False), ("docs/Jenkinsfile.md", False), ("workflows/ci.yml", False),
    ],
)
def test_matches(path: str, expected: bool) -> None:
    assert ANALYZER.matches(path) is expected


def test_sniff_ignores_kubernetes_and_plain_yaml() -> None:
    tekton = """\
apiVersion: tekton.dev/v1
kind: Task
metadata: {name: scan}
spec:
  steps:
    - name: trivy
      image: aquasec/trivy:0.56.2
      script: trivy image app
"""
    assert sniff(tekton) is None
    assert sniff("services:\n  web:\n    image: nginx\n") is None
    assert sniff("jobs: 3\nstages: [a]\n") is None
    assert sniff("") is None
    # YAML whose block scalar holds a Jenkinsfile is judged as YAML, not as Jenkins
    assert sniff("controller:\n  jenkinsfile: |\n    pipeline {\n      agent any\n      stages {}\n    }\n") is None


def test_analyze_runs_only_rules_targeting_the_system() -> None:
    text = """\
image: node
job:
  script:
    - curl -fsSL https://x.example/install.sh | bash
"""
    report = analyze_file(ANALYZER, text, ".gitlab-ci.yml", PIPELINE_RULES, RuleContext())
    assert not report.errors
    assert sorted((r.id, h.line) for r, h in report.hits) == [("CI-008", 4), ("CI-013", 1)]
    (entry,) = report.extra["pipelines"]
    assert entry == {"file": ".gitlab-ci.yml", "system": "gitlab-ci", "events": ["push"], "activities": []}


def test_rule_options_reach_the_checks() -> None:
    text = "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
    rule = get_rule("CI-001")
    assert rule is not None
    assert analyze_file(ANALYZER, text, ".github/workflows/a.yml", [rule], RuleContext()).hits == []
    strict = analyze_file(ANALYZER, text, ".github/workflows/a.yml", [rule],
                              RuleContext({"ci.pin_github_owned_actions": True}))
    assert [(h.line, "actions/checkout@v4" in h.message) for _, h in strict.hits] == [(7, True)]


def test_malformed_yaml_is_an_input_error_with_its_line() -> None:
    text = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps: [\n      - run: x\n"
    report = analyze_file(ANALYZER, text, ".github/workflows/bad.yml", PIPELINE_RULES, RuleContext())
    assert report.hits == [] and "pipelines" not in report.extra
    (err,) = report.errors
    assert err.file == ".github/workflows/bad.yml" and err.line is not None and err.line >= 5
    assert "invalid YAML" in err.message and err.display().startswith(".github/workflows/bad.yml:")
    # the next file is analysed normally
    good = analyze_file(ANALYZER, "on: push\njobs: {}\n", ".github/workflows/ok.yml", PIPELINE_RULES, RuleContext())
    assert not good.errors and good.extra["pipelines"][0]["file"] == ".github/workflows/ok.yml"


@pytest.mark.parametrize(
    "text",
    [
        "", "   \n# only a comment\n", "- a\n- b\n", "just a string", "on: 123\njobs: [1, 2]\n",
        "on: push\njobs:\n  a: null\n  b: [1]\n  c:\n    steps: hello\n    runs-on: {labels: 5}\n",
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - null\n      - uses: 12\n      - run: [1]\n"
        "        with: [1]\n        env: 3\n",
        "a: &a [*a, *a]\n",
        "x: " + "[" * 2000 + "]" * 2000 + "\n",
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: '" + "A" * 50_000 + "'\n",
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: \"\\u0000\\ud800 ${{ github.event.issue.title }}\"\n",
    ],
)
def test_hostile_or_odd_yaml_never_crashes(text: str) -> None:
    for path in (".github/workflows/x.yml", ".gitlab-ci.yml", "azure-pipelines.yml", ".github/dependabot.yml",
                 "renovate.json"):
        report = analyze_file(ANALYZER, text, path, PIPELINE_RULES, RuleContext())
        assert all(e.file == path and e.message for e in report.errors)
        assert not any(e.kind == "internal" for e in report.errors), [e.display() for e in report.errors]


def test_empty_file_is_a_note_not_an_error() -> None:
    report = analyze_file(ANALYZER, "", ".gitlab-ci.yml", PIPELINE_RULES, RuleContext())
    assert not report.errors and report.notes and "empty" in report.notes[0]


def test_non_mapping_top_level_is_explained() -> None:
    report = analyze_file(ANALYZER, "- a\n- b\n", ".gitlab-ci.yml", PIPELINE_RULES, RuleContext())
    (err,) = report.errors
    assert err.line == 1 and "expected a mapping" in err.message


def test_unrecognised_file_is_a_note() -> None:
    report = analyze_file(ANALYZER, "a: 1\n", "misc/thing.yml", PIPELINE_RULES, RuleContext())
    assert not report.errors and not report.hits and "not recognised" in report.notes[0]


_FRAGMENTS = [
    "on: push\n", "on:\n  pull_request_target:\n", "jobs:\n", "  a:\n", "    runs-on: self-hosted\n",
    "    steps:\n", "      - run: |\n", "          curl -k x | sh\n", "      - uses: x/y@v1\n", "        with:\n",
    "          ref: ${{ github.head_ref }}\n", "stages: [a]\n", "b:\n  script:\n", "    - trivy image x || true\n",
    "  allow_failure: true\n", "  image: node\n", "variables:\n  CI_DEBUG_TRACE: 'true'\n", "- [\n", "'\n",
    "&a x\n", "*a\n", "\t\n", "pipeline {\n", "stage('x') {\n", "sh \"echo ${T}\"\n", "}\n", "\x00", "<<: *a\n",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=25), st.sampled_from(
    [".github/workflows/f.yml", ".gitlab-ci.yml", "Jenkinsfile", "azure-pipelines.yml", "x/other.yml"]))
def test_random_fragments_never_crash(parts: list[str], path: str) -> None:
    report = analyze_file(ANALYZER, "".join(parts), path, PIPELINE_RULES, RuleContext())
    assert all(e.file == path and e.kind != "internal" for e in report.errors), [e.display() for e in report.errors]
    assert all(h.line is not None and h.line >= 1 for _, h in report.hits)


def test_action_yml_that_is_not_an_action_is_a_note() -> None:
    report = analyze_file(ANALYZER, "name: x\nvalues: [1]\n", "charts/app/action.yaml", PIPELINE_RULES, RuleContext())
    assert not report.errors and not report.hits and "pipelines" not in report.extra
    assert "not a GitHub action" in report.notes[0]
