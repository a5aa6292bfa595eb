"""The findings store: projects, scans, deduplicated findings, their workflow, owners and SLA.

Public API:

- :func:`open_store` -> :class:`Store` (SQLite by default, PostgreSQL by URL; migrates on open).
- :func:`import_report` -> :class:`ImportSummary` (all or nothing, concurrent-safe).
- :func:`list_findings`, :func:`get_finding` (queries), :func:`change_status`, :func:`assign`,
  :func:`add_comment` (workflow), :func:`compute_metrics`.
- :func:`fingerprint` (identity of a finding across scans and tools).
"""

from cnsmm.errors import WorkflowError
from cnsmm.tracking.fingerprint import Fingerprint, fingerprint
from cnsmm.tracking.importer import ImportSummary, import_report
from cnsmm.tracking.states import Status
from cnsmm.tracking.store import Store, default_url, open_store
from cnsmm.tracking.workflow import add_comment, assign, change_status

__all__ = [
    "Fingerprint",
    "ImportSummary",
    "Status",
    "Store",
    "WorkflowError",
    "add_comment",
    "assign",
    "change_status",
    "default_url",
    "fingerprint",
    "import_report",
    "open_store",
]
