"""How long a long piece of work has left, estimated from how fast it has gone so far."""

import math
import time
from collections.abc import Callable

from tlcore import wording

# No estimate is given before this many seconds of work: the first batches include warming up
# (the first call into the network, the first photos read from disk) and run slower.
_SETTLING_SECONDS = 3.0


class TimeLeftEstimator:
    """Estimates the seconds left from the units done so far.

    Units done before the first report (photos already in the cache) cost no time, so the
    pace is measured from the first report on.

    Args:
        clock: Returns the time in seconds; `time.monotonic` when None (tests pass their own).
    """

    def __init__(self, clock: Callable[[], float] | None = None):
        self._clock = clock or time.monotonic
        self._start: tuple[float, int] | None = None

    def skip(self, units: int) -> None:
        """Notes units that were done at once without work (found in a cache), so that they
        do not make the pace look faster than it is.

        Args:
            units: How many units were done without work since the last report.
        """
        if self._start is not None:
            start_time, start_done = self._start
            self._start = (start_time, start_done + units)

    def update(self, done: int, total: int) -> float | None:
        """Notes progress and returns the estimated seconds left.

        Args:
            done: Units done so far.
            total: Units in all.

        Returns:
            The seconds left, 0 when done, or None while too little is known to say.
        """
        now = self._clock()
        if self._start is None:
            self._start = (now, done)
        if done >= total:
            return 0.0
        start_time, start_done = self._start
        elapsed = now - start_time
        finished_since_start = done - start_done
        if elapsed < _SETTLING_SECONDS or finished_since_start <= 0:
            return None
        return (total - done) * elapsed / finished_since_start


def describe(seconds: float | None) -> str:
    """Returns a time left in words, such as "about 4 minutes left".

    Args:
        seconds: The estimate, or None when there is none.

    Returns:
        The words, or an empty string when there is no estimate.
    """
    if seconds is None:
        return ""
    if seconds < 10:
        return "a few seconds left"
    if seconds < 60:
        return "less than a minute left"
    minutes = math.ceil(seconds / 60)
    if minutes < 90:
        return f"about {wording.plural(minutes, 'minute', 'minutes')} left"
    hours = round(seconds / 3600, 1)
    return f"about {hours:g} hours left"


def with_time_left(text: str, seconds: float | None) -> str:
    """Returns a progress text followed by the time left, when there is an estimate.

    Args:
        text: What is being done, such as "Looking at your photos: 3 of 20".
        seconds: The estimated seconds left, or None.

    Returns:
        "text · about 4 minutes left", or the text alone.
    """
    remaining = describe(seconds)
    return f"{text} · {remaining}" if remaining else text
