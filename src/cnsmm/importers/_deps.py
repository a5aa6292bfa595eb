"""A vulnerable dependency as a finding (shared by the dependency audit formats)."""

from __future__ import annotations

from cnsmm.findings import Finding, Location, Severity


def dependency_finding(vid: str, pkg: str, installed: str | None, fixed: str | None, severity: Severity,
                       label: str | None, *, tool: str, title: str | None = None, aliases: tuple[str, ...] = (),
                       description: str | None = None, file: str | None = None, references: tuple[str, ...] = (),
                       cwe: tuple[str, ...] = (), tool_version: str | None = None) -> Finding:
    """One vulnerability of one package, mapped like Trivy's so that the tools' findings merge."""
    message = f"{pkg} {installed or ''} is affected by {vid}".replace("  ", " ")
    if fixed:
        message += f"; fixed in {fixed}"
    return Finding(
        rule=vid, severity=severity, tool_severity=label, title=title or f"{vid} in {pkg}", message=message,
        description=description, location=Location(file=file), tool=tool, tool_version=tool_version,
        category="vulnerability", aliases=tuple(a for a in aliases if a and a != vid), cwe=cwe, component=pkg,
        installed_version=installed, fixed_version=fixed, fix=f"Upgrade {pkg} to {fixed}." if fixed else None,
        references=references,
    )
