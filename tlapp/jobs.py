"""Trainings that run in the background, one per project, and survive moving between pages.

A training started from the Train page runs in its own thread, not in the page's script run:
Streamlit stops a script run as soon as the person clicks anything or opens another page, and
a training inside it would be lost. The thread reports to a `TrainingJob`, which any page of
any session can read to draw the progress bar and the live chart, and it saves the trained
model into the project when it finishes. Jobs live in this process: a restarted server
forgets a running training, but never a finished one, which is on disk. The project records
when a training starts and ends, so after a restart the Train page can say that the training
was interrupted, instead of showing nothing.
"""

import contextlib
import dataclasses
import logging
import threading
import time

from tlcore import datasets, errors, store, test_photos, training, training_types

_logger = logging.getLogger(__name__)

_jobs: dict[str, "TrainingJob"] = {}
_jobs_lock = threading.Lock()


@dataclasses.dataclass
class TrainingJob:
    """One training of one project, and what is known of it so far.

    Args:
        project_id: The project being trained.
        settings: The training settings.
        photo_count: How many photos it trains on.
        started_at: When it started, as `time.time()`.
    """

    project_id: str
    settings: training_types.TrainingSettings
    photo_count: int
    started_at: float = dataclasses.field(default_factory=time.time)
    progress: training_types.Progress = dataclasses.field(
        default_factory=lambda: training_types.Progress(phase="waiting", queue_position=None)
    )
    history: dict[str, list[float]] = dataclasses.field(
        default_factory=lambda: {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
    )
    state: str = "running"
    error: str | None = None
    accuracy: float | None = None
    finished_at: float | None = None
    _done: threading.Event = dataclasses.field(default_factory=threading.Event, repr=False)
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock, repr=False)

    @property
    def is_running(self) -> bool:
        """Whether the training is still going (waiting, embedding or learning)."""
        return self.state == "running"

    def snapshot(self) -> tuple[training_types.Progress, dict[str, list[float]]]:
        """Returns the latest progress and a copy of the history, consistent with each other."""
        with self._lock:
            return self.progress, {key: list(values) for key, values in self.history.items()}

    def wait(self, timeout: float | None = None) -> bool:
        """Waits for the training to end.

        Args:
            timeout: The most seconds to wait; None waits as long as it takes.

        Returns:
            Whether it has ended.
        """
        return self._done.wait(timeout)

    def report(self, progress: training_types.Progress) -> None:
        """Takes one progress report from `tlcore.training.train`.

        Args:
            progress: The report.
        """
        with self._lock:
            self.progress = progress
            if progress.phase in ("training", "fine-tuning") and progress.epoch is not None:
                # Keep one value per epoch, even if a report were to come twice. Fine-tuning's
                # epochs count on from the head's, so the live chart goes on where it ended.
                for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
                    values = self.history[key][: progress.epoch - 1]
                    value = getattr(progress, key)
                    values.append(float(value) if value is not None else float("nan"))
                    self.history[key] = values

    def _finish(self, state: str, error: str | None = None, accuracy: float | None = None):
        with self._lock:
            self.state = state
            self.error = error
            self.accuracy = accuracy
            self.finished_at = time.time()
        self._done.set()


def get_job(project_id: str) -> TrainingJob | None:
    """Returns the last training job of a project in this server process, or None.

    Args:
        project_id: The project's id.

    Returns:
        The running or last finished job.
    """
    with _jobs_lock:
        return _jobs.get(project_id)


def forget_job(project_id: str) -> None:
    """Forgets a finished job, so that its result is no longer announced.

    Args:
        project_id: The project's id.
    """
    with _jobs_lock:
        job = _jobs.get(project_id)
        if job is not None and not job.is_running:
            del _jobs[project_id]


def start_training(
    project: store.Project, settings: training_types.TrainingSettings
) -> TrainingJob:
    """Checks the project's photos and the settings, then starts training in the background.

    Args:
        project: The project to train; the model is saved into it when training ends.
        settings: The training settings.

    Returns:
        The new job.

    Raises:
        DatasetError: The project has fewer than two classes or too few photos in a class.
        SettingsError: A setting is out of range.
        WorkspaceError: The project is training already.
    """
    settings.validate()
    dataset = project.to_dataset()
    datasets.check_trainable(dataset)
    with _jobs_lock:
        existing = _jobs.get(project.id)
        if existing is not None and existing.is_running:
            raise store.WorkspaceError(
                "This project is training already (perhaps from another tab). Wait for it to "
                "finish; its progress is shown on the Train page."
            )
        job = TrainingJob(project_id=project.id, settings=settings, photo_count=len(dataset.photos))
        _jobs[project.id] = job
    # The record only serves to tell of a restart later; a full disk must not stop the training.
    with contextlib.suppress(store.DiskFullError):
        project.mark_training_started()
    thread = threading.Thread(
        target=_run,
        args=(job, project, dataset),
        name=f"training-{project.id}",
        daemon=True,
    )
    thread.start()
    return job


def _run(job: TrainingJob, project: store.Project, dataset: datasets.Dataset) -> None:
    """The body of a training thread: train, save, and record how it ended."""
    state, error, accuracy = "failed", None, None
    try:
        state, error, accuracy = _train_and_save(job, project, dataset)
    finally:
        # The project's record is cleared before the job ends, so that no page ever sees an
        # ended job next to a training still recorded as started. A project deleted meanwhile,
        # or a full disk, leaves nothing to clear.
        with contextlib.suppress(errors.TlcoreError, OSError):
            project.mark_training_ended()
        job._finish(state, error=error, accuracy=accuracy)


def _train_and_save(
    job: TrainingJob, project: store.Project, dataset: datasets.Dataset
) -> tuple[str, str | None, float | None]:
    """Trains and saves the model into the project.

    Returns:
        How it ended ("finished" or "failed"), the message of a failure, and the accuracy.
    """
    try:
        trained = training.train(
            dataset,
            job.settings,
            on_progress=job.report,
            cache_dir=project.workspace.embedding_cache_dir,
            # The project's test photos, if any, measure the headline; training never sees them.
            test_dataset=test_photos.test_dataset(project),
        )
        project.save_trained(trained)
    except errors.TlcoreError as error:
        return "failed", str(error), None
    except Exception as error:  # noqa: BLE001 - a thread must record every failure.
        _logger.exception("Training of project %s failed.", job.project_id)
        return (
            "failed",
            "The training stopped because of an unexpected problem on the server "
            f"({type(error).__name__}). Your photos are safe; try again, and if it happens "
            "again, tell the person who runs this server.",
            None,
        )
    return "finished", None, trained.evaluation.accuracy


def forget_interrupted_training(project: store.Project) -> bool:
    """Tells whether the project's last training was cut short by a server restart.

    A training started by a server process that has since stopped (killed, restarted) left its
    start recorded in the project, and this process has no job for it. The record is cleared,
    so the news is told once.

    Args:
        project: The project.

    Returns:
        Whether such a training was found.
    """
    if get_job(project.id) is not None or not project.training_interrupted:
        return False
    with contextlib.suppress(errors.TlcoreError, OSError):
        project.mark_training_ended()
    return True
