"""Workers as threads of this process, taking jobs straight from the ``web_jobs`` table.

Used on SQLite, inside ``cnsmm serve`` or as a ``cnsmm worker`` process: each thread claims
the next job (fairly across projects, see :func:`queue.claim`), runs it, and between jobs
re-queues the jobs of dead workers (:func:`queue.reap`). Several threads let one project's
large import run while other projects' imports go on.
"""

from __future__ import annotations

import logging
import threading
import time

from cnsmm.jobs import execute, queue
from cnsmm.tracking.store import Store

log = logging.getLogger("cnsmm.jobs")


class EmbeddedRunner:
    """``workers`` threads that run queued jobs until :meth:`shutdown`."""

    def __init__(self, store: Store, settings: queue.JobSettings, workers: int = 2, poll_s: float = 1.0) -> None:
        self.store, self.settings, self.poll_s = store, settings, poll_s
        self.wake = threading.Condition()
        self.stopping = threading.Event()
        self.workers = workers
        self.threads: list[threading.Thread] = []
        self._reaped = 0.0

    def start(self) -> None:
        """Start the threads (again, after a :meth:`shutdown`)."""
        self.stopping.clear()
        self.threads = [threading.Thread(target=self._loop, name=f"cnsmm-job-{n}", daemon=True)
                        for n in range(self.workers)]
        for thread in self.threads:
            thread.start()

    def submitted(self) -> None:
        """A job was queued: wake a waiting thread now instead of at its next poll."""
        with self.wake:
            self.wake.notify()

    def _loop(self) -> None:
        while not self.stopping.is_set():
            try:
                self._maintain()
                held = queue.claim(self.store, self.settings)
                if held is not None:
                    execute.run(self.store, held, self.settings)
                    continue
            except Exception:  # the store away for a moment: try again at the next poll
                log.exception("background job worker")
            with self.wake:
                if not self.stopping.is_set():
                    self.wake.wait(self.poll_s)

    def _maintain(self) -> None:
        now = time.monotonic()
        if now - self._reaped < min(self.poll_s * 5, self.settings.lease_s / 4):
            return
        self._reaped = now
        if queue.reap(self.store, self.settings):
            self.submitted()

    def shutdown(self, wait: bool = True) -> None:
        """Stop taking jobs; with ``wait``, let the running ones finish."""
        self.stopping.set()
        with self.wake:
            self.wake.notify_all()
        if wait:
            for thread in self.threads:
                thread.join()
