"""Predictions of many photos at once, run by a worker: the photos in, the answers out, as files.

The Predict page saves the photos of a large batch into the workspace (`save_photos`, a folder
of the jobs' folder every web server and worker shares) and queues a job
(`jobs.queue.KIND_BATCH_PREDICTION`); a worker loads the project's model, predicts the photos
`CHUNK` at a time, reporting after each chunk (`run_batch`), and writes the answers beside
the photos (`ANSWERS_FILE`). Any web server reads them back (`load_answers`). A project keeps
only its latest batch (`keep_only`).
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from tlcore import errors, files
from tlcore.jobs import records
from tlcore.nets import prediction

BATCHES_FOLDER = "batches"
NAMES_FILE = "names.json"
ANSWERS_FILE = "answers.json"
# Photos predicted between two progress reports (and two looks at Cancel).
CHUNK = 32


def project_folder(workspace_root, project_id: str) -> Path:
    """Where a project's batches are kept."""
    return Path(workspace_root) / records.JOBS_FOLDER / BATCHES_FOLDER / project_id


def batch_folder(workspace_root, project_id: str, batch_id: str) -> Path:
    """Where one batch's photos and answers are kept."""
    return project_folder(workspace_root, project_id) / batch_id


def save_photos(workspace_root, project_id: str, photos: Sequence[tuple[str, bytes]]) -> str:
    """Saves a batch's photos (name, bytes) for a worker.

    Returns:
        The batch's id.

    Raises:
        DiskFullError: The disk has no room; nothing of the batch is left behind.
    """
    batch_id = uuid.uuid4().hex
    folder = batch_folder(workspace_root, project_id, batch_id)
    try:
        for index, (_, data) in enumerate(photos):
            files.write_atomically(folder / f"{index:06d}", data, "the photos", durable=False)
        names = json.dumps([name for name, _ in photos]).encode()
        files.write_atomically(folder / NAMES_FILE, names, "the photos")
    except errors.DiskFullError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return batch_id


def keep_only(workspace_root, project_id: str, batch_id: str | None) -> None:
    """Removes the project's batches other than `batch_id` (all of them when None)."""
    batches = project_folder(workspace_root, project_id)
    if not batches.is_dir():
        return
    for folder in batches.iterdir():
        if folder.name != batch_id:
            shutil.rmtree(folder, ignore_errors=True)


def run_batch(
    project, batch_id: str, on_progress: Callable[[str, int, int, str], None], **options
) -> int:
    """Predicts a saved batch with the project's model and writes the answers beside it.

    Args:
        project: The `store.Project`, trained.
        batch_id: The batch (`save_photos`).
        on_progress: Called with ("predicting", photos done, photos in all, words) after each
            chunk, as a data check reports (`jobs.data_checks.ProgressCallback`); may raise to stop.
        **options: `test_time_augmentation`, as `nets.prediction.predict` takes it.

    Returns:
        How many photos were predicted.

    Raises:
        TlcoreError: The project has no model any more, or the batch is gone.
    """
    folder = batch_folder(project.workspace.root, project.id, batch_id)
    try:
        names = json.loads((folder / NAMES_FILE).read_text())
    except (OSError, ValueError) as error:
        raise errors.WorkspaceError(
            "The photos of this batch are no longer on the server; add them again."
        ) from error
    trained = project.load_trained()
    if trained is None:
        raise errors.WorkspaceError("The project has no trained model any more; train it first.")
    answers = []
    total = len(names)
    on_progress("predicting", 0, total, f"Looking at the photos: 0 of {total:,}")
    for start in range(0, len(names), CHUNK):
        chunk = names[start : start + CHUNK]
        answers += prediction.predict(
            trained,
            [folder / f"{index:06d}" for index in range(start, start + len(chunk))],
            top_k=min(3, len(trained.class_names)),
            file_names=chunk,
            test_time_augmentation=options.get("test_time_augmentation"),
        )
        words = f"Looking at the photos: {len(answers):,} of {total:,}"
        on_progress("predicting", len(answers), total, words)
    document = json.dumps([answer.as_record() for answer in answers]).encode()
    files.write_atomically(folder / ANSWERS_FILE, document, "the answers")
    return len(answers)


def load_answers(workspace_root, project_id: str, batch_id: str) -> list | None:
    """The batch's answers as `nets.prediction.Prediction`s, or None when there are none (yet)."""
    path = batch_folder(workspace_root, project_id, batch_id) / ANSWERS_FILE
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return [prediction.Prediction.from_record(answer) for answer in saved]
