"""GitHub Actions parsing and inventory on workflows shaped like the ones projects ship."""

from __future__ import annotations

from cnsmm.sources.pipelines import inventory_entry, parse, sniff

CODEQL = """\
name: "CodeQL"
on:
  push:
    branches: [ "main" ]
  pull_request:
    branches: [ "main" ]
  schedule:
    - cron: '17 4 * * 1'
jobs:
  analyze:
    name: Analyze (${{ matrix.language }})
    runs-on: ${{ (matrix.language == 'swift' && 'macos-latest') || 'ubuntu-latest' }}
    permissions:
      security-events: write
      packages: read
      actions: read
      contents: read
    strategy:
      fail-fast: false
      matrix:
        include:
        - language: python
          build-mode: none
    steps:
    - name: Checkout repository
      uses: actions/checkout@v4
    - name: Initialize CodeQL
      uses: github/codeql-action/init@v3
      with:
        languages: ${{ matrix.language }}
        build-mode: ${{ matrix.build-mode }}
    - name: Perform CodeQL Analysis
      uses: github/codeql-action/analyze@v3
      with:
        category: "/language:${{matrix.language}}"
"""

RELEASE = """\
name: release
on:
  push:
    tags: ["v*"]
permissions:
  contents: read
jobs:
  image:
    runs-on: ubuntu-latest
    permissions:
      packages: write
      id-token: write
      attestations: write
    outputs:
      digest: ${{ steps.build.outputs.digest }}
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - id: build
        uses: docker/build-push-action@48aba3b46d1b1fec4febb7c5d0c644b249a11355 # v6.10.0
        with:
          push: true
          sbom: true
          tags: ghcr.io/acme/app:${{ github.ref_name }}
      - name: Scan image
        uses: aquasecurity/trivy-action@18f2510ee396bbf400402947b394f2dd8c87dbb0 # 0.29.0
        with:
          image-ref: ghcr.io/acme/app@${{ steps.build.outputs.digest }}
          severity: CRITICAL,HIGH
          exit-code: "1"
      - name: SBOM
        uses: aquasecurity/trivy-action@18f2510ee396bbf400402947b394f2dd8c87dbb0 # 0.29.0
        with:
          scan-type: image
          format: cyclonedx
          output: sbom.cdx.json
          image-ref: ghcr.io/acme/app@${{ steps.build.outputs.digest }}
      - uses: sigstore/cosign-installer@dc72c7d5c4d10cd6bcb8cf6e3fd625a9e5e537da # v3.7.0
      - name: Sign
        run: |
          cosign sign --yes "ghcr.io/acme/app@${DIGEST}"
          cosign attest --yes --type cyclonedx --predicate sbom.cdx.json "ghcr.io/acme/app@${DIGEST}"
        env:
          DIGEST: ${{ steps.build.outputs.digest }}
      - uses: actions/attest-build-provenance@v2
        with:
          subject-name: ghcr.io/acme/app
          subject-digest: ${{ steps.build.outputs.digest }}
  provenance:
    needs: [image]
    permissions:
      actions: read
      id-token: write
      packages: write
    uses: slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@v2.0.0
    with:
      image: ghcr.io/acme/app
      digest: ${{ needs.image.outputs.digest }}
"""


def _acts(text: str, file: str = ".github/workflows/x.yml") -> list[dict[str, object]]:
    p, errors, _ = parse(text, file)
    assert p is not None and not errors
    return inventory_entry(p)["activities"]


def test_codeql_default_setup_is_sast_on_three_events() -> None:
    p, _, _ = parse(CODEQL, ".github/workflows/codeql.yml")
    assert p is not None
    assert p.system == "github-actions"
    assert p.events == ("push", "pull_request", "schedule")
    (job,) = p.jobs
    assert job.id == "analyze" and [s.uses for s in job.steps][1] == "github/codeql-action/init@v3"
    acts = _acts(CODEQL)
    assert [(a["category"], a["tool"], a["line"], a["job"]) for a in acts] == [("sast", "CodeQL", 33, "analyze")]
    # CodeQL uploads results to code scanning; it does not fail the job by itself.
    assert acts[0]["blocking"] is False and "does not fail" in str(acts[0]["reason"])
    assert acts[0]["events"] == ["push", "pull_request", "schedule"]


