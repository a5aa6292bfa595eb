"""Streams whose scope was made of the report's file name get the scope the importers now give.

Reports that name nothing they covered (Checkov, gitleaks, Falco, the dependency audits, the
linters, SARIF without a repository, ...) used to get ``<prefix>:<file name>``; they now get
``<prefix>:project`` (kube-bench ``<node types>:<file name>`` -> ``nodes:<node types>``). A CI
artefact named per run left one stream per run, each still "reporting" its findings, so the
new stream could never close them. This revision merges those streams into the new one: their
sources move to it (a finding reported by several keeps one source), their scans take the new
scope, and the next import closes what is gone. Which streams: those whose latest scan was
read by one of the formats below and whose scope ends in a file name (``x.json``,
``report.sarif``, ...). Data only; the downgrade leaves the merged streams as they are.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 09:00:00
"""

from __future__ import annotations

import re
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

FORMATS = frozenset({
    "checkov-json", "gitleaks-json", "falco-json", "kube-bench-json", "npm-audit-json", "yarn-audit-json",
    "pip-audit-json", "osv-scanner-json", "semgrep-json", "bandit-json", "gosec-json", "kube-linter-json",
    "kube-score-json", "hadolint-json", "kics-json", "tfsec-json", "kube-hunter-json", "detect-secrets-json",
    "trufflehog-json", "sarif", "cnsmm-json", "gitlab-sast-json", "gitlab-dependency-scanning-json",
    "gitlab-container-scanning-json", "gitlab-secret-detection-json", "gitlab-dast-json",
    "trivy-operator-vulnerability", "trivy-operator-config-audit", "trivy-operator-exposed-secret",
    "trivy-operator-rbac-assessment", "trivy-operator-cluster-compliance",
})
"""Formats whose scope fell back to the file name."""

FILE = re.compile(r"^[^/:\s]+\.(json|jsonl|ndjson|sarif|xml|ya?ml|baseline|txt|log|out)$", re.IGNORECASE)


def new_scope(fmt: str | None, scope: str) -> str | None:
    """The scope a stream gets now, or ``None`` when it keeps its own."""
    if fmt not in FORMATS:
        return None
    head, sep, last = scope.rpartition(":")
    if not sep or not head or not FILE.match(last):
        return None
    return f"nodes:{head}" if fmt == "kube-bench-json" else f"{head}:project"


def upgrade() -> None:
    """Apply this revision."""
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT s.id, s.project_id, s.tool, s.scope, s.last_scan_id, s.last_seen, sc.format "
        "FROM scan_streams s LEFT JOIN scans sc ON sc.id = s.last_scan_id")).all()
    groups: dict[tuple[int, str, str], list[tuple[int, str, int, object]]] = defaultdict(list)
    existing = {(r.project_id, r.tool, r.scope): r.id for r in rows}
    for r in rows:
        target = new_scope(r.format, r.scope)
        if target is not None:
            groups[(r.project_id, r.tool, target)].append((r.id, r.scope, r.last_scan_id, r.last_seen))
    for (project_id, tool, target), members in groups.items():
        members.sort(key=lambda m: m[2], reverse=True)  # the latest scan first
        keep = existing.get((project_id, tool, target))
        if keep is None:
            keep = members[0][0]
            conn.execute(sa.text("UPDATE scan_streams SET scope = :scope WHERE id = :id"),
                         {"scope": target, "id": keep})
        for stream_id, old_scope, _, _ in members:
            conn.execute(sa.text("UPDATE scans SET scope = :new WHERE project_id = :p AND tool = :t AND scope = :old"),
                         {"new": target, "p": project_id, "t": tool, "old": old_scope})
            if stream_id == keep:
                continue
            conn.execute(sa.text(
                "UPDATE finding_sources SET stream_id = :keep WHERE stream_id = :old AND finding_id NOT IN "
                "(SELECT finding_id FROM finding_sources WHERE stream_id = :keep)"), {"keep": keep, "old": stream_id})
            conn.execute(sa.text("DELETE FROM finding_sources WHERE stream_id = :old"), {"old": stream_id})
            conn.execute(sa.text("DELETE FROM scan_streams WHERE id = :old"), {"old": stream_id})
        latest = max(members, key=lambda m: m[2])
        conn.execute(sa.text(
            "UPDATE scan_streams SET last_scan_id = :scan, last_seen = :seen WHERE id = :id AND last_scan_id < :scan"),
            {"scan": latest[2], "seen": latest[3], "id": keep})


def downgrade() -> None:
    """Revert this revision: nothing to undo (the merged streams stay merged)."""
