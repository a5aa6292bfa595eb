"""The per-file time budget: a backstop against inputs that make some step slow.

Parsers and rules are written to do work linear in the size of their input
(docs/benchmarks.md), but one pathological file in a repository of thousands must not stall a
CI job whatever step turns out slow. Each file gets ``file_timeout`` seconds of processor
time (configuration, default 30) for its parsing and for the rules run on what it holds, in
proportion for files larger than :data:`SCALE_BYTES` (a 10 MiB file gets 2.5 times as much);
a file that goes over is reported as a ``timeout`` input error ("took longer than N s;
skipped"), whatever it had produced is dropped, and the scan goes on with the next file. The
cross-object rules of a set get the same budget per rule, in proportion to the set's size.

Processor time, not wall-clock time: a CI machine shared with other jobs must not skip a
file that is merely waiting for a core. How it is enforced: a :class:`Clock` is armed around
the work of one file. In the main thread of a process (the CLI, and each worker process of a
large scan) a profiling interval timer (``ITIMER_PROF``, the process's processor time)
interrupts the work wherever it is, even inside one long regular-expression match; elsewhere
(a scan run from a thread) the thread's processor time is checked between two rules only.
Interruption raises :class:`FileTimeout`, a :class:`BaseException`, so that the rule engine's
isolation of rules that raise does not swallow it.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

SCALE_BYTES = 4 * 1024 * 1024
"""Files (and sets) up to this size get ``file_timeout``; larger ones get it in proportion."""


def scaled(seconds: float, size: int) -> float:
    """The budget for ``size`` bytes (or characters) of input."""
    return seconds * max(1.0, size / SCALE_BYTES)


class FileTimeout(BaseException):
    """Raised inside the work of a file when its time budget is spent."""


def timeout_message(seconds: float) -> str:
    """The input error text for a file that went over ``seconds``."""
    return (f"took longer than {seconds:.3g} s of processor time; skipped (a backstop against pathological input: "
            "raise `file_timeout` in cnsmm.yaml or --file-timeout if the file is real, and please report it)")


class Clock:
    """Arms the time budget around the work of one file at a time (not re-entrant)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        """The budget per file; 0 or less means no limit."""
        self._deadline: float | None = None
        self._armed = False

    @property
    def enabled(self) -> bool:
        """Whether a budget applies at all."""
        return self.seconds > 0

    def check(self) -> None:
        """Raise :class:`FileTimeout` when the running file's deadline has passed."""
        if self._deadline is not None and time.thread_time() > self._deadline:
            self._deadline = None
            raise FileTimeout

    @contextmanager
    def running(self, seconds: float | None = None) -> Iterator[None]:
        """Run the body with ``seconds`` (default: the whole budget) before :class:`FileTimeout`."""
        budget = self.seconds if seconds is None else seconds
        if not self.enabled or self._deadline is not None:
            yield
            return
        if budget <= 0:
            raise FileTimeout
        self._deadline = time.thread_time() + budget
        previous: Any = None
        use_alarm = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
        if use_alarm:
            previous = signal.signal(signal.SIGPROF, self._on_alarm)
            self._armed = True
            signal.setitimer(signal.ITIMER_PROF, budget)
        try:
            yield
        finally:
            self._armed = False  # an alarm arriving from here on is ignored
            self._deadline = None
            if use_alarm:
                signal.setitimer(signal.ITIMER_PROF, 0)
                signal.signal(signal.SIGPROF, previous if previous is not None else signal.SIG_DFL)

    def _on_alarm(self, signum: int, frame: FrameType | None) -> None:
        if self._armed:
            self._armed = False
            raise FileTimeout


class FileTimer:
    """Processor time spent per file across the stages of a set (parsing first, rules later)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.spent: dict[str, float] = {}
        self.sizes: dict[str, int] = {}
        """Size of each file read, for its budget (see :func:`scaled`)."""

    def budget(self, file: str) -> float:
        """Seconds ``file`` may take in all."""
        return scaled(self.clock.seconds, self.sizes.get(file, 0))

    def left(self, file: str) -> float:
        """Seconds of budget ``file`` still has."""
        return self.budget(file) - self.spent.get(file, 0.0)

    @contextmanager
    def running(self, file: str) -> Iterator[None]:
        """Run one stage of ``file``'s work within what is left of its budget."""
        start = time.thread_time()
        try:
            with self.clock.running(self.left(file)):
                yield
        finally:
            self.spent[file] = self.spent.get(file, 0.0) + time.thread_time() - start
