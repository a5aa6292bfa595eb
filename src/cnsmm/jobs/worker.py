"""``cnsmm worker``: this process's job workers until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import logging
import signal

from cnsmm.jobs.dispatch import dispatcher
from cnsmm.tracking.store import Store


async def run_worker(store: Store, workers: int) -> None:
    """Run ``workers`` jobs at a time from ``store`` until a stop signal; running jobs finish
    first (a second signal, or SIGKILL, stops at once: those jobs are started again elsewhere)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    jobs = dispatcher(store, workers=workers)
    await jobs.start()
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await jobs.stop()
