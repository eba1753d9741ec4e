"""Trainings as jobs: queued by the Train page, run by a worker, shown from the job's record.

The Train page queues a training (`start_training`); a worker process (`tlcore.jobs.worker`)
runs it and saves the model into the project. The web server keeps nothing of it in memory:
everything a page shows (place in the queue, phase, the live chart's figures, how it ended)
is read from the job's record (`tlcore.jobs.records`), which every web server and worker of
the workspace shares. So a reloaded page, another tab, another web server, or the same one
restarted shows the same training.
"""

import contextlib
import dataclasses
import math
import time
from collections.abc import Collection

from tlapp.jobs import workers
from tlcore import errors
from tlcore import store as project_store
from tlcore.data import datasets
from tlcore.jobs import queue, records
from tlcore.training import types

# How often `TrainingJob.wait` reads the record again.
POLL_SECONDS = 0.2


@dataclasses.dataclass
class TrainingJob:
    """One training of one project, as its record says at the last read.

    Args:
        record: The job's record.
        store: The jobs' table it is read from.
        queue_position: Its place in the queue (1 means next) while queued, else None.
        others_running: How many jobs of other projects run at the moment.
    """

    record: records.JobRecord
    store: records.JobStore
    queue_position: int | None = None
    others_running: int = 0

    @property
    def id(self) -> str:
        """The job's id."""
        return self.record.id

    @property
    def state(self) -> str:
        """ "queued", "running", "finished", "failed" or "cancelled"."""
        return self.record.state

    @property
    def error(self) -> str | None:
        """Why it failed, in words."""
        return self.record.error

    @property
    def is_running(self) -> bool:
        """Whether the training is still going (queued, embedding or learning)."""
        return self.record.is_active

    @property
    def photo_count(self) -> int:
        """How many photos it trains on."""
        return int(self.record.payload.get("photo_count", 0))

    @property
    def progress(self) -> types.Progress:
        """The last progress report; "waiting" with the place in the queue while queued."""
        if self.record.state == records.QUEUED or not self.record.progress:
            # Behind others' trainings the page gives the place; next in line with none
            # running, the worker is about to take it ("Getting ready…").
            place = self.queue_position if self.others_running else None
            return types.Progress(phase="waiting", queue_position=place)
        return types.Progress(**self.record.progress)

    def snapshot(self) -> tuple[types.Progress, dict[str, list[float]]]:
        """Returns the latest progress and the live chart's figures (a gap is NaN)."""
        history = {
            key: [math.nan if value is None else float(value) for value in values]
            for key, values in self.record.history.items()
        }
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            history.setdefault(key, [])
        return self.progress, history

    def refresh(self) -> "TrainingJob":
        """Reads the record again, in place; returns the job."""
        self.record = self.store.get(self.record.id)
        self.queue_position = self.store.queue_position(self.record.id)
        self.others_running = self.store.count(records.RUNNING, other_than_project=self.project_id)
        return self

    @property
    def project_id(self) -> str:
        """The project being trained."""
        return self.record.project_id

    def wait(self, timeout: float | None = None) -> bool:
        """Waits for the training to end, reading its record now and then.

        Args:
            timeout: The most seconds to wait; None waits as long as it takes.

        Returns:
            Whether it has ended.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.refresh().is_running:
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(POLL_SECONDS)
        return True


def _store_and_id(project: project_store.Project | str) -> tuple[records.JobStore, str]:
    """The jobs' table of a project's workspace (this server's for a bare id), and the id."""
    if isinstance(project, project_store.Project):
        return workers.store(project.workspace.root), project.id
    return workers.store(), project


def get_job(
    project: project_store.Project | str, watched: Collection[str] = ()
) -> TrainingJob | None:
    """Returns the project's last training job, running or ended and not yet told, or None.

    Args:
        project: The project, or its id in this server's workspace.
        watched: Ids of jobs the caller showed running: their end is returned even when
            another page has told it already, so every page that watched it hears how it
            ended.

    Returns:
        The job, as its record says now.
    """
    store, project_id = _store_and_id(project)
    record = store.latest_for_project(project_id, queue.KIND_TRAINING)
    if record is None or (record.result.get("told") and record.id not in watched):
        return None
    return TrainingJob(record, store).refresh()


def forget_job(project: project_store.Project | str) -> None:
    """Marks an ended job as told, so that its result is no longer announced.

    Args:
        project: The project, or its id in this server's workspace.
    """
    store, project_id = _store_and_id(project)
    record = store.latest_for_project(project_id, queue.KIND_TRAINING)
    if record is not None and not record.is_active:
        store.finish(record.id, record.state, record.error, dict(record.result, told=True))


def ensure_workers(project: project_store.Project) -> None:
    """Starts this server's local workers for the project's workspace, unless they run."""
    workers.ensure_started(project.workspace.root)


def cancel(job: TrainingJob) -> None:
    """Asks for a training to stop: at once while queued, within a round while running."""
    job.store.request_cancel(job.id)


def others_training(project: project_store.Project) -> tuple[int, int]:
    """Returns how many trainings of other projects run, and how many wait, on the workspace.

    Trainings only: other kinds of job (new photos made ready, exports, heat maps, checks,
    batches) are short or not trainings, and the place in the queue counts them anyway once
    this project's training is queued.
    """
    store, project_id = _store_and_id(project)
    return (
        store.count(records.RUNNING, project_id, queue.KIND_TRAINING),
        store.count(records.QUEUED, project_id, queue.KIND_TRAINING),
    )


def start_training(project: project_store.Project, settings: types.TrainingSettings) -> TrainingJob:
    """Checks the project's photos and the settings, then queues the training.

    Args:
        project: The project to train; the worker saves the model into it.
        settings: The training settings.

    Returns:
        The new job.

    Raises:
        DatasetError: The project has fewer than two classes or too few photos in a class.
        SettingsError: A setting is out of range.
        JobError: The project is training already.
    """
    settings.validate()
    dataset = project.to_dataset()
    datasets.check_trainable(dataset)
    record = workers.submit(
        project,
        queue.KIND_TRAINING,
        {"settings": settings.to_dict(), "photo_count": len(dataset.photos)},
    )
    return TrainingJob(record, workers.store(project.workspace.root)).refresh()


def forget_interrupted_training(project: project_store.Project) -> bool:
    """Tells whether the project's last training was cut short with no job left to finish it.

    A training whose job is still queued or running is not interrupted: a worker runs it (again,
    if its first worker died). A start recorded in the project with no such job (a server of
    the version before jobs, or a job given up) is cleared, so the news is told once.

    Args:
        project: The project.

    Returns:
        Whether such a training was found.
    """
    if not project.training_interrupted:
        return False
    record = workers.store(project.workspace.root).latest_for_project(
        project.id, queue.KIND_TRAINING
    )
    if record is not None and record.is_active:
        return False
    with contextlib.suppress(errors.TlcoreError, OSError):
        project.mark_training_ended()
    return True
