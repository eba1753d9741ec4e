"""Runs one job in a worker: claims its record, does the work, and records how it ended.

A training job trains the project's photos with the settings it was queued with, reporting
each step to the job's record (the Train page of any server draws the bar and the live chart
from it), and saves the model into the project. While it runs, a heartbeat thread keeps the
record's `heartbeat_at` moving; if the worker dies, the heartbeat stops and another worker
sends the job again (`jobs.queue.requeue_stale`). A job started `MAX_ATTEMPTS` times without
ending is failed instead, with words, since whatever kills its worker (most often the memory
running out) would kill the next one too.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import math
import threading
import time

from tlcore import errors
from tlcore import store as project_store
from tlcore.evaluation import testing_photos
from tlcore.jobs import (
    arrivals,
    batch_predictions,
    data_checks,
    exports,
    imports,
    model_work,
    project_removal,
    queue,
    records,
)
from tlcore.training import trainer, types

_logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 2.0
# Progress reports are written at most this often, except those that end an epoch or change
# the phase, which the live chart and the step text need.
REPORT_SECONDS = 0.5
MAX_ATTEMPTS = 3
HISTORY_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")

OUT_OF_MEMORY_MESSAGE = (
    "The training ran out of memory on the server. Your photos and your previous model are "
    "as they were. Try a smaller image size or batch size, or turn off fine-tuning, and train "
    "again."
)
CHECK_OUT_OF_MEMORY_MESSAGE = (
    "The data check ran out of memory on the server. Your photos are as they were; try again "
    "later, or tell the person who runs this server."
)
WORKER_LOST_MESSAGE = (
    "The training was started {attempts} times and each time the worker running it stopped "
    "(most often because the server ran out of memory). Your photos and your previous model "
    "are as they were. Try a smaller image size or batch size, or turn off fine-tuning."
)


class JobCancelledError(Exception):
    """Raised inside a job when someone pressed Cancel."""


class _Reporter:
    """Writes a job's progress to its record, at most every `REPORT_SECONDS` within a phase (the
    first report of a new phase always goes through); raises `JobCancelledError` when someone
    pressed Cancel.

    A training reports `types.Progress` by calling it, and its epochs' figures go to the record
    too, for the live chart; every other job reports its steps through `step`.

    Args:
        store: The jobs' table.
        job_id: The job.
    """

    def __init__(self, store: records.JobStore, job_id: str):
        self.store = store
        self.job_id = job_id
        self.history: dict[str, list[float]] = {key: [] for key in HISTORY_KEYS}
        self._last_write = 0.0
        self._last_phase = ""

    def __call__(self, progress: types.Progress) -> None:
        """Takes one report from `training.trainer.train`."""
        epoch_ended = progress.phase in ("training", "fine-tuning") and progress.epoch is not None
        if epoch_ended:
            # One value per epoch, even if a report came twice; fine-tuning's epochs count on
            # from the head's, so the live chart goes on where it ended.
            for key in HISTORY_KEYS:
                values = self.history[key][: progress.epoch - 1]
                value = getattr(progress, key)
                values.append(float(value) if value is not None else math.nan)
                self.history[key] = values
        # Every epoch's figures are written: the live chart draws each one.
        if not self._due(progress.phase, always=epoch_ended):
            return
        # NaN is not JSON: a missing figure is written as None and drawn as a gap.
        history = {
            key: [None if math.isnan(value) else value for value in values]
            for key, values in self.history.items()
        }
        self._write(dataclasses.asdict(progress), history)

    def step(self, phase: str, done: int, total: int, message: str) -> None:
        """Takes one report of a data check, a batch prediction, an embedding, an export or an
        import."""
        if self._due(phase):
            self._write({"phase": phase, "done": done, "total": total, "message": message})

    def _due(self, phase: str, always: bool = False) -> bool:
        """Tells whether a report of `phase` is to be written now (always, when `always`)."""
        now = time.monotonic()
        if not always and phase == self._last_phase and now - self._last_write < REPORT_SECONDS:
            return False
        self._last_phase, self._last_write = phase, now
        return True

    def _write(self, progress: dict, history: dict | None = None) -> None:
        if self.store.report(self.job_id, progress, history):
            raise JobCancelledError


@contextlib.contextmanager
def _heartbeat(store: records.JobStore, job_id: str, worker: str):
    """Keeps the job's heartbeat moving while the `with` block runs."""
    stopped = threading.Event()

    def beat() -> None:
        while not stopped.wait(HEARTBEAT_SECONDS):
            with contextlib.suppress(Exception):
                store.beat(job_id, worker)

    thread = threading.Thread(target=beat, name=f"heartbeat-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stopped.set()
        thread.join(timeout=HEARTBEAT_SECONDS * 2)


def is_out_of_memory(error: BaseException) -> bool:
    """Tells whether an error is the memory running out (Python's, or TensorFlow's)."""
    if isinstance(error, MemoryError):
        return True
    return type(error).__name__ == "ResourceExhaustedError" or "OOM when allocating" in str(error)


def run_job(config: queue.QueueConfig, job_id: str, worker: str) -> None:
    """Runs one job to its end, recording how it ended. Never raises for the job's failures.

    Args:
        config: The workspace, queue and database.
        job_id: The job.
        worker: This worker's name, written in the record.
    """
    store = config.store()
    record = store.claim(job_id, worker)
    if record is None:
        return  # Cancelled while queued, or run by another worker meanwhile.
    if record.attempts > MAX_ATTEMPTS:
        store.finish(job_id, records.FAILED, WORKER_LOST_MESSAGE.format(attempts=MAX_ATTEMPTS))
        return
    state, error, result = records.FAILED, None, None
    with _heartbeat(store, job_id, worker):
        try:
            if record.cancel_requested:
                raise JobCancelledError
            runner = _RUNNERS.get(record.kind, _run_training)
            result = runner(config, store, record)
            state = records.FINISHED
        except JobCancelledError:
            state = records.CANCELLED
        except errors.TlcoreError as problem:
            error = str(problem)
        except Exception as problem:  # noqa: BLE001 - a worker must record every failure.
            error = _unexpected_message(record, problem)
    state, error = project_removal.after_job(store, config.workspace_root, record, state, error)
    store.finish(job_id, state, error, result)


def _unexpected_message(record: records.JobRecord, problem: Exception) -> str:
    """Words for a failure the engine did not foresee (or the memory running out)."""
    if is_out_of_memory(problem):
        if record.kind == queue.KIND_DATA_CHECK:
            return CHECK_OUT_OF_MEMORY_MESSAGE
        return OUT_OF_MEMORY_MESSAGE
    _logger.exception("Job %s (%s) failed.", record.id, record.kind, exc_info=problem)
    return (
        f"The {record.kind} stopped because of an unexpected problem on the server "
        f"({type(problem).__name__}). Your photos are safe; try again, and if it happens "
        "again, tell the person who runs this server."
    )


def _run_training(
    config: queue.QueueConfig, store: records.JobStore, record: records.JobRecord
) -> dict:
    """Trains the project and saves the model into it; returns the result to record."""
    space = project_store.Workspace(config.workspace_root)
    project = space.open_project(record.project_id)
    settings = types.TrainingSettings.from_dict(record.payload["settings"])
    dataset = project.to_dataset()
    # The mark tells a page that a training ran when the server stopped; a full disk must not
    # stop the training for it.
    with contextlib.suppress(errors.DiskFullError):
        project.mark_training_started()
    try:
        trained = trainer.train(
            dataset,
            settings,
            on_progress=_Reporter(store, record.id),
            cache_dir=space.embedding_cache_dir,
            # The project's test photos, if any, measure the headline; training never sees them.
            test_dataset=testing_photos.test_dataset(project),
        )
        project.save_trained(trained)
    finally:
        # A project deleted meanwhile, or a full disk, leaves nothing to clear.
        with contextlib.suppress(errors.TlcoreError, OSError):
            project.mark_training_ended()
    return {"accuracy": trained.evaluation.accuracy, "photo_count": len(dataset.photos)}


def _run_data_check(
    config: queue.QueueConfig, store: records.JobStore, record: records.JobRecord
) -> dict:
    """Checks the project's photos and saves the check into it; returns the result to record."""
    space = project_store.Workspace(config.workspace_root)
    project = space.open_project(record.project_id)
    check = data_checks.run_check(
        project, space.embedding_cache_dir, _Reporter(store, record.id).step
    )
    data_checks.save(project, check)
    return {"photo_count": len(check.report.photos)}


def _run_batch_prediction(
    config: queue.QueueConfig, store: records.JobStore, record: records.JobRecord
) -> dict:
    """Predicts a batch of photos with the project's model; the answers go beside the photos."""
    count = batch_predictions.run_batch(
        _open_project(config, record),
        record.payload["batch_id"],
        _Reporter(store, record.id).step,
        test_time_augmentation=record.payload.get("test_time_augmentation"),
    )
    return {"photo_count": count}


def _run_photo_embedding(
    config: queue.QueueConfig, store: records.JobStore, record: records.JobRecord
) -> dict:
    """Embeds one chunk of a project's new photos; the rest is queued as the next job."""
    return arrivals.run_chunk(
        config, _sending_queue(config), record, _Reporter(store, record.id).step
    )


def _run_export(
    config: queue.QueueConfig, store: records.JobStore, record: records.JobRecord
) -> dict:
    """Converts a project's model to one format, checks it, and keeps it for download."""
    return exports.run_export(config, record, _Reporter(store, record.id).step)


def _run_project_import(
    config: queue.QueueConfig, store: records.JobStore, record: records.JobRecord
) -> dict:
    """Loads a project file safely into a new project; its id is the result."""
    return imports.run_import(config, record, _Reporter(store, record.id).step)


@functools.lru_cache(maxsize=4)
def _sending_queue(config: queue.QueueConfig) -> queue.JobQueue:
    """The queue a job sends follow-on jobs to, opened once per worker."""
    return queue.make_queue(config)


def _open_project(config: queue.QueueConfig, record: records.JobRecord):
    """The project a job is about, opened by the engine (the worker checks no owner)."""
    return project_store.Workspace(config.workspace_root).open_project(record.project_id)


def _run_teach(
    config: queue.QueueConfig, store: records.JobStore, record: records.JobRecord
) -> dict:
    """Learns a correction: the head retrained from cached features and saved
    (`jobs.model_work`)."""
    return model_work.teach(
        _open_project(config, record), record.payload, _Reporter(store, record.id)
    )


def _run_explanation(
    config: queue.QueueConfig, store: records.JobStore, record: records.JobRecord
) -> dict:
    """Makes a heat map of what the project's model looked at in a photo (`jobs.model_work`)."""
    return model_work.explain(_open_project(config, record), record.payload)


def _run_model_preparation(
    config: queue.QueueConfig, store: records.JobStore, record: records.JobRecord
) -> dict:
    """Writes the ONNX form into a project file saved before it had one (`jobs.model_work`)."""
    return model_work.make_onnx_form(_open_project(config, record))


# What each kind of job runs; a kind not listed is a training (records of older versions).
_RUNNERS = {
    queue.KIND_TRAINING: _run_training,
    queue.KIND_DATA_CHECK: _run_data_check,
    queue.KIND_BATCH_PREDICTION: _run_batch_prediction,
    queue.KIND_PHOTO_EMBEDDING: _run_photo_embedding,
    queue.KIND_EXPORT: _run_export,
    queue.KIND_PROJECT_IMPORT: _run_project_import,
    queue.KIND_TEACH: _run_teach,
    queue.KIND_EXPLANATION: _run_explanation,
    queue.KIND_MODEL_PREPARATION: _run_model_preparation,
}
