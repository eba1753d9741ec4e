"""The jobs' records: what each job is, where it stands, and how it ended, in one SQLite table.

The queue (`jobs.queue`, an existing engine: Huey) carries the message "run job X" to a worker;
this table carries everything a page wants to show about job X, and survives what the queue
forgets: a worker killed in the middle of a job leaves its record "running" with a heartbeat
that stops moving, and `requeue_stale` (run by every worker) sends it to the queue again.
Every web server and worker of one workspace reads and writes the same table, so any page of
any server shows any job's progress.

The table is one of the workspace's database (`tlcore.store.database`: `<workspace>/tlcore.db`
in WAL mode, so readers never wait for the writer, or where `TLCORE_DATABASE_URL` says), the
same database and the same connections as the projects' metadata.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sqlite3
import time
import uuid
from collections.abc import Iterator

from tlcore import errors
from tlcore.store import database

DATABASE_URL_VARIABLE = database.DATABASE_URL_VARIABLE
# The folder of the workspace that holds the embedded queue; its name starts with a dot, so
# the workspace never takes it for a project.
JOBS_FOLDER = ".jobs"

QUEUED = "queued"
RUNNING = "running"
FINISHED = "finished"
FAILED = "failed"
CANCELLED = "cancelled"
ACTIVE_STATES = (QUEUED, RUNNING)

_DATABASE_DOWN = (
    "The server's record of trainings cannot be read or written (its disk may be full). "
    "Your photos and models are as they were; tell the person who runs this server."
)


# One job of a project at a time; what the person is told, by the kind of the one under way.
_BUSY_MESSAGES = {
    "training": "This project is training already (perhaps from another tab). Wait for it "
    "to finish; its progress is shown on the Train page.",
    "data check": "This project's photos are being checked (perhaps from another tab). Wait "
    "for the check to finish; its progress is shown on the Check data page.",
    "batch prediction": "This project's model is looking at a batch of photos (perhaps from "
    "another tab). Wait for it to finish; its progress is shown on the Predict page.",
    "correction": "This project's model is learning a correction (perhaps from another tab). "
    "Wait a few seconds for it to finish.",
    "model preparation": "This project's model is being made ready for this version of the app. "
    "Wait a few seconds for it to finish.",
}

# Kinds someone waits for on a page, each a few seconds of work: queued ahead of every other
# kind (Huey serves the highest priority first), so a correction never waits behind queued
# trainings; it still waits for the job a worker is running to end.
URGENT_KINDS = ("correction", "explanation", "model preparation")
URGENT_PRIORITY = 1000
# Kinds of jobs that run beside a project's other jobs: they neither wait for a training nor
# make one wait, nor lower their owner's place in the queue. New photos' embedding and exports
# (`JobStore.create_shared`) only add to the feature cache or read a saved model; a heat map
# only reads the model (it is asked for while a correction is learned).
SHARED_KINDS = ("photo embedding", "export", "explanation")


class JobError(errors.WorkspaceError):
    """A job cannot be made or found, said in words for the person who asked."""


@dataclasses.dataclass(frozen=True)
class JobRecord:
    """One row of the jobs' table, as read at one moment.

    Args:
        id: The job's id.
        kind: What it does: "training", "data check" or "batch prediction".
        project_id: The project it works on.
        owner: Whose project it is; the queue's fairness is between owners.
        state: "queued", "running", "finished", "failed" or "cancelled".
        priority: The queue's priority when it was queued (higher first): 0 for an owner's
            first job, one less for each job of theirs queued or running before it.
        payload: What the job needs (for a training, its settings).
        created_at: When it was queued, as `time.time()`.
        started_at: When a worker last started it.
        finished_at: When it ended.
        heartbeat_at: When its worker last said it was alive.
        attempts: How many times a worker started it.
        worker: The worker that runs or ran it.
        cancel_requested: Whether someone pressed Cancel.
        progress: The last progress report, as a dict of `training.types.Progress`'s fields.
        history: The live chart's figures: one list per measure, one value per epoch.
        error: Why it failed, in words.
        result: What it left (for a training, its accuracy).
    """

    id: str
    kind: str
    project_id: str
    owner: str
    state: str
    priority: float
    payload: dict
    created_at: float
    started_at: float | None
    finished_at: float | None
    heartbeat_at: float | None
    attempts: int
    worker: str | None
    cancel_requested: bool
    progress: dict
    history: dict
    error: str | None
    result: dict

    @property
    def is_active(self) -> bool:
        """Whether the job is queued or running."""
        return self.state in ACTIVE_STATES

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> JobRecord:
        """Builds a record from a row of the table."""
        values = dict(row)
        for key in ("payload", "progress", "history", "result"):
            values[key] = json.loads(values[key] or "{}")
        values["cancel_requested"] = bool(values["cancel_requested"])
        return cls(**values)


class JobStore:
    """The jobs' table of one workspace.

    Args:
        workspace_root: The workspace folder.
        url: The database URL; see `tlcore.store.database.database_path`.

    Raises:
        JobError: The URL is not usable, or the database cannot be opened.
    """

    def __init__(self, workspace_root: str | os.PathLike, url: str | None = None):
        try:
            self.database = database.open_database(workspace_root, url or None)
        except errors.WorkspaceError as error:
            raise JobError(str(error)) from error
        self.path = self.database.path

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """A connection for reading; `_transaction` makes a write atomic.

        Raises:
            JobError: The database cannot be read or written (a full disk, a lost volume).
        """
        try:
            with self.database.connection() as connection:
                yield connection
        except (database.DatabaseError, errors.DiskFullError) as error:
            raise JobError(_DATABASE_DOWN) from error

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the lock at once, so two writers never interleave."""
        try:
            with self.database.transaction() as connection:
                yield connection
        except (database.DatabaseError, errors.DiskFullError) as error:
            raise JobError(_DATABASE_DOWN) from error

    def create(self, kind: str, project_id: str, owner: str, payload: dict) -> JobRecord:
        """Records a new queued job, with its place among owners (`JobRecord.priority`).

        `URGENT_KINDS` go ahead of the others; `SHARED_KINDS` run beside a project's other jobs.

        Raises:
            JobError: The project has a job queued or running already.
        """
        side_kinds = ", ".join("?" for _ in SHARED_KINDS)
        with self._transaction() as connection:
            busy = connection.execute(
                f"select kind from jobs where project_id = ? and state in (?, ?) "
                f"and kind not in ({side_kinds})",
                (project_id, *ACTIVE_STATES, *SHARED_KINDS),
            ).fetchone()
            if busy and kind not in SHARED_KINDS:
                raise JobError(_BUSY_MESSAGES.get(busy[0], _BUSY_MESSAGES["training"]))
            job_id = _insert(connection, kind, project_id, owner, payload, None)
        return self.get(job_id)

    def create_shared(
        self,
        kind: str,
        project_id: str,
        owner: str,
        payload: dict,
        same: dict,
        priority: float | None = None,
    ) -> tuple[JobRecord, bool]:
        """Records a job of a `SHARED_KINDS` kind, unless one like it is queued already.

        A job like it is one of the same kind and project, queued, whose payload has the
        values of `same` (a running one is not: it may have looked at the project before the
        change that asks for this job).

        Args:
            kind: One of `SHARED_KINDS`.
            project_id: The project.
            owner: Whose project it is.
            payload: What the job needs.
            same: The payload's values that make two jobs the same; empty for any.
            priority: The queue's priority; None for the owner's place (as `create`).

        Returns:
            The job, and whether it is new (and so still to be sent to the queue).
        """
        with self._transaction() as connection:
            rows = connection.execute(
                "select * from jobs where project_id = ? and kind = ? and state = ? "
                "order by created_at",
                (project_id, kind, QUEUED),
            ).fetchall()
            for row in rows:
                record = JobRecord.from_row(row)
                if all(record.payload.get(key) == value for key, value in same.items()):
                    return record, False
            job_id = _insert(connection, kind, project_id, owner, payload, priority)
        return self.get(job_id), True

    def get(self, job_id: str) -> JobRecord:
        """Returns a job's record.

        Raises:
            JobError: There is no such job.
        """
        with self._connection() as connection:
            row = connection.execute("select * from jobs where id = ?", (job_id,)).fetchone()
        if row is None:
            raise JobError("This job is not known to the server any more.")
        return JobRecord.from_row(row)

    def latest_for_project(self, project_id: str, kind: str | None = None) -> JobRecord | None:
        """Returns the project's most recent job (of one kind, when named), or None."""
        # Two plain queries rather than "? is null": every database infers the types.
        kinds = "" if kind is None else " and kind = ?"
        with self._connection() as connection:
            row = connection.execute(
                f"select * from jobs where project_id = ?{kinds} order by created_at desc limit 1",
                (project_id,) if kind is None else (project_id, kind),
            ).fetchone()
        return JobRecord.from_row(row) if row else None

    def for_project(self, project_id: str, kind: str, limit: int = 20) -> list[JobRecord]:
        """Returns the project's latest jobs of one kind, newest first."""
        with self._connection() as connection:
            rows = connection.execute(
                "select * from jobs where project_id = ? and kind = ? "
                "order by created_at desc limit ?",
                (project_id, kind, limit),
            ).fetchall()
        return [JobRecord.from_row(row) for row in rows]

    def queue_position(self, job_id: str) -> int | None:
        """Returns a queued job's place in the queue (1 means next), or None when not queued."""
        record = self.get(job_id)
        if record.state != QUEUED:
            return None
        with self._connection() as connection:
            (ahead,) = connection.execute(
                "select count(*) from jobs where state = ? and id != ? and "
                "(priority > ? or (priority = ? and created_at < ?))",
                (QUEUED, job_id, record.priority, record.priority, record.created_at),
            ).fetchone()
        return ahead + 1

    def count(
        self, state: str, other_than_project: str | None = None, kind: str | None = None
    ) -> int:
        """Returns how many jobs are in a state, leaving out one project's when named, and
        of one kind when named."""
        # Two plain queries rather than "? is null": every database infers the types.
        kinds = "" if kind is None else " and kind = ?"
        parameters = (state, other_than_project or "") + (() if kind is None else (kind,))
        with self._connection() as connection:
            (count,) = connection.execute(
                f"select count(*) from jobs where state = ? and project_id != ?{kinds}",
                parameters,
            ).fetchone()
        return count

    def claim(self, job_id: str, worker: str) -> JobRecord | None:
        """Marks a queued job as running on this worker; None when it is not queued any more."""
        now = _now()
        with self._transaction() as connection:
            claimed = connection.execute(
                "update jobs set state = ?, worker = ?, started_at = ?, heartbeat_at = ?, "
                "attempts = attempts + 1 where id = ? and state = ?",
                (RUNNING, worker, now, now, job_id, QUEUED),
            ).rowcount
        return self.get(job_id) if claimed else None

    def report(self, job_id: str, progress: dict, history: dict | None = None) -> bool:
        """Writes a running job's progress and heartbeat.

        Returns:
            Whether someone asked to cancel it.
        """
        with self._transaction() as connection:
            if history is None:
                connection.execute(
                    "update jobs set progress = ?, heartbeat_at = ? where id = ?",
                    (json.dumps(progress), _now(), job_id),
                )
            else:
                connection.execute(
                    "update jobs set progress = ?, history = ?, heartbeat_at = ? where id = ?",
                    (json.dumps(progress), json.dumps(history), _now(), job_id),
                )
            row = connection.execute(
                "select cancel_requested from jobs where id = ?", (job_id,)
            ).fetchone()
        return bool(row and row[0])

    def beat(self, job_id: str, worker: str) -> None:
        """Says that the worker running a job is alive."""
        with self._transaction() as connection:
            connection.execute(
                "update jobs set heartbeat_at = ? where id = ? and worker = ? and state = ?",
                (_now(), job_id, worker, RUNNING),
            )

    def finish(self, job_id: str, state: str, error: str | None = None, result=None) -> None:
        """Records how a job ended: finished, failed (with why, in words) or cancelled."""
        with self._transaction() as connection:
            connection.execute(
                "update jobs set state = ?, error = ?, result = ?, finished_at = ? where id = ?",
                (state, error, json.dumps(result or {}), _now(), job_id),
            )

    def request_cancel(self, job_id: str) -> None:
        """Asks for a job to stop: a queued one is cancelled at once, a running one soon."""
        with self._transaction() as connection:
            connection.execute(
                "update jobs set state = ?, finished_at = ? where id = ? and state = ?",
                (CANCELLED, _now(), job_id, QUEUED),
            )
            connection.execute("update jobs set cancel_requested = 1 where id = ?", (job_id,))

    def cancel_project(self, project_id: str) -> int:
        """Cancels every job of a project (a deleted one): queued ones at once, running ones at
        their next progress report, as `request_cancel` does.

        Returns:
            How many jobs were queued or running.
        """
        with self._transaction() as connection:
            (active,) = connection.execute(
                "select count(*) from jobs where project_id = ? and state in (?, ?)",
                (project_id, *ACTIVE_STATES),
            ).fetchone()
            connection.execute(
                "update jobs set state = ?, finished_at = ? where project_id = ? and state = ?",
                (CANCELLED, _now(), project_id, QUEUED),
            )
            connection.execute(
                "update jobs set cancel_requested = 1 where project_id = ? and state = ?",
                (project_id, RUNNING),
            )
        return active

    def release(self, worker: str) -> list[JobRecord]:
        """Puts back to "queued" the jobs a stopping worker was running, for the queue again."""
        with self._transaction() as connection:
            rows = connection.execute(
                "select id from jobs where state = ? and worker = ?", (RUNNING, worker)
            ).fetchall()
            connection.execute(
                "update jobs set state = ?, worker = null where state = ? and worker = ?",
                (QUEUED, RUNNING, worker),
            )
        return [self.get(job_id) for (job_id,) in rows]

    def queued_before(self, seconds_ago: float) -> list[JobRecord]:
        """Returns the jobs queued at least `seconds_ago` seconds ago and still queued."""
        with self._connection() as connection:
            rows = connection.execute(
                "select * from jobs where state = ? and created_at < ?",
                (QUEUED, _now() - seconds_ago),
            ).fetchall()
        return [JobRecord.from_row(row) for row in rows]

    def take_stale(self, stale_seconds: float) -> list[JobRecord]:
        """Puts back to "queued" every running job whose worker stopped beating.

        Each job is taken by one caller only (the update checks the old heartbeat), so two
        workers looking at once never both send it to the queue.

        Returns:
            The jobs put back, for the caller to send to the queue.
        """
        limit = _now() - stale_seconds
        taken = []
        with self._transaction() as connection:
            rows = connection.execute(
                "select id from jobs where state = ? and heartbeat_at < ?", (RUNNING, limit)
            ).fetchall()
            for (job_id,) in rows:
                connection.execute(
                    "update jobs set state = ?, worker = null where id = ?", (QUEUED, job_id)
                )
                taken.append(job_id)
        return [self.get(job_id) for job_id in taken]


def _insert(connection, kind, project_id, owner, payload, priority: float | None) -> str:
    """Inserts a queued job and returns its id.

    With no priority given, the job is queued one step lower per job of the owner's queued or
    running (shared kinds left out), and `URGENT_KINDS` `URGENT_PRIORITY` higher.
    """
    if priority is None:
        shared = ", ".join("?" for _ in SHARED_KINDS)
        (owner_jobs,) = connection.execute(
            f"select count(*) from jobs where owner = ? and state in (?, ?) "
            f"and kind not in ({shared})",
            (owner, *ACTIVE_STATES, *SHARED_KINDS),
        ).fetchone()
        priority = -owner_jobs + (URGENT_PRIORITY if kind in URGENT_KINDS else 0)
    job_id = uuid.uuid4().hex
    connection.execute(
        "insert into jobs (id, kind, project_id, owner, state, priority, payload, "
        "created_at) values (?, ?, ?, ?, ?, ?, ?, ?)",
        (job_id, kind, project_id, owner, QUEUED, priority, json.dumps(payload), _now()),
    )
    return job_id


def _now() -> float:
    return time.time()
