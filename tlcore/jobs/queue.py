"""The queue of jobs, on an existing engine: Huey, on SQLite by default or on Redis.

A web server puts "run job X" on the queue (`submit_training`); a worker (`tlcore.jobs.worker`)
takes it off and runs it (`tlcore.jobs.runner`). The job's record (`jobs.records`) says what
X is and where it stands. The queue is a file of the workspace by default
(`<workspace>/.jobs/queue.sqlite3`, Huey's `SqliteHuey`), so one machine needs nothing more;
`TLCORE_QUEUE_URL=redis://host:6379/0` puts it on a Redis server (Huey's `PriorityRedisHuey`),
for workers on other machines.

Fairness between owners rides on the engine's priorities: an owner's job is queued one step
lower for each job of theirs already queued or running (`JobStore.create`), so another
owner's first job goes ahead of someone's second; within one priority, first come first
served.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

import huey

from tlcore.jobs import records as job_records

QUEUE_URL_VARIABLE = "TLCORE_QUEUE_URL"
QUEUE_FILE = "queue.sqlite3"
QUEUE_NAME = "tlcore-jobs"
# The one task the queue carries: "run job X". Its body is the worker's (`jobs.runner`); a web
# server registers the name only, to send it.
RUN_JOB_TASK = "tlcore.run_job"
KIND_TRAINING = "training"
# A data check of a project's photos (`jobs.data_checks`): its report is saved into the project.
KIND_DATA_CHECK = "data check"
# Predictions of many photos (`jobs.batch_predictions`): the answers are saved beside the photos.
KIND_BATCH_PREDICTION = "batch prediction"
# New photos' features computed into the feature cache, a chunk a job (`jobs.arrivals`).
KIND_PHOTO_EMBEDDING = "photo embedding"
# A trained model converted to another format and checked (`jobs.exports`).
KIND_EXPORT = "export"
# A project file opened on Export, loaded safely into a new project (`jobs.imports`).
KIND_PROJECT_IMPORT = "project import"
# A correction learned (`jobs.model_work.teach`): the head retrained and saved; queued first.
KIND_TEACH = "correction"
# A heat map of what the model looked at in a photo (`jobs.model_work.explain`); queued first.
KIND_EXPLANATION = "explanation"
# The ONNX form written into a project file saved before it existed (`jobs.model_work`).
KIND_MODEL_PREPARATION = "model preparation"


_QUEUE_DOWN = (
    "The training could not be queued: the server's job queue does not answer or its disk is "
    "full. Nothing was changed; try again in a minute, and if it goes on, tell the person who "
    "runs this server."
)


@dataclasses.dataclass(frozen=True)
class QueueConfig:
    """Where one workspace's jobs are queued and recorded.

    Args:
        workspace_root: The workspace folder (shared by every web server and worker).
        queue_url: `TLCORE_QUEUE_URL`: empty for the workspace's SQLite file, or redis://...
        database_url: `TLCORE_DATABASE_URL`: empty for the workspace's SQLite file.
    """

    workspace_root: Path
    queue_url: str = ""
    database_url: str = ""

    @classmethod
    def from_environment(cls, workspace_root: str | os.PathLike) -> QueueConfig:
        """Reads `TLCORE_QUEUE_URL` and `TLCORE_DATABASE_URL` for a workspace."""
        return cls(
            Path(workspace_root).expanduser().resolve(),
            os.environ.get(QUEUE_URL_VARIABLE, ""),
            os.environ.get(job_records.DATABASE_URL_VARIABLE, ""),
        )

    def store(self) -> job_records.JobStore:
        """Opens the jobs' table."""
        return job_records.JobStore(self.workspace_root, self.database_url)


@dataclasses.dataclass(frozen=True)
class JobQueue:
    """An open queue: the Huey instance and its one task, "run job X".

    Args:
        huey: The Huey instance (a worker's consumer runs on it).
        task: The task's wrapper, as `huey.task` made it.
    """

    huey: huey.Huey
    task: object


# The body of "run job X" in this process: a worker sets it (`make_queue`); a web server,
# which only sends jobs, leaves it unset. Huey names a task by its function's module and
# name, so every process registers this same function.
_runner: Callable[[str], None] | None = None


def _run_job(job_id: str) -> None:
    """The task's body: hands the job to this worker's runner."""
    if _runner is None:
        raise RuntimeError(f"Job {job_id} reached a process that only sends jobs.")
    _runner(job_id)


