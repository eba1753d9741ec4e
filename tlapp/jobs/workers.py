"""The web server's link to the work tier: the queue, the jobs' records, and local workers.

A web server runs no training itself. It queues jobs (`tlcore.jobs.queue`) and reads their
records (`tlcore.jobs.records`); `TLCORE_WORKERS` worker processes (default 1; 0 when the
workers run elsewhere) are started by the first page that needs them and stopped when the
server exits. This module imports neither TensorFlow nor the worker's runner.
"""

import functools
import os
import threading
from pathlib import Path

import streamlit as st

from tlcore import store as project_store
from tlcore.jobs import queue as job_queue
from tlcore.jobs import records, worker

_local_lock = threading.Lock()
_local_workers: dict[str, worker.LocalWorkers] = {}


def config(root: str | os.PathLike | None = None) -> job_queue.QueueConfig:
    """Returns where a workspace (this server's when None) queues and records its jobs."""
    return job_queue.QueueConfig.from_environment(root or project_store.default_root())


@st.cache_resource(show_spinner=False)
def _open_queue(root: str, queue_url: str, database_url: str) -> job_queue.JobQueue:
    """Opens the queue once per server process and configuration."""
    return job_queue.make_queue(job_queue.QueueConfig(Path(root), queue_url, database_url))


def queue(root: str | os.PathLike | None = None) -> job_queue.JobQueue:
    """Returns the open queue of a workspace (this server's when None)."""
    current = config(root)
    return _open_queue(str(current.workspace_root), current.queue_url, current.database_url)


def store(root: str | os.PathLike | None = None) -> records.JobStore:
    """Opens the jobs' table of a workspace (this server's when None)."""
    return _open_store(config(root))


@functools.lru_cache(maxsize=16)
def _open_store(queue_config: job_queue.QueueConfig) -> records.JobStore:
    """Opens a jobs' table once per process (opening checks the table's schema)."""
    return queue_config.store()


def ensure_started(root: str | os.PathLike | None = None) -> None:
    """Starts this server's local workers (`TLCORE_WORKERS`) unless they run already.

    One server process serves one workspace; should the workspace change (as between tests),
    the workers of the previous one are stopped first, so there are never more than
    `TLCORE_WORKERS` of them.
    """
    root = str(config(root).workspace_root)
    with _local_lock:
        if root in _local_workers:
            _local_workers[root].restart_dead()
            return
        for previous in _local_workers.values():
            previous.stop()
        _local_workers.clear()
        _local_workers[root] = worker.LocalWorkers(root).start()


def submit(project: project_store.Project, kind: str, payload: dict) -> records.JobRecord:
    """Records and queues a job of a project, and starts the local workers if needed.

    Args:
        project: The project the job works on.
        kind: What the job does (`tlcore.jobs.queue.KIND_TRAINING`, ...).
        payload: What the job needs, as JSON-able values.

    Returns:
        The new job's record.

    Raises:
        JobError: The project has a job queued or running already, or the queue is down.
    """
    root = project.workspace.root
    ensure_started(root)
    return job_queue.submit(config(root), queue(root), kind, project.id, project.owner, payload)


def start_if_jobs_wait(root: str | os.PathLike) -> None:
    """Starts the local workers when jobs of the workspace wait for one, on any page.

    A web server restarted with trainings queued or cut short starts its workers at once,
    rather than when someone next opens Train. It costs two counts in the workspace's
    database.
    """
    current = config(root)
    key = str(current.workspace_root)
    if key in _local_workers:
        return
    jobs_store = store(root)
    if jobs_store.count(records.QUEUED) or jobs_store.count(records.RUNNING):
        ensure_started(root)


def stop_local_workers() -> None:
    """Stops this server's local workers (they start again when next needed)."""
    with _local_lock:
        for running in _local_workers.values():
            running.stop()
        _local_workers.clear()