def test_release_workflow_inventory() -> None:
    acts = _acts(RELEASE)
    got = [(a["category"], a["tool"], a["line"], a["blocking"]) for a in acts]
    assert got == [
        ("sbom", "BuildKit SBOM attestation", 19, True),
        ("image-scan", "Trivy", 25, True),
        ("sbom", "Trivy", 31, True),
        ("signing", "cosign", 40, True),
        ("signing", "cosign", 41, True),
        ("provenance", "GitHub artifact attestation", 44, True),
        ("provenance", "SLSA generator", 54, True),
    ]
    assert {a["job"] for a in acts} == {"image", "provenance"}
    assert all(a["events"] == ["push"] for a in acts)


def test_trivy_action_default_exit_code_is_not_blocking() -> None:
    text = RELEASE.replace('          exit-code: "1"\n', "")
    scan = next(a for a in _acts(text) if a["category"] == "image-scan")
    assert scan["blocking"] is False and "exit-code" in str(scan["reason"])


def test_event_forms_and_yaml_on_as_boolean() -> None:
    for on, events in (("push", ("push",)), ("[push, pull_request]", ("push", "pull_request")),
                       ("\n  workflow_dispatch:\n  pull_request_target:", ("workflow_dispatch", "pull_request_target"))):
        p, _, _ = parse(f"on: {on}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps: []\n", ".github/workflows/a.yml")
        assert p is not None and p.events == events


def test_job_and_step_details() -> None:
    text = """\
on: pull_request
jobs:
  test:
    runs-on: [self-hosted, linux]
    container:
      image: node:20
    services:
      db:
        image: postgres
    continue-on-error: ${{ matrix.experimental }}
    steps:
      - uses: docker://alpine:3.20
      - run: npm test
        continue-on-error: true
"""
    p, _, _ = parse(text, ".github/workflows/t.yml")
    assert p is not None
    job = p.jobs[0]
    assert job.runs_on == ("self-hosted", "linux") and job.runs_on_line == 4
    assert [(i.ref, i.line, i.role) for i in job.images] == [
        ("node:20", 6, "image"), ("postgres", 9, "service"), ("alpine:3.20", 12, "uses")]
    assert job.soft is not None and "expression" in job.soft
    assert job.steps[1].soft == "continue-on-error: true" and job.steps[1].soft_line == 14


def test_composite_action() -> None:
    text = """\
name: scan
description: scan the repository
runs:
  using: composite
  steps:
    - run: gitleaks detect --source . --redact
      shell: bash
    - uses: some-org/other@v1
"""
    p, errors, _ = parse(text, "actions/scan/action.yml")
    assert p is not None and not errors and p.events == ()
    assert [(a["category"], a["tool"], a["line"]) for a in inventory_entry(p)["activities"]] == [
        ("secret-scan", "gitleaks", 6)]


def test_workflow_recognised_by_content_elsewhere() -> None:
    assert sniff(RELEASE) == "github-actions"
    p, _, _ = parse(RELEASE, "ci/templates/release.yaml")
    assert p is not None and p.system == "github-actions"
    # on: + jobs: whose jobs have no runs-on/steps/uses is not a workflow
    assert sniff("on: push\njobs:\n  a:\n    name: x\n") is None


def test_action_names_of_many_segments_are_classified_in_linear_time() -> None:
    """Regression: a ``uses:`` of 20,000 ``http://a`` segments cost one copy of the name per
    segment (minutes at 80,000)."""
    from cnsmm.sources.pipelines.actions import classify_action

    assert classify_action("http://a" * 80_000, {}) == []
    assert classify_action("semgrep/semgrep-action/sub/dir@v1", {})[0].tool == "Semgrep"
    assert classify_action("github/codeql-action/analyze@v3", {})[0].tool == "CodeQL"
    assert classify_action("github/codeql-action@v3", {}) == []