def make_queue(config: QueueConfig, run_job: Callable[[str], None] | None = None) -> JobQueue:
    """Opens the queue and registers the task that runs a job.

    Args:
        config: Where the queue is.
        run_job: The task's body, in a worker; None in a web server, which only sends it.

    Returns:
        The open queue.

    Raises:
        JobError: The queue URL is not one this version can use.
    """
    url = config.queue_url
    if url.startswith(("redis://", "rediss://", "unix://")):
        queue = huey.PriorityRedisHuey(QUEUE_NAME, url=url, results=False)
    elif not url or url.startswith("sqlite:///"):
        path = (
            Path(url.removeprefix("sqlite:///"))
            if url
            else config.workspace_root / job_records.JOBS_FOLDER / QUEUE_FILE
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        queue = huey.SqliteHuey(QUEUE_NAME, filename=str(path), results=False)
    else:
        raise job_records.JobError(
            f"The queue address {url!r} ({QUEUE_URL_VARIABLE}) is not one this server can use: "
            "give redis://host:port/db, or leave it unset for the workspace's own queue file."
        )
    if run_job is not None:
        global _runner
        _runner = run_job
    return JobQueue(queue, queue.task(name=RUN_JOB_TASK)(_run_job))


def send(queue: JobQueue, record: job_records.JobRecord) -> None:
    """Puts "run this job" on the queue, at the record's priority."""
    queue.huey.enqueue(queue.task.s(record.id, priority=record.priority))


def submit(
    config: QueueConfig, queue: JobQueue, kind: str, project_id: str, owner: str, payload: dict
) -> job_records.JobRecord:
    """Records a job and queues it.

    Args:
        config: Where the queue and the records are.
        queue: The open queue (`make_queue`).
        kind: What the job does: `KIND_TRAINING`, `KIND_DATA_CHECK` or `KIND_BATCH_PREDICTION`.
        project_id: The project it works on.
        owner: Whose project it is.
        payload: What the job needs, as JSON-able values.

    Returns:
        The new job's record.

    Raises:
        JobError: The project has a job queued or running already.
    """
    store = config.store()
    record = store.create(kind, project_id, owner, payload)
    _send_or_fail(store, queue, record)
    return record


def submit_shared(
    config: QueueConfig,
    queue: JobQueue,
    kind: str,
    project: tuple[str, str],
    payload: dict,
    same: dict,
    priority: float | None = None,
) -> job_records.JobRecord:
    """Records and queues a job that runs beside the project's others, unless one like it
    is queued already (`JobStore.create_shared`).

    Args:
        config: Where the queue and the records are.
        queue: The open queue.
        kind: `KIND_PHOTO_EMBEDDING` or `KIND_EXPORT`.
        project: The project's id and owner.
        payload: What the job needs.
        same: The payload's values that make two jobs the same.
        priority: The queue's priority; None for the owner's place.

    Returns:
        The new job, or the one like it already queued.
    """
    store = config.store()
    record, is_new = store.create_shared(kind, *project, payload, same, priority)
    if is_new:
        _send_or_fail(store, queue, record)
    return record


def _send_or_fail(store: job_records.JobStore, queue: JobQueue, record) -> None:
    """Sends a new job to the queue; fails its record, with words, if the queue is down."""
    try:
        send(queue, record)
    except Exception as error:
        # The queue is down (Redis unreachable) or its disk is full: the record must not stay
        # "queued" with no message to run it.
        store.finish(record.id, job_records.FAILED, _QUEUE_DOWN)
        raise job_records.JobError(_QUEUE_DOWN) from error


def requeue_stale(config: QueueConfig, queue: JobQueue, stale_seconds: float) -> list[str]:
    """Sends back to the queue each job a dead worker or a lost message left behind.

    That is each running job whose worker stopped beating (killed, lost), and each job
    queued `stale_seconds` ago or more that has no message on the queue (its worker died
    between taking the message and claiming the job). A message sent twice is harmless: the
    second claim of a job finds it running or ended, and does nothing.

    Returns:
        The ids of the jobs sent again.
    """
    store = config.store()
    records = store.take_stale(stale_seconds)
    waiting = {task.args[0] for task in queue.huey.pending() if task.args}
    records += [
        record
        for record in store.queued_before(stale_seconds)
        if record.id not in waiting and record.id not in {taken.id for taken in records}
    ]
    for record in records:
        send(queue, record)
    return [record.id for record in records]
