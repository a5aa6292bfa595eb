"""Generate large, realistic scanner reports for import benchmarks.

    python benchmarks/gen_reports.py trivy 1000000 /tmp/trivy-1m.json [--seed 1]
    python benchmarks/gen_reports.py grype 1000000 /tmp/grype-1m.json
    python benchmarks/gen_reports.py sarif 1000000 /tmp/semgrep-1m.sarif

Output is deterministic for a given seed (so a re-import sees the same findings) and
written item by item, so generating a multi-gigabyte report needs little memory.
Shapes follow the samples under tests/importers/samples (Trivy 0.67 fs report with one
Result per lock file, Grype 0.84 image report, Semgrep 1.95 SARIF). Every finding is
distinct: (vulnerability, package, version, target) for Trivy and Grype, (rule, file,
line) for SARIF. Trivy and Grype findings draw their vulnerabilities from a pool of
``vulns`` (default 20,000; a large organisation's scans find some thousands of distinct
CVEs), each with one title and description, as the scanners' databases have; ``vulns=0``
gives every finding its own vulnerability and text (the worst case for stored descriptions).

Also importable: ``write_trivy(path, n)``, ``write_grype(path, n)``, ``write_sarif(path, n)``.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"]
WEIGHTS = [3, 17, 45, 30, 5]
ECOSYSTEMS = [("npm", "package-lock.json"), ("pip", "requirements.txt"), ("gomod", "go.mod"),
              ("pom", "pom.xml"), ("cargo", "Cargo.lock")]
WORDS = ["buffer", "overflow", "parser", "request", "smuggling", "denial", "service", "regular", "expression",
         "prototype", "pollution", "path", "traversal", "header", "injection", "certificate", "validation"]
PER_RESULT = 1000
"""Vulnerabilities per Trivy Result (one lock file): realistic, and bounds memory per item."""


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def _vuln_id(i: int) -> str:
    return f"CVE-{2015 + i % 11}-{10000 + i // 11}"


@lru_cache(maxsize=65536)
def _vuln_text(v: int) -> tuple[str, str]:
    """The title words and description of vulnerability number ``v`` (the same every time)."""
    rng = random.Random(v)
    return _sentence(rng, 5), _sentence(rng, 40)


def _vuln(i: int, vulns: int) -> tuple[str, str, str]:
    """Id, title words and description of finding ``i``'s vulnerability."""
    v = i % vulns if vulns else i
    return (_vuln_id(v), *_vuln_text(v))


def _package(i: int) -> tuple[str, str]:
    return f"pkg-{i % 50000:05d}", f"{i % 7}.{i % 13}.{i % 17}"


def _write_array(out: IO[str], items: Iterator[str]) -> None:
    out.write("[")
    for k, item in enumerate(items):
        if k:
            out.write(",\n")
        out.write(item)
    out.write("]")


