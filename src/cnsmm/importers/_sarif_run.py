"""One SARIF run's context (tool, rules, base URIs) and the mapping of its results."""

from __future__ import annotations

import functools
import re
from typing import Any
from urllib.parse import unquote

from cnsmm.findings import Finding, Location, Severity
from cnsmm.importers._common import (
    At,
    Where,
    as_dict,
    cwe_ids,
    fail,
    get_dict,
    get_int,
    get_list,
    get_str,
    severity_from_label,
    severity_from_score,
    slug,
    str_tuple,
    unique,
)
from cnsmm.importers.interface import ItemError, ItemErrors
from cnsmm.vocab import ReportKind

NO_RULE = "no-rule-id"
"""Rule id of a result that names no rule (no ruleId, rule.id or rule index)."""

LEVEL = {"error": Severity.HIGH, "warning": Severity.MEDIUM, "note": Severity.LOW, "none": Severity.INFO}

# Tool name (slug) -> finding category; anything else is static analysis.
_CATEGORY = {
    "gitleaks": "secret", "trufflehog": "secret", "detect-secrets": "secret",
    "checkov": "misconfiguration", "kube-linter": "misconfiguration", "kics": "misconfiguration",
    "tfsec": "misconfiguration", "terrascan": "misconfiguration", "hadolint": "misconfiguration",
    "kubescape": "misconfiguration", "cnsmm": "misconfiguration",
    "trivy": "vulnerability", "grype": "vulnerability", "osv-scanner": "vulnerability",
    "dependency-check": "vulnerability", "owasp-dependency-check": "vulnerability",
    "govulncheck": "vulnerability", "black-duck": "vulnerability", "blackduck": "vulnerability",
    "synopsys-detect": "vulnerability", "snyk-open-source": "vulnerability", "npm-audit": "vulnerability",
    "pip-audit": "vulnerability", "retire.js": "vulnerability", "dependabot": "vulnerability",
    "zap": "dast", "owasp-zap": "dast",
}
_RULE_KINDS = {"vulnerability": "vulnerability", "misconfiguration": "misconfiguration", "secret": "secret",
               "license": "license"}
"""Rule tags that name what kind of problem the rule finds (Trivy), and the category they give."""
KIND: dict[str, ReportKind] = {"secret": ReportKind.SECRET_SCAN, "misconfiguration": ReportKind.IAC_SCAN,
                               "vulnerability": ReportKind.SCA, "dast": ReportKind.DAST, "sast": ReportKind.SAST}
"""The category of a run's findings -> the kind of report it makes."""
_K8S_OBJECT = re.compile(r"\(object: (?:<no namespace>|([^/\s]+))/(\S+) [^,()]*, Kind=(\w+)\)")
_FINGERPRINT_KEY = re.compile(r"(?i)hash|fingerprint|id|/v\d|^\d+$")
# Grype's SARIF rule ids join the vulnerability and the package: "CVE-2023-1234-openssl".
_JOINED_RULE = re.compile(r"^((?:CVE-\d{4}-\d+)|(?:GHSA(?:-[23456789cfghjmpqrvwx]{4}){3}))-(.+)$")
_PURL = re.compile(r"\bpkg:[a-z0-9.+-]+/[^\s,;)\]\"']+")
_PACKAGE_LINE = re.compile(r"(?im)^\s*Package:\s*(\S+)\s*$")
_INSTALLED_LINE = re.compile(r"(?im)^\s*Installed Version:\s*(\S+)\s*$")
_FIXED_LINE = re.compile(r"(?im)^\s*Fixed Version:\s*(\S+)\s*$")
_GRYPE_PACKAGE = re.compile(r"package: ([^\s,]+), version ([^\s,]+)")


def tool_slug(name: str) -> str:
    """Stable short name of a SARIF producer (``Semgrep OSS`` -> ``semgrep``)."""
    s = slug(name)
    if s.startswith("semgrep"):
        return "semgrep"
    return {"kubelinter": "kube-linter", "owasp-zap": "zap"}.get(s, s)


