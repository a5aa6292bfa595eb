"""GitLab CI parsing and inventory: Auto DevOps templates, includes, extends, rules."""

from __future__ import annotations

from cnsmm.sources.pipelines import inventory_entry, parse, sniff

AUTO_DEVOPS = """\
include:
  - template: Auto-DevOps.gitlab-ci.yml
variables:
  DAST_DISABLED: "true"
  POSTGRES_ENABLED: "false"
"""

SECURITY = """\
stages: [build, test, deploy]
include:
  - template: Jobs/SAST.gitlab-ci.yml
  - template: Security/Secret-Detection.gitlab-ci.yml
  - template: Security/Dependency-Scanning.gitlab-ci.yml
  - template: Jobs/Container-Scanning.gitlab-ci.yml
  - component: $CI_SERVER_FQDN/components/dast/dast@1.0
  - local: ci/build.yml
  - project: acme/ci-templates
    file: [/lint.yml, /deploy.yml]
  - remote: https://example.com/ci.yml
workflow:
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
    - if: $CI_PIPELINE_SOURCE == "schedule"
.scanner:
  image: aquasec/trivy:0.56.2
  allow_failure: true
  variables:
    TRIVY_NO_PROGRESS: "true"
trivy_fs:
  extends: .scanner
  stage: test
  script:
    - trivy fs --exit-code 1 --scanners vuln,secret .
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
semgrep:
  stage: test
  image: semgrep/semgrep:1.90.0
  script: semgrep ci
  only: [merge_requests]
kics:
  stage: test
  image:
    name: checkmarx/kics:v2.1.3
    entrypoint: [""]
  script:
    - kics scan -p . --ignore-on-exit results
"""


def test_auto_devops_counts_its_security_jobs_except_disabled_ones() -> None:
    p, errors, _ = parse(AUTO_DEVOPS, ".gitlab-ci.yml")
    assert p is not None and not errors and p.system == "gitlab-ci"
    acts = inventory_entry(p)["activities"]
    assert sorted(a["category"] for a in acts) == ["image-scan", "sast", "sca", "secret-scan"]
    assert all(a["line"] == 2 and a["blocking"] is False and a["job"] == "Auto-DevOps.gitlab-ci.yml" for a in acts)


def test_security_templates_components_and_jobs() -> None:
    p, errors, _ = parse(SECURITY, ".gitlab-ci.yml")
    assert p is not None and not errors
    assert p.events == ("merge_request", "push", "schedule")
    assert [(i.kind, i.value, i.line) for i in p.includes] == [
        ("template", "Jobs/SAST.gitlab-ci.yml", 3),
        ("template", "Security/Secret-Detection.gitlab-ci.yml", 4),
        ("template", "Security/Dependency-Scanning.gitlab-ci.yml", 5),
        ("template", "Jobs/Container-Scanning.gitlab-ci.yml", 6),
        ("component", "$CI_SERVER_FQDN/components/dast/dast@1.0", 7),
        ("local", "ci/build.yml", 8),
        ("file", "/lint.yml", 10), ("file", "/deploy.yml", 10),
        ("project", "acme/ci-templates", 9),
        ("remote", "https://example.com/ci.yml", 11),
    ]
    # hidden jobs are templates, not jobs; extends merges them in
    assert [j.id for j in p.jobs] == ["trivy_fs", "semgrep", "kics"]
    trivy = p.jobs[0]
    assert trivy.soft == "allow_failure: true" and trivy.soft_line == 19
    assert trivy.images[0].ref == "aquasec/trivy:0.56.2" and trivy.images[0].line == 18
    assert trivy.events == ("merge_request",)
    assert p.jobs[1].events == ("merge_request",)
    got = [(a["category"], a["tool"], a["line"], a["job"], a["blocking"]) for a in inventory_entry(p)["activities"]]
    assert got == [
        ("sast", "GitLab SAST", 3, "Jobs/SAST.gitlab-ci.yml", False),
        ("secret-scan", "GitLab Secret Detection", 4, "Security/Secret-Detection.gitlab-ci.yml", False),
        ("sca", "GitLab Dependency Scanning", 5, "Security/Dependency-Scanning.gitlab-ci.yml", False),
        ("image-scan", "GitLab Container Scanning", 6, "Jobs/Container-Scanning.gitlab-ci.yml", False),
        ("dast", "GitLab DAST", 7, "$CI_SERVER_FQDN/components/dast/dast@1.0", False),
        ("sca", "Trivy", 26, "trivy_fs", False),
        ("secret-scan", "Trivy", 26, "trivy_fs", False),
        ("sast", "Semgrep", 32, "semgrep", True),
        ("iac-scan", "KICS", 40, "kics", False),
    ]
    reasons = {a["tool"]: a["reason"] for a in inventory_entry(p)["activities"]}
    assert reasons["Trivy"] == "allow_failure: true"
    assert reasons["KICS"] == "--ignore-on-exit results"