def _trivy_vulns(rng: random.Random, start: int, count: int, vulns: int) -> Iterator[str]:
    for i in range(start, start + count):
        vid, title, description = _vuln(i, vulns)
        name, version = _package(i)
        yield _dumps({
            "VulnerabilityID": vid, "PkgID": f"{name}@{version}", "PkgName": name,
            "PkgIdentifier": {"PURL": f"pkg:npm/{name}@{version}"}, "InstalledVersion": version,
            "FixedVersion": f"{version}-fix" if i % 4 else "", "Status": "fixed" if i % 4 else "affected",
            "Layer": {}, "SeveritySource": "ghsa", "PrimaryURL": f"https://avd.aquasec.com/nvd/{vid.lower()}",
            "DataSource": {"ID": "ghsa", "Name": "GitHub Security Advisory npm", "URL": "https://github.com/advisories"},
            "Title": f"{name}: {title}", "Description": description,
            "Severity": rng.choices(SEVERITIES, WEIGHTS)[0], "CweIDs": [f"CWE-{rng.randint(20, 1400)}"],
            "CVSS": {"nvd": {"V3Vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "V3Score": 9.8}},
            "References": [f"https://nvd.nist.gov/vuln/detail/{vid}", f"https://github.com/advisories/{vid}"],
            "PublishedDate": "2024-06-27T11:15:24.447Z", "LastModifiedDate": "2024-07-12T14:15:16.79Z",
        })


def write_trivy(path: str | Path, n: int, seed: int = 1, vulns: int = 20_000) -> None:
    """A ``trivy fs`` report of ``n`` vulnerabilities, one Result per lock file."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as out:
        out.write('{"SchemaVersion":2,"Trivy":{"Version":"0.67.2"},"CreatedAt":"2026-11-20T08:14:03Z",'
                  '"ArtifactName":"monorepo","ArtifactType":"filesystem","Metadata":{},"Results":')

        def results() -> Iterator[str]:
            for start in range(0, n, PER_RESULT):
                eco, lock = ECOSYSTEMS[(start // PER_RESULT) % len(ECOSYSTEMS)]
                head = _dumps({"Target": f"services/svc-{start // PER_RESULT:05d}/{lock}", "Class": "lang-pkgs",
                               "Type": eco})
                body = ",\n".join(_trivy_vulns(rng, start, min(PER_RESULT, n - start), vulns))
                yield head[:-1] + ',"Vulnerabilities":[' + body + "]}"

        _write_array(out, results())
        out.write("}\n")


def write_grype(path: str | Path, n: int, seed: int = 1, vulns: int = 20_000) -> None:
    """A Grype image report of ``n`` matches (``source``/``descriptor`` after the matches, as Grype writes)."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as out:
        out.write('{"matches":')

        def matches() -> Iterator[str]:
            for i in range(n):
                vid, _, description = _vuln(i, vulns)
                name, version = _package(i)
                sev = rng.choices(["Critical", "High", "Medium", "Low", "Negligible"], WEIGHTS)[0]
                yield _dumps({
                    "vulnerability": {
                        "id": vid, "dataSource": f"https://nvd.nist.gov/vuln/detail/{vid}", "namespace": "nvd:cpe",
                        "severity": sev, "urls": [f"https://nvd.nist.gov/vuln/detail/{vid}"],
                        "description": description,
                        "cvss": [{"version": "3.1", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                                  "metrics": {"baseScore": 9.8, "exploitabilityScore": 3.9, "impactScore": 5.9},
                                  "vendorMetadata": {}}],
                        "fix": {"versions": [f"{version}-fix"], "state": "fixed"} if i % 4 else
                        {"versions": [], "state": "not-fixed"},
                        "advisories": []},
                    "relatedVulnerabilities": [{"id": f"GHSA-{i:04x}-{i % 9999:04d}-x", "namespace": "github",
                                                "severity": sev, "urls": []}],
                    "matchDetails": [{"type": "exact-direct-match", "matcher": "javascript-matcher",
                                      "searchedBy": {"language": "javascript",
                                                     "namespace": "github:language:javascript",
                                                     "package": {"name": name, "version": version}},
                                      "found": {"versionConstraint": f"<{version}-fix (unknown)",
                                                "vulnerabilityID": vid}}],
                    "artifact": {"id": f"{i:016x}", "name": name, "version": version, "type": "npm",
                                 "locations": [{"path": f"/app/node_modules/{name}/package.json",
                                                "layerID": "sha256:" + f"{i % 12:064x}"}],
                                 "language": "javascript", "licenses": ["MIT"],
                                 "cpes": [f"cpe:2.3:a:{name}:{name}:{version}:*:*:*:*:*:*:*"],
                                 "purl": f"pkg:npm/{name}@{version}", "upstreams": []},
                })

        _write_array(out, matches())
        out.write(',"source":{"type":"image","target":{"userInput":"registry.example.com/shop/web:1.8.2",'
                  '"imageID":"sha256:5ef7","tags":[],"layers":[]}},"distro":{"name":"debian","version":"12"},'
                  '"descriptor":{"name":"grype","version":"0.84.0","configuration":{"output":["json"]},'
                  '"timestamp":"2026-11-20T08:20:11Z"}}\n')


def write_sarif(path: str | Path, n: int, seed: int = 1, rules: int = 400) -> None:
    """A Semgrep-style SARIF log with ``n`` results over ``rules`` rules (tool after the results)."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as out:
        out.write('{"$schema":"https://docs.oasis-open.org/sarif/sarif/v2.1.0/os/schemas/sarif-schema-2.1.0.json",'
                  '"version":"2.1.0","runs":[{"invocations":[{"executionSuccessful":true}],"results":')

        def results() -> Iterator[str]:
            for i in range(n):
                rid = f"python.lang.security.rule-{i % rules:04d}"
                line = 1 + (i // rules) % 5000
                yield _dumps({
                    "fingerprints": {"matchBasedId/v1": f"{i:0128x}"},
                    "locations": [{"physicalLocation": {
                        "artifactLocation": {"uri": f"services/svc-{i // 5000:04d}/module_{i % 97}.py",
                                             "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": line, "startColumn": 5, "endLine": line, "endColumn": 60,
                                   "snippet": {"text": "    cursor.execute(query % user_input)"}}}}],
                    "message": {"text": _sentence(rng, 18)}, "properties": {}, "ruleId": rid,
                })

        _write_array(out, results())
        driver_rules = [{"id": f"python.lang.security.rule-{r:04d}", "name": f"rule-{r:04d}",
                         "defaultConfiguration": {"level": ["error", "warning", "note"][r % 3]},
                         "shortDescription": {"text": f"Rule {r}: {_sentence(rng, 6)}"},
                         "fullDescription": {"text": _sentence(rng, 30)},
                         "helpUri": f"https://semgrep.dev/r/rule-{r:04d}",
                         "properties": {"precision": "high", "tags": [f"CWE-{20 + r}: Something", "security"]}}
                        for r in range(rules)]
        out.write(',"tool":{"driver":{"name":"Semgrep OSS","semanticVersion":"1.95.0","rules":'
                  + _dumps(driver_rules) + "}}}]}\n")


WRITERS: dict[str, Callable[..., None]] = {"trivy": write_trivy, "grype": write_grype, "sarif": write_sarif}


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("kind", choices=sorted(WRITERS))
    parser.add_argument("count", type=int)
    parser.add_argument("output")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--vulns", type=int, default=20_000,
                        help="distinct vulnerabilities (trivy, grype); 0: one per finding")
    args = parser.parse_args()
    extra = {"vulns": args.vulns} if args.kind in ("trivy", "grype") else {}
    WRITERS[args.kind](args.output, args.count, seed=args.seed, **extra)


if __name__ == "__main__":
    main()
