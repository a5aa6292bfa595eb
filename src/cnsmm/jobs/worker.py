"""``cnsmm worker``: this process's job workers until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path

from cnsmm.jobs.dispatch import dispatcher
from cnsmm.tracking.store import Store

ALIVE_EVERY_S = 15.0


async def _keep_alive(path: Path) -> None:
    """Touch ``path`` while the event loop runs (a liveness probe checks that it is recent)."""
    while True:
        with contextlib.suppress(OSError):
            path.touch()
        await asyncio.sleep(ALIVE_EVERY_S)


async def run_worker(store: Store, workers: int, alive_file: Path | None = None) -> None:
    """Run ``workers`` jobs at a time from ``store`` until a stop signal; running jobs finish
    first (SIGKILL stops at once: those jobs are started again elsewhere). With ``alive_file``,
    that file is touched every 15 seconds while the worker runs."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    jobs = dispatcher(store, workers=workers)
    await jobs.start()
    alive = asyncio.ensure_future(_keep_alive(alive_file)) if alive_file else None
    try:
        await stop.wait()
        logging.getLogger("cnsmm.jobs").info("stopping: running jobs finish first")
    finally:
        if alive is not None:
            alive.cancel()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await jobs.stop()
