"""JUnit XML for CI dashboards: one test suite per rule, one failing test case per finding."""

from __future__ import annotations

from collections import defaultdict
from xml.etree import ElementTree as ET

from cnsmm.findings import Finding
from cnsmm.renderers.interface import Renderer, ScanReport
from cnsmm.rules import get_rule

_XML_BAD = dict.fromkeys([c for c in range(32) if c not in (9, 10, 13)])


def _clean(text: str) -> str:
    """Drop characters XML 1.0 cannot carry (ElementTree escapes the rest)."""
    return text.translate(_XML_BAD)


class JunitRenderer(Renderer):
    """Rules as test suites: a rule with no finding is one passing test case."""

    def render(self, report: ScanReport) -> str:
        r = report.result
        by_rule: dict[str, list[Finding]] = defaultdict(list)
        for f in r.findings:
            by_rule[f.rule].append(f)
        root = ET.Element("testsuites", name="cnsmm scan")
        total = failures = 0
        for rid in sorted(set(r.coverage) | set(by_rule)):
            rule = get_rule(rid)
            title = rule.meta.title if rule else rid
            findings = by_rule.get(rid, [])
            suite = ET.SubElement(root, "testsuite", name=_clean(f"{rid} {title}"))
            if not findings:
                cov = r.coverage.get(rid)
                count = len(cov.evaluated) if cov else 0
                ET.SubElement(suite, "testcase", classname=rid, name=f"{count} checked, no findings")
                suite.set("tests", "1")
                suite.set("failures", "0")
                total += 1
                continue
            for f in findings:
                case = ET.SubElement(
                    suite, "testcase", classname=rid,
                    name=_clean(f"{f.location.display()} {f.location.resource or ''}".strip()),
                )
                if f.location.file:
                    case.set("file", _clean(f.location.file))
                if f.location.line:
                    case.set("line", str(f.location.line))
                failure = ET.SubElement(case, "failure", message=_clean(f.message), type=f.severity.value)
                failure.text = _clean(f"{f.severity.value.upper()} {f.title}\n{f.message}\nFix: {f.fix or '-'}")
            suite.set("tests", str(len(findings)))
            suite.set("failures", str(len(findings)))
            total += len(findings)
            failures += len(findings)
        for rid, why in r.not_evaluated.items():
            rule = get_rule(rid)
            suite = ET.SubElement(root, "testsuite", name=_clean(f"{rid} {rule.meta.title if rule else rid}"),
                                  tests="1", failures="0", skipped="1")
            case = ET.SubElement(suite, "testcase", classname=rid, name="not evaluated")
            ET.SubElement(case, "skipped", message=_clean(why))
            total += 1
        if r.errors:
            suite = ET.SubElement(root, "testsuite", name="inputs", tests=str(len(r.errors)), errors=str(len(r.errors)))
            for e in r.errors:
                case = ET.SubElement(suite, "testcase", classname="inputs", name=_clean(e.display()))
                error = ET.SubElement(case, "error", message=_clean(e.message), type=e.kind)
                error.text = _clean(e.display())
            total += len(r.errors)
        root.set("tests", str(total))
        root.set("failures", str(failures))
        root.set("errors", str(len(r.errors)))
        ET.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
