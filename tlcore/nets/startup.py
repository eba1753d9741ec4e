"""A quiet start for TensorFlow, so the command line prints only its own lines.

TensorFlow's native libraries write their start-up notices (the absl "before InitializeLog"
warning, oneDNN and CUDA notices, and on a machine without a GPU an error line about cuInit)
straight to the process's standard error, before its own log level applies: setting
`TF_CPP_MIN_LOG_LEVEL` does not stop them. So the file descriptor of standard error itself is
pointed at nothing while TensorFlow is imported and looks for GPUs (`nets.device.configure_gpu`),
the two moments those notices come from, and given back afterwards. `--verbose` skips all of
this.
"""

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator

from tlcore.nets import device

# The native log level for the rest of the run: errors only would still show the cuInit line.
QUIET_LOG_LEVEL = "3"


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Points file descriptor 2 at the null device for the duration, then restores it.

    Python's own `sys.stderr` writes go to the same descriptor, so nothing written in the
    block is seen; an exception raised in it is still reported after the block, once the
    descriptor is back.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def start_quietly() -> None:
    """Imports Keras and its backend and finds the GPUs without a line of their start-up log.

    Call it before anything else imports TensorFlow; later imports are then already done.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", QUIET_LOG_LEVEL)
    with native_stderr_silenced():
        # Keras imports its backend here for the first time: that import writes the notices.
        device.configure_gpu()
    for name in ("tensorflow", "absl", "keras"):
        logging.getLogger(name).setLevel(logging.ERROR)


def start_in_background(
    quiet: bool = True, then: Callable[[], object] | None = None
) -> threading.Thread:
    """Starts importing TensorFlow and Keras in a thread and returns it (already started).

    The command line's `train` reads the photos and computes their features through ONNX
    Runtime meanwhile (`features.early_embeddings`): TensorFlow's import is seconds of one core,
    and on two cores both fit in the time of one. Join the thread before printing anything: while
    it runs quietly, standard error points at nothing (`native_stderr_silenced`).

    Args:
        quiet: Whether to hide TensorFlow's start-up log (`start_quietly`).
        then: Called in the thread once TensorFlow is in (building the Keras base, say). Its
            errors are not raised there: whoever needs its result does the work again in the
            main thread, and says what went wrong.
    """
    thread = threading.Thread(
        target=_start_then, args=(quiet, then), name="tensorflow-start", daemon=True
    )
    thread.start()
    return thread


def _start_then(quiet: bool, then: Callable[[], object] | None) -> None:
    if quiet:
        start_quietly()
    else:
        device.configure_gpu()
    if then is not None:
        try:
            then()
        except Exception:  # noqa: BLE001, S110 - the main thread does it again and reports.
            pass
