"""Two heads fitted side by side: the model's own, and the headline's second head.

`training.trainer.train` fits two heads that need nothing from each other: the model's head, and a
second one without the photos least like the rest, which measures the headline. A small
head's step is hundreds of tiny TensorFlow operations run one after the other, which keep
about one core busy; on a CPU with two cores or more, the second head is fitted in a thread of
its own beside the first.

The second head starts once the first has finished its first epoch. By then the first's steps
are traced, so the second's tracing (Python, which holds the interpreter's lock) overlaps the
first's fitting (TensorFlow, which does not) rather than competing with the first's own
tracing.

Every report reaches the caller from the calling thread (a page's progress bar may only be
drawn from its own thread). The second head's epochs are held while the model's head learns,
so the live chart and the bar stay on the model's learning, and are passed on after it, as
their own phase. When the caller's callback raises (someone pressed Cancel), or the first
head fails, the second stops at the end of its next epoch.
"""

from __future__ import annotations

import concurrent.futures
import os
import queue
import threading
from collections.abc import Callable
from typing import Any

from tlcore.training import types

SIDE_BY_SIDE = (os.cpu_count() or 1) >= 2
"""Whether the two heads are fitted side by side: with one core, one after the other."""

Fit = Callable[[types.ProgressCallback], Any]
"""A head's fitting: takes the callback its epochs are reported to, returns its result."""


_SECOND_DONE = object()
"""Put in the queue of held reports when the second head's fitting has ended."""


class _StoppedError(Exception):
    """Raised in the second head's thread when the first failed or was cancelled."""


class HeadPair:
    """Fits the model's head in the calling thread and the second head beside it.

    Args:
        report: Where the first head's epochs go, as they come.
        report_second: Where the second head's epochs go, once the first head is done.
        side_by_side: Whether to use a second thread; `SIDE_BY_SIDE` when None.
    """

    def __init__(
        self,
        report: types.ProgressCallback,
        report_second: types.ProgressCallback,
        side_by_side: bool | None = None,
    ):
        self._report = report
        self._report_second = report_second
        self._side_by_side = SIDE_BY_SIDE if side_by_side is None else side_by_side
        self._first_started = threading.Event()
        self._stopped = threading.Event()
        self._held: queue.SimpleQueue = queue.SimpleQueue()

    def run(self, first: Fit, second: Fit) -> tuple[Any, Any]:
        """Fits both heads; returns `(first's result, second's result)`.

        Raises:
            Whatever either fitting, or the caller's callback, raises; the first head's error
            when both fail.
        """
        if not self._side_by_side:
            return first(self._report), second(self._report_second)
        with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="second-head") as pool:
            future = pool.submit(self._fit_second, second)
            try:
                first_result = first(self._first_report)
                self._first_started.set()
                return first_result, self._pass_on_second(future)
            except BaseException:
                # The pool's exit waits for the second head, which stops at its next epoch.
                self._stopped.set()
                raise
            finally:
                self._first_started.set()

    def _first_report(self, progress: types.Progress) -> None:
        """Passes on one of the first head's reports; the first means its steps are traced."""
        self._first_started.set()
        self._report(progress)

    def _second_report(self, progress: types.Progress) -> None:
        """Holds one of the second head's reports, in its thread, or stops it."""
        if self._stopped.is_set():
            raise _StoppedError
        self._held.put(progress)

    def _fit_second(self, second: Fit) -> Any:
        """The second head's thread: waits for the first to be traced, then fits."""
        self._first_started.wait()
        if self._stopped.is_set():
            raise _StoppedError
        return second(self._second_report)

    def _pass_on_second(self, future: concurrent.futures.Future) -> Any:
        """Passes on the second head's reports until it is done; returns its result."""
        # The end is a mark in the same queue, so the wait ends the moment the second does.
        future.add_done_callback(lambda _future: self._held.put(_SECOND_DONE))
        while (progress := self._held.get()) is not _SECOND_DONE:
            self._report_second(progress)
        return future.result()