class _RuleInfo:
    """What a result takes from its rule, computed once per rule."""

    __slots__ = ("category", "cwe", "description", "level", "references", "score", "title")

    def __init__(self, rid: str, rule: dict[str, Any], where: Where) -> None:
        props = get_dict(rule, "properties", where)
        self.level = get_str(get_dict(rule, "defaultConfiguration", where), "level", where)
        self.score = _score(props.get("security-severity"))
        self.title = _text(rule, "shortDescription") or get_str(rule, "name", where) or rid
        self.description = _text(rule, "fullDescription") or _text(rule, "help")
        self.references = unique([get_str(rule, "helpUri", where) or ""])
        tags = [str(t) for t in get_list(props, "tags", where)] + _cwe_props(props)
        # Trivy writes one run for every scanner and names each rule's kind in its first tag
        # ("vulnerability", "misconfiguration", "secret" or "license", then "security" and the severity).
        self.category = _RULE_KINDS.get(tags[0].lower()) if tags else None
        for rel in get_list(rule, "relationships", where):
            target = rel.get("target") if isinstance(rel, dict) else None
            component = target.get("toolComponent") if isinstance(target, dict) else None
            if isinstance(target, dict) and isinstance(component, dict) and "cwe" in str(component.get("name")).lower():
                tags.append(str(target.get("id", "")))
        self.cwe = cwe_ids(tags)