def test_included_file_is_recognised_by_content() -> None:
    included = """\
build:
  stage: build
  image: docker:27.3
  script:
    - docker build -t app .
"""
    assert sniff(included) == "gitlab-ci"
    p, _, _ = parse(included, "ci/build.yml")
    assert p is not None and p.system == "gitlab-ci" and p.jobs[0].id == "build"
    assert sniff("stages: [build]\ndeploy:\n  stage: deploy\n  trigger: acme/deployer\n") == "gitlab-ci"


def test_default_image_and_before_script_and_nested_script_lists() -> None:
    text = """\
default:
  image: python:3.12
  before_script:
    - pip install bandit
.common: &common
  - bandit -r src
test:
  script:
    - *common
    - - pytest
      - pip-audit
"""
    p, errors, _ = parse(text, ".gitlab-ci.yml")
    assert p is not None and not errors
    assert [j.id for j in p.jobs] == ["default", "test"]
    assert [(s.run, s.line) for s in p.jobs[1].steps] == [("bandit -r src", 6), ("pytest", 10), ("pip-audit", 11)]
    tools = [(a["tool"], a["line"]) for a in inventory_entry(p)["activities"]]
    assert tools == [("Bandit", 6), ("pip-audit", 11)]


def test_extends_cycle_and_unknown_parent_do_not_loop() -> None:
    text = """\
.a:
  extends: .b
  script: [echo a]
.b:
  extends: .a
job:
  extends: [.a, .missing]
  script: [gitleaks detect]
"""
    p, errors, _ = parse(text, ".gitlab-ci.yml")
    assert p is not None and not errors
    assert [a["tool"] for a in inventory_entry(p)["activities"]] == ["gitleaks"]


def test_templates_naming_many_parents_at_every_level_are_merged_once() -> None:
    """Regression: 10 levels of templates each extending the level below 40 times made 40^10
    merges."""
    levels = [".t0:\n  image: alpine:3.20\n  variables: {DEPTH: '0'}\n"]
    for i in range(1, 11):
        parents = ", ".join([f".t{i - 1}"] * 40)
        levels.append(f".t{i}:\n  extends: [{parents}]\n  variables: {{LEVEL{i}: '{i}'}}\n")
    text = "".join(levels) + "job:\n  extends: [" + ", ".join([".t10"] * 40) + "]\n  script: [trivy image app]\n"
    p, errors, _ = parse(text, ".gitlab-ci.yml")
    assert p is not None and not errors
    [job] = p.jobs
    assert [i.ref for i in job.images] == ["alpine:3.20"]  # from the deepest template
    assert [a["tool"] for a in inventory_entry(p)["activities"]] == ["Trivy"]


def test_template_library_and_shared_template_lines() -> None:
    from cnsmm.rules import RuleContext, get_rule
    from cnsmm.scan import analyze_file
    from cnsmm.sources.pipelines import ANALYZER

    library = """\
.deploy:
  image: alpine:3.20
  script:
    - curl -fsSL https://get.example.com | sh
"""
    p, _, _ = parse(library, ".gitlab/ci/templates.yml")
    assert p is not None and [j.id for j in p.jobs] == [".deploy"]
    root = library + "deploy_a:\n  extends: .deploy\ndeploy_b:\n  extends: .deploy\n"
    rule = get_rule("CI-008")
    assert rule is not None
    report = analyze_file(ANALYZER, root, ".gitlab-ci.yml", [rule], RuleContext())
    # both jobs run the template's line; it is reported once
    assert [h.line for _, h in report.hits] == [4]
