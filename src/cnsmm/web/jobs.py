"""Background imports: a request stores the upload and returns a job id to poll.

Jobs run in a small thread pool inside the service process and record their state in the
``web_jobs`` table, so any worker can answer a poll. The import itself is the CLI's
(``import_path``: parsing in a child process): all or nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import update

from cnsmm.errors import Error
from cnsmm.tracking.importer import ImportOptions
from cnsmm.tracking.pipeline import file_sha256, import_path
from cnsmm.tracking.projects import ensure_project
from cnsmm.tracking.store import Store, utcnow
from cnsmm.web.models import Job
from cnsmm.web.queries import project_changed

log = logging.getLogger("cnsmm.web")


class JobRunner:
    """Runs imports in the background."""

    def __init__(self, store: Store, workers: int = 1) -> None:
        self.store = store
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cnsmm-job")

    def submit_import(self, project: str, path: str, fmt: str | None, name: str, actor: str,
                      scope: str | None = None, options: ImportOptions | None = None) -> str:
        """Queue the import of the report at ``path`` (deleted afterwards); returns the job id."""
        job_id = str(uuid.uuid4())
        with self.store.session() as s:
            ensure_project(s.connection(), project)
            s.add(Job(id=job_id, project=project, kind="import", status="queued", created_by=actor,
                      created_at=utcnow()))
        self.pool.submit(self._run, job_id, project, path, fmt, name, actor, scope, options)
        return job_id

    def _run(self, job_id: str, project: str, path: str, fmt: str | None, name: str, actor: str,
             scope: str | None = None, options: ImportOptions | None = None) -> None:
        self._set(job_id, status="running")
        try:
            summary = import_path(self.store, path, format=fmt, project=project, source_name=name,
                                  source_sha256=file_sha256(path), actor=actor, scope=scope, options=options)
            self._set(job_id, status="done", finished_at=utcnow(), result=dataclasses.asdict(summary))
            project_changed(self.store, project)
        except Error as exc:
            # messages name the temporary upload file: show the name the user gave instead
            message = exc.diagnostics().replace(path, name).replace(os.path.basename(path), name)
            self._set(job_id, status="failed", finished_at=utcnow(), error=message)
        except Exception as exc:
            log.exception("import job %s failed", job_id)
            self._set(job_id, status="failed", finished_at=utcnow(), error=f"internal error: {type(exc).__name__}")
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)

    def _set(self, job_id: str, **values: object) -> None:
        with self.store.session() as s:
            s.execute(update(Job).where(Job.id == job_id).values(**values))

    def shutdown(self) -> None:
        """Wait for running jobs and stop."""
        self.pool.shutdown(wait=True)