class Run:
    """What the results of one run need: the tool, its rules, and the base URIs."""

    def __init__(self, run: dict[str, Any], where: Where) -> None:
        tool = get_dict(run, "tool", where)
        driver = get_dict(tool, "driver", f"{where}, tool")
        if not tool or not driver:
            raise fail(where, "missing tool.driver (every SARIF run names the tool that produced it)")
        self.where = where
        self.name = get_str(driver, "name", f"{where}, tool.driver", required=True) or ""
        self.tool = tool_slug(self.name)
        self.version = get_str(driver, "version", where) or get_str(driver, "semanticVersion", where)
        self.category = _CATEGORY.get(self.tool, "sast")
        self.components: list[list[dict[str, Any]]] = [self._rules(driver, f"{where}, tool.driver")]
        for i, ext in enumerate(get_list(tool, "extensions", where), 1):
            self.components.append(self._rules(as_dict(ext, f"{where}, extension #{i}"), f"{where}, extension #{i}"))
        self.by_id: dict[str, dict[str, Any]] = {}
        for rules in self.components:
            for rule in rules:
                rid = rule.get("id")
                if isinstance(rid, str):
                    self.by_id.setdefault(rid, rule)
        self._info: dict[str, _RuleInfo] = {}
        # Trivy names the scanned image in the run's properties; its OS packages' results point at
        # the image's repository as if it were a file.
        self.image = get_str(get_dict(run, "properties", where), "imageName", where)
        self.bases: dict[str, dict[str, Any]] = {
            k: v for k, v in get_dict(run, "originalUriBaseIds", where).items() if isinstance(v, dict)
        }

    @staticmethod
    def _rules(component: dict[str, Any], where: Where) -> list[dict[str, Any]]:
        return [as_dict(r, f"{where}, rule #{i}") for i, r in enumerate(get_list(component, "rules", where), 1)]

    def failed_invocations(self, run: dict[str, Any], pointer: str, errors: ItemErrors) -> None:
        """Record each invocation that says the tool did not finish (``executionSuccessful``
        false, SARIF 3.20.14), with its first error notification: the run's results are then
        not everything the tool would have found, so the import is partial."""
        for i, raw in enumerate(get_list(run, "invocations", self.where)):
            if not isinstance(raw, dict) or raw.get("executionSuccessful") is not False:
                continue
            why = ""
            for note in get_list(raw, "toolExecutionNotifications", self.where):
                if isinstance(note, dict) and note.get("level", "error") == "error":
                    why = _text(note, "message") or ""
                    break
            why = " ".join(why.split())[:300]
            errors.append(ItemError(f"{pointer}/invocations/{i}", f"invocation #{i + 1}",
                                    f"{self.name} reports that its run did not complete (executionSuccessful false"
                                    + (f": {why})" if why else ")")))

    def rule_for(self, result: dict[str, Any], where: Where) -> tuple[str, dict[str, Any]]:
        """The rule id of a result and its descriptor (empty when the run does not describe it)."""
        ref = get_dict(result, "rule", where)
        rid = get_str(result, "ruleId", where) or get_str(ref, "id", where)
        index = get_int(result, "ruleIndex", where)
        if index is None:
            index = get_int(ref, "index", where)
        component = get_int(get_dict(ref, "toolComponent", where), "index", where)
        rules = self.components[component + 1] if component is not None and component + 1 < len(
            self.components) else self.components[0]
        rule = self.by_id.get(rid, {}) if rid else {}
        if not rule and index is not None and 0 <= index < len(rules):
            rule = rules[index]
        # SARIF allows a result without any rule (3.27.5): it is kept under a stand-in id.
        return rid or get_str(rule, "id", where) or NO_RULE, rule

    def path(self, uri: str, base_id: str | None) -> str:
        """A result's file, relative to its base when the base is a known directory."""
        path = unquote(uri)
        for _ in range(5):  # resolve chains of relative bases
            base = self.bases.get(base_id or "")
            if base is None or path.startswith("file:"):
                break
            base_uri = unquote(get_str(base, "uri", self.where) or "")
            if not base_uri or base_uri.startswith("file:") or "://" in base_uri:
                break
            path = base_uri.rstrip("/") + "/" + path
            base_id = get_str(base, "uriBaseId", self.where)
        if path.startswith("file://"):
            path = path[len("file://"):]
            path = path[len("localhost"):] if path.startswith("localhost/") else path
            for base in self.bases.values():
                base_uri = unquote(get_str(base, "uri", self.where) or "")
                if base_uri.startswith("file://"):
                    prefix = base_uri[len("file://"):].rstrip("/") + "/"
                    if path.startswith(prefix):
                        path = path[len(prefix):]
                        break
        return path[2:] if path.startswith("./") else path

    def result(self, r: dict[str, Any], where: Where) -> list[Finding]:
        """Map one result to one finding per location; none for passes, suppressed results and
        absent baseline entries."""
        if (get_str(r, "kind", where) or "fail") in ("pass", "notApplicable"):
            return []
        if get_str(r, "baselineState", where) == "absent":
            return []
        for i, sup in enumerate(get_list(r, "suppressions", where), 1):
            status = get_str(as_dict(sup, At(where, "suppression", i, "suppressions")), "status", where)
            if status in (None, "accepted"):
                return []
        rid, rule = self.rule_for(r, where)
        info = self._info.get(rid)
        if info is None:
            info = self._info[rid] = _RuleInfo(rid, rule, where)
        props = get_dict(r, "properties", where)
        category = info.category or self.category
        level = get_str(r, "level", where) or info.level
        if level is None:  # SARIF's default is "warning"; a leaked secret is worse than that
            level = "error" if category == "secret" else "warning"
        score = _score(props.get("security-severity")) if "security-severity" in props else None
        if score is None:
            score = info.score
        severity = severity_from_score(score) if score is not None else severity_from_label(
            level, LEVEL, Severity.MEDIUM)
        message = self._message(r, rule, where) or info.title
        if category == "secret":
            message = _redact(message, r)
        tags = [str(t) for t in get_list(props, "tags", where)] + _cwe_props(props) + self._taxa(r, where)
        component = installed = fixed = None
        if category == "vulnerability":
            rid, component, installed, fixed = _package_of(rid, message, props)
        fingerprint = _fingerprint(r, where)
        locations = self._locations(r, message, where)
        out = []
        for n, location in enumerate(locations, 1):
            out.append(Finding(
                rule=rid, severity=severity, tool_severity=f"{score:g}" if score is not None else level,
                title=info.title, message=message, description=info.description,
                location=location, tool=self.tool, tool_version=self.version,
                category=category, cwe=unique([*info.cwe, *cwe_ids(tags)]) if tags else info.cwe,
                references=info.references,
                tool_fingerprint=f"{fingerprint};location={n}" if fingerprint and n > 1 else fingerprint,
                component=component, installed_version=installed, fixed_version=fixed,
                fix=f"Upgrade {component} to {fixed}." if component and fixed else None,
            ))
        return out

    def _taxa(self, r: dict[str, Any], where: Where) -> list[str]:
        """CWE ids from the result's ``taxa`` references (``{"id": "79", "toolComponent": {"name": "CWE"}}``)."""
        out: list[str] = []
        for i, raw in enumerate(get_list(r, "taxa", where), 1):
            taxon = as_dict(raw, At(where, "taxon", i, "taxa"), "taxon")
            tid = get_str(taxon, "id", where) or ""
            component = str(get_dict(taxon, "toolComponent", where).get("name", ""))
            if "cwe" in component.lower() and tid:
                out.append(tid if tid.upper().startswith("CWE") else f"CWE-{tid}")
            elif tid.upper().startswith("CWE"):
                out.append(tid)
        return out

    def _message(self, r: dict[str, Any], rule: dict[str, Any], where: Where) -> str | None:
        msg = get_dict(r, "message", where)
        text = get_str(msg, "text", where)
        if text is None and (mid := get_str(msg, "id", where)):
            text = _text(get_dict(rule, "messageStrings", where), mid)
            for i, arg in enumerate(str_tuple(msg, "arguments", where)):
                text = text.replace(f"{{{i}}}", arg) if text else text
        return text

    def _locations(self, r: dict[str, Any], message: str, where: Where) -> list[Location]:
        locations = get_list(r, "locations", where)
        if not locations:
            return [self._location({}, message, where)]
        out = [self._location(as_dict(loc, At(where, "location", i, "locations"), "location"), message,
                              At(where, "location", i, "locations")) for i, loc in enumerate(locations, 1)]
        return list(dict.fromkeys(out))  # the same place listed twice is one finding

    def _location(self, loc: dict[str, Any], message: str, where: Where) -> Location:
        phys = get_dict(loc, "physicalLocation", where)
        art = get_dict(phys, "artifactLocation", where)
        region = get_dict(phys, "region", where)
        uri = get_str(art, "uri", where)
        resource = None
        if m := _K8S_OBJECT.search(message):
            ns, name, kind = m.groups()
            resource = f"{kind}/{ns}/{name}" if ns else f"{kind}/{name}"
        elif not uri:
            logical = get_list(loc, "logicalLocations", where)
            if logical and isinstance(logical[0], dict):
                resource = get_str(logical[0], "fullyQualifiedName", where) or get_str(logical[0], "name", where)
        file = self.path(uri, get_str(art, "uriBaseId", where)) if uri else None
        if self.image and file and self.image.split("@", 1)[0].startswith(file.rstrip("/")) and (
                self.image[len(file.rstrip("/")):][:1] in ("", ":", "@")):
            file = None  # the image itself (its package database), as Trivy's JSON leaves it
        return Location(
            file=file, line=get_int(region, "startLine", where) if file else None,
            column=get_int(region, "startColumn", where) if file else None,
            resource=resource, image=self.image,
        )


