"""Azure Pipelines, Dependabot and Renovate."""

from __future__ import annotations

from cnsmm.sources.pipelines import inventory_entry, parse, sniff, summarize

AZURE = """\
trigger:
  branches:
    include: [main]
pr: none
schedules:
  - cron: "0 3 * * *"
    branches:
      include: [main]
variables:
  - name: imageName
    value: acme/app
stages:
  - stage: Build
    jobs:
      - job: build
        pool:
          vmImage: ubuntu-24.04
        steps:
          - task: Docker@2
            inputs:
              command: buildAndPush
              repository: $(imageName)
          - script: |
              trivy image --exit-code 1 $(imageName):$(Build.BuildId)
            displayName: Scan image
            continueOnError: true
  - stage: Deploy
    jobs:
      - deployment: deploy
        environment: prod
        strategy:
          runOnce:
            deploy:
              steps:
                - bash: checkov -d manifests/
                - task: SonarQubeAnalyze@6
"""


def test_azure_pipeline() -> None:
    assert sniff(AZURE) == "azure-pipelines"
    p, errors, _ = parse(AZURE, "azure-pipelines.yml")
    assert p is not None and not errors
    assert p.events == ("push", "schedule")
    assert [j.id for j in p.jobs] == ["build", "deploy"]
    assert p.env == {"imageName": "acme/app"}
    got = [(a["category"], a["tool"], a["line"], a["blocking"], a["reason"]) for a in inventory_entry(p)["activities"]]
    assert got == [
        ("image-scan", "Trivy", 24, False, "continueOnError: true"),
        ("iac-scan", "Checkov", 35, True, None),
        ("sast", "SonarQube", 36, True, None),
    ]


def test_dependabot_and_renovate_are_sca() -> None:
    dependabot = """\
version: 2
updates:
  - package-ecosystem: pip
    directory: /
    schedule: {interval: weekly}
  - package-ecosystem: github-actions
    directory: /
    schedule: {interval: weekly}
"""
    p, errors, _ = parse(dependabot, ".github/dependabot.yml")
    assert p is not None and not errors and p.system == "dependabot"
    entry = inventory_entry(p)
    assert [(a["tool"], a["line"], a["job"], a["blocking"]) for a in entry["activities"]] == [
        ("Dependabot", 3, "pip /", False), ("Dependabot", 6, "github-actions /", False)]
    r, errors, _ = parse('{\n  "extends": ["config:recommended"]\n}\n', "renovate.json")
    assert r is not None and not errors and r.system == "renovate"
    assert [(a["tool"], a["line"]) for a in inventory_entry(r)["activities"]] == [("Renovate", 2)]
    off, _, _ = parse('{"enabled": false}', ".github/renovate.json")
    assert off is not None and inventory_entry(off)["activities"] == []
    j5, errors, _ = parse("// comments are fine in JSON5\n{ extends: ['config:base'] }\n", "renovate.json5")
    assert j5 is not None and not errors and len(inventory_entry(j5)["activities"]) == 1


def test_summarize_per_category() -> None:
    entries = []
    for text, file in ((AZURE, "azure-pipelines.yml"),
                       ("version: 2\nupdates:\n  - package-ecosystem: npm\n    directory: /\n", ".github/dependabot.yml")):
        p, _, _ = parse(text, file)
        assert p is not None
        entries.append(inventory_entry(p))
    s = summarize(entries)
    assert set(s) == {"sast", "sca", "image-scan", "iac-scan", "secret-scan", "dast", "sbom", "signing", "provenance"}
    assert s["image-scan"] == {"present": True, "blocking": False, "tools": ["Trivy"],
                               "files": ["azure-pipelines.yml"], "events": ["push", "schedule"]}
    assert s["sca"]["tools"] == ["Dependabot"] and s["sca"]["blocking"] is False
    assert s["iac-scan"]["blocking"] is True
    assert s["dast"] == {"present": False, "blocking": False, "tools": [], "files": [], "events": []}
    assert summarize([])["sast"]["present"] is False
