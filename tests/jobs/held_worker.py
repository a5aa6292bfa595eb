"""A ``cnsmm worker`` process that stops inside its first import's merge transaction (used by
the kill tests).

    python -m tests.jobs.held_worker URL MARKER [RELEASE]

Runs the real worker, except that the first import, once every write of its merge (and the
job's ``done`` record) is made, creates MARKER and sleeps before the commit (until the file
RELEASE exists, when given). The kill test kills the process with SIGKILL there: the worst
moment, everything written and nothing committed.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from cnsmm.accounts.store import open_service_store
from cnsmm.jobs import queue
from cnsmm.jobs.worker import run_worker


def main() -> None:
    """Run the worker with the first merge held."""
    url, marker = sys.argv[1], Path(sys.argv[2])
    release = Path(sys.argv[3]) if len(sys.argv) > 3 else None
    real_finish = queue.finish

    def finish_then_hold(conn: Any, held: queue.Claim, summary: Any) -> None:
        real_finish(conn, held, summary)
        if not marker.exists():
            marker.write_text(held.job_id)
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline and not (release and release.exists()):
                time.sleep(0.05)

    queue.finish = finish_then_hold  # type: ignore[assignment]
    store = open_service_store(url)
    asyncio.run(run_worker(store, 1))


if __name__ == "__main__":
    main()