def _redact(message: str, r: dict[str, Any]) -> str:
    """A secret scanner's message without the matched text (the region's snippet)."""
    locations = r.get("locations")
    for loc in locations if isinstance(locations, list) else []:
        try:
            snippet = loc["physicalLocation"]["region"]["snippet"]["text"]
        except (KeyError, TypeError):
            continue
        if isinstance(snippet, str) and len(snippet.strip()) >= 4:
            message = message.replace(snippet.strip(), "[redacted]")
    return message


def _cwe_props(props: dict[str, Any]) -> list[str]:
    """CWE ids in a property bag: ``cwe``, ``cwes``, ``CWE`` as a string, number or array."""
    out: list[str] = []
    for key in ("cwe", "cwes", "CWE", "cwe_ids", "cweIds"):
        value = props.get(key)
        values = value if isinstance(value, list) else [value] if value is not None else []
        out.extend(f"CWE-{v}" if isinstance(v, int) or (isinstance(v, str) and v.isdigit()) else str(v)
                   for v in values if isinstance(v, str | int))
    return out


def _package_of(rid: str, message: str, props: dict[str, Any]) -> tuple[str, str | None, str | None, str | None]:
    """(vulnerability id, package, installed version, fixed version) of a dependency scanner's result:
    Grype joins the id and the package in its rule ids, Trivy writes ``Package:`` lines, others a purl."""
    component = installed = fixed = None
    if m := _JOINED_RULE.match(rid):
        rid, component = m.group(1), m.group(2)
    if m := _GRYPE_PACKAGE.search(message):
        component, installed = m.group(1), m.group(2)
    if m := _PACKAGE_LINE.search(message):
        component = m.group(1)
        if v := _INSTALLED_LINE.search(message):
            installed = v.group(1)
        if v := _FIXED_LINE.search(message):
            fixed = v.group(1)
    purls = [str(p) for p in (props.get("purls") or []) if isinstance(p, str)] if isinstance(
        props.get("purls"), list) else []
    purl = purls[0] if purls else (m.group(0) if (m := _PURL.search(message)) else None)
    if purl and component is None:
        name, _, version = unquote(purl.split("?", 1)[0].split("#", 1)[0]).rpartition("@")
        if not name:
            name, version = version, ""
        component = name.split("/", 1)[1].rsplit("/", 1)[-1] if "/" in name else name
        installed = installed or version or None
    return rid, component, installed, fixed


def _text(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if isinstance(value, dict):
        text = value.get("text")
        return text if isinstance(text, str) and text else None
    return None


def _score(value: object) -> float | None:
    try:
        score = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return score if 0.0 <= score <= 10.0 else None


@functools.lru_cache(maxsize=256)
def _identity_key(key: str) -> bool:
    return _FINGERPRINT_KEY.search(key) is not None


def _fingerprint(r: dict[str, Any], where: Where) -> str | None:
    for key in ("partialFingerprints", "fingerprints"):
        prints = get_dict(r, key, where)
        parts = sorted(f"{k}={v}" for k, v in prints.items() if isinstance(v, str | int) and _identity_key(k))
        if parts:
            return ";".join(parts)
    return None
