"""Workers: processes that take jobs off the queue and run them (`python -m tlcore worker`).

A worker imports TensorFlow once and keeps it, runs one job at a time (one Huey consumer
thread), and every `REQUEUE_SECONDS` sends back to the queue the jobs whose worker died
(`jobs.queue.requeue_stale`), at its start too. `LocalWorkers` is how a web server starts
`TLCORE_WORKERS` of them on its own machine and stops them when it exits.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import functools
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

from tlcore import store
from tlcore.jobs import queue as job_queue
from tlcore.jobs import records
from tlcore.jobs.worker_options import DEFAULT_STALE_SECONDS, STALE_SECONDS_VARIABLE

WORKERS_VARIABLE = "TLCORE_WORKERS"
REQUEUE_SECONDS = 5.0
# How often the queue is looked at when it is empty: Huey backs off up to this, so a job
# queued on an idle worker starts within about this long.
MAX_POLL_SECONDS = 0.5


def stale_seconds() -> float:
    """Returns `TLCORE_JOB_STALE_SECONDS`, or its default."""
    try:
        return float(os.environ.get(STALE_SECONDS_VARIABLE, DEFAULT_STALE_SECONDS))
    except ValueError:
        return DEFAULT_STALE_SECONDS


def run(arguments: argparse.Namespace) -> int:
    """Runs a worker until it is stopped.

    Args:
        arguments: The parsed options (`jobs.worker_options.add_arguments`).

    Returns:
        The exit status.
    """
    # TensorFlow comes with the runner: imported once, here, and kept for every job.
    from tlcore.jobs import runner, teaching

    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(message)s")
    root = Path(arguments.workspace) if arguments.workspace else store.default_root()
    config = job_queue.QueueConfig.from_environment(root)
    name = arguments.name or f"{socket.gethostname()}:{os.getpid()}"
    queue = job_queue.make_queue(
        config, run_job=functools.partial(runner.run_job, config, worker=name)
    )
    stopped = threading.Event()
    watcher = threading.Thread(
        target=_watch, args=(config, queue, arguments.parent_pid, stopped), daemon=True
    )
    requeued = job_queue.requeue_stale(config, queue, stale_seconds())
    if requeued:
        logging.info("sent %d jobs of dead workers to the queue again", len(requeued))
    watcher.start()
    # The pretrained network is made ready while the queue is empty, so the first correction
    # learned here does not wait seconds for it (`jobs.teaching.warm_up`). A worker started for
    # a job that waits already goes straight to it: that job loads the network it needs, and a
    # warm-up beside it would only take its CPU (a training someone watches, on a small server).
    # A failure (no weights) is printed by the thread, and told by the first job needing them.
    if not config.store().count(records.QUEUED):
        threading.Thread(target=teaching.warm_up, name="warm-up", daemon=True).start()
    consumer = queue.huey.create_consumer(
        workers=1, worker_type="thread", periodic=False, max_delay=MAX_POLL_SECONDS
    )
    logging.info("%s ready on %s", name, config.workspace_root)
    consumer.run()
    stopped.set()
    # Stopped at once (SIGTERM): the job under way goes back to the queue now, rather than
    # when its heartbeat is found stale.
    for record in config.store().release(name):
        job_queue.send(queue, record)
    logging.info("%s stopped", name)
    return 0


def _watch(
    config: job_queue.QueueConfig,
    queue: job_queue.JobQueue,
    parent_pid: int | None,
    stopped: threading.Event,
) -> None:
    """Requeues dead workers' jobs now and then; stops this worker when its parent is gone."""
    while not stopped.wait(REQUEUE_SECONDS if parent_pid is None else 1.0):
        if parent_pid is not None and os.getppid() != parent_pid:
            # The web server that started this worker is gone: stop like on SIGTERM.
            os.kill(os.getpid(), signal.SIGTERM)
            return
        with contextlib.suppress(Exception):
            requeued = job_queue.requeue_stale(config, queue, stale_seconds())
            if requeued:
                logging.info("sent %d jobs of dead workers to the queue again", len(requeued))


def local_worker_count() -> int:
    """Returns `TLCORE_WORKERS`: how many workers a web server starts itself (default 1)."""
    try:
        return max(0, int(os.environ.get(WORKERS_VARIABLE, "1")))
    except ValueError:
        return 1


class LocalWorkers:
    """Worker processes a web server starts on its own machine, stopped when it exits.

    Args:
        workspace_root: The workspace the workers serve.
        count: How many; `local_worker_count()` when None.
    """

    def __init__(self, workspace_root: str | os.PathLike, count: int | None = None):
        self.workspace_root = Path(workspace_root)
        self.count = local_worker_count() if count is None else count
        self.processes: list[subprocess.Popen] = []

    def start(self) -> LocalWorkers:
        """Starts the workers; their output goes to this process's."""
        self.processes = [self._start_one() for _ in range(self.count)]
        atexit.register(self.stop)
        return self

    def restart_dead(self) -> None:
        """Starts a new worker in place of each one that has ended (killed, crashed)."""
        self.processes = [
            process if process.poll() is None else self._start_one() for process in self.processes
        ]

    def _start_one(self) -> subprocess.Popen:
        environment = dict(os.environ, TLCORE_WORKSPACE=str(self.workspace_root))
        return subprocess.Popen(
            [sys.executable, "-m", "tlcore", "worker", "--parent-pid", str(os.getpid())],
            env=environment,
        )

    def stop(self, timeout: float = 10.0) -> None:
        """Stops the workers (SIGTERM, then SIGKILL after `timeout` seconds)."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes = []
