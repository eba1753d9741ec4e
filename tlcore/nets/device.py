"""Where the work runs: the GPU when there is one, and one training at a time.

A server shows the app to several people at once. Embedding and training use most of the
GPU's (or the CPU's) capacity, so trainings queue behind a process-wide lock instead of running
side by side and exhausting memory; a waiting caller can learn its place in the queue.
"""

import contextlib
import itertools
import threading
from collections.abc import Callable, Iterator

_gpu_configured = False
_gpu_lock = threading.Lock()


def configure_gpu() -> list[str]:
    """Turns on memory growth for every GPU TensorFlow sees, once per process.

    Without it TensorFlow takes all GPU memory at start, and a second model (another user's
    prediction) cannot load. It must run before TensorFlow first touches the GPU. Under
    another Keras backend (JAX, for example) it only lists the GPUs: those place work on the
    GPU by themselves.

    Returns:
        The names of the GPUs found; an empty list on a machine without one.
    """
    global _gpu_configured
    import keras

    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return [str(found) for found in jax.devices() if found.platform == "gpu"]
    if backend != "tensorflow":
        return []
    import tensorflow as tf

    with _gpu_lock:
        gpus = tf.config.list_physical_devices("GPU")
        if not _gpu_configured:
            for gpu in gpus:
                try:
                    tf.config.experimental.set_memory_growth(gpu, True)
                except RuntimeError:
                    # The GPU was already initialised by someone else: growth cannot change now.
                    pass
            _gpu_configured = True
        return [gpu.name for gpu in gpus]


def describe_device() -> str:
    """Returns 'GPU' or 'CPU', for progress messages and benchmark reports."""
    return "GPU" if configure_gpu() else "CPU"


class TrainingQueue:
    """A first-come, first-served lock whose waiters know their place in the line."""

    def __init__(self):
        self._condition = threading.Condition()
        self._tickets = itertools.count()
        self._waiting: list[int] = []
        self._holder: int | None = None

    def waiting_count(self) -> int:
        """Returns how many callers wait behind the one that holds the lock."""
        with self._condition:
            return len(self._waiting)

    def is_busy(self) -> bool:
        """Returns whether a training runs right now."""
        with self._condition:
            return self._holder is not None

    @contextlib.contextmanager
    def turn(
        self, on_wait: Callable[[int], None] | None = None, poll_seconds: float = 0.5
    ) -> Iterator[None]:
        """Waits for this caller's turn, then holds the lock for the `with` block.

        Args:
            on_wait: Called with the caller's place in the queue (1 means next) while it waits,
                and again whenever that place changes.
            poll_seconds: How often a waiting caller wakes to report its place.

        Yields:
            Nothing; the caller's work runs inside the `with` block.
        """
        with self._condition:
            ticket = next(self._tickets)
            self._waiting.append(ticket)
            last_place = None
            try:
                while self._holder is not None or self._waiting[0] != ticket:
                    place = self._waiting.index(ticket) + 1
                    if on_wait is not None and place != last_place:
                        # The callback runs outside the lock so that it may take its time.
                        self._condition.release()
                        try:
                            on_wait(place)
                        finally:
                            self._condition.acquire()
                        last_place = place
                        continue
                    self._condition.wait(timeout=poll_seconds)
                self._holder = ticket
            finally:
                self._waiting.remove(ticket)
                self._condition.notify_all()
        try:
            yield
        finally:
            with self._condition:
                self._holder = None
                self._condition.notify_all()


# The one queue of this process: every training, from any session or thread, goes through it.
training_queue = TrainingQueue()
