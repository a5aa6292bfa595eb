"""Running one claimed job: the import, with the lease renewed while it runs.

The upload is written back to a local temporary file and imported as the CLI does
(``import_path``: parsing in a child process, all or nothing). The job's ``done`` record is
written in the import's own merge transaction, so a worker killed at any point leaves either
both or neither: started again, the job is imported exactly once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import threading

from cnsmm import notify
from cnsmm.errors import Error, StoreError
from cnsmm.jobs import queue, spool
from cnsmm.tracking.importer import ImportOptions
from cnsmm.tracking.pipeline import import_path
from cnsmm.tracking.store import Store

log = logging.getLogger("cnsmm.jobs")


class _Lease(threading.Thread):
    """Renews a claim's lease every quarter of its length until stopped."""

    def __init__(self, store: Store, held: queue.Claim, settings: queue.JobSettings) -> None:
        super().__init__(name=f"cnsmm-lease-{held.job_id[:8]}", daemon=True)
        self.store, self.held, self.settings = store, held, settings
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.settings.lease_s / 4):
            try:
                if not queue.renew(self.store, self.held, self.settings):
                    log.warning("job %s: the lease was lost; its result will not be kept", self.held.job_id)
                    return
            except Exception:  # a store hiccup: the next renewal tries again
                log.exception("job %s: renewing the lease failed", self.held.job_id)


def run(store: Store, held: queue.Claim, settings: queue.JobSettings, *, spool_dir: str | None = None) -> str:
    """Run the claimed job; returns its resulting status (``done``, ``failed``, ``queued`` for a
    retry, or ``superseded`` when another start of it finished first)."""
    lease = _Lease(store, held, settings)
    lease.start()
    fd, path = tempfile.mkstemp(prefix="cnsmm-job-", dir=spool_dir)
    os.close(fd)
    name = str(held.params.get("name") or "upload")
    try:
        spool.write_file(store, held.job_id, path)
        summary = import_path(store, path, format=held.params.get("format"), project=held.project,
                              source_name=name, source_sha256=held.sha256, actor=held.actor,
                              options=ImportOptions.from_params(held.params),
                              on_merge=lambda conn, summary: queue.finish(conn, held, summary))
        _changed(store, held.project)
        try:
            notify.queue_import(store, held.project, summary.scan_id)
        except Exception:  # the import is done; a notification problem must not undo or retry it
            log.exception("job %s: queueing webhook deliveries failed", held.job_id)
        return "done"
    except queue.JobSuperseded:
        return "superseded"
    except StoreError as exc:  # the store was busy or away: worth another attempt
        log.warning("job %s: %s", held.job_id, exc.diagnostics())
        return queue.fail(store, held, _public(exc.diagnostics(), path, name), settings, retry=True)
    except Error as exc:  # the report itself is at fault: the same bytes fail again
        return queue.fail(store, held, _public(exc.diagnostics(), path, name), settings, retry=False)
    except Exception as exc:
        log.exception("job %s failed", held.job_id)
        return queue.fail(store, held, f"internal error: {type(exc).__name__}", settings, retry=True)
    finally:
        lease.stopped.set()
        with contextlib.suppress(OSError):
            os.unlink(path)


def _public(message: str, path: str, name: str) -> str:
    """A message without the server's temporary file path (the name the user gave instead)."""
    return message.replace(path, name).replace(os.path.basename(path), name)


def _changed(store: Store, project: str) -> None:
    store.changed(project)
