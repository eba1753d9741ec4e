"""A trained model's exports made by the workers and kept in the workspace for every server.

The Export page queues an export (`queue_export`, a job of kind `jobs.queue.KIND_EXPORT`) for
one project, one model and one format of `FORMATS`. A worker runs it (`run_export`): it loads
the project's model, converts it, checks the conversion on the project's own photos against
the Keras model (`tlcore.serving.export`), and writes the file and its check's words into the
workspace (`<workspace>/.exports/<project>/<model>-<format>`), atomically, the file first and
its words last, so a file is offered only once whole and checked. The model is named by its
file's stamp (`model_stamp`): a new training makes new exports, and the project's older ones
are removed. A second request for the same model and format finds the file (`prepared`).

This module imports no TensorFlow (the worker's conversion does): web servers import it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from tlcore import files
from tlcore import store as project_store
from tlcore.jobs import queue as job_queue
from tlcore.jobs import records
from tlcore.serving import export, project_file

# The workspace's folder of exports; its name starts with a dot, so it is never a project.
EXPORTS_FOLDER = ".exports"
CHECK_SUFFIX = ".check.json"

# What an export reports, as (phase, done, total, words for people).
ProgressCallback = Callable[[str, int, int, str], None]


@dataclasses.dataclass(frozen=True)
class ExportFormat:
    """One format a model can be exported to.

    Args:
        key: The format's name in jobs, files and widget keys.
        title: Its name for people.
        kind: The kind of file, for people.
        description: What it is for.
        extension: The downloaded file's extension.
        mime: The download's MIME type.
    """

    key: str
    title: str
    kind: str
    description: str
    extension: str
    mime: str


FORMATS = (
    ExportFormat(
        "tflite-float",
        "TensorFlow Lite",
        ".tflite",
        "For Android and iOS apps and small devices. The same answers as the Keras model.",
        "tflite",
        "application/octet-stream",
    ),
    ExportFormat(
        "tflite-int8",
        "TensorFlow Lite, small",
        "int8 .tflite",
        "A quarter of the size and faster on phones: its numbers are 8-bit, tuned on your "
        "own photos. Nearly always the same answers.",
        "int8.tflite",
        "application/octet-stream",
    ),
    ExportFormat(
        "saved-model",
        "TensorFlow SavedModel",
        "a folder in a .zip",
        "For TensorFlow Serving and TensorFlow.js's converter: a folder, zipped. Its `serve` "
        "function takes the same pixels as the Keras model.",
        "saved_model.zip",
        "application/zip",
    ),
    ExportFormat(
        "onnx",
        "ONNX",
        ".onnx",
        "For ONNX Runtime on servers, phones and in browsers (onnxruntime-web). The same "
        "answers as the Keras model; input `pixels`, output `probabilities`.",
        "onnx",
        "application/octet-stream",
    ),
)
FORMAT_KEYS = tuple(item.key for item in FORMATS)


@dataclasses.dataclass(frozen=True)
class PreparedExport:
    """An export written by a worker, ready to download.

    Args:
        path: The file.
        summary: One sentence about its check.
    """

    path: Path
    summary: str


def model_stamp(project: project_store.Project) -> str | None:
    """Names the project's model file as it is now (changed by every training), or None."""
    try:
        stat = project.model_path.stat()
    except FileNotFoundError:
        return None
    return f"{stat.st_mtime_ns:x}-{stat.st_size:x}"


def project_folder(root: str | os.PathLike, project_id: str) -> Path:
    """Where a project's exports are kept."""
    return Path(root) / EXPORTS_FOLDER / project_id


def export_path(root: str | os.PathLike, project_id: str, stamp: str, format_key: str) -> Path:
    """Where the export of one model of a project in one format is kept."""
    return project_folder(root, project_id) / f"{stamp}-{format_key}"


def prepared(
    root: str | os.PathLike, project_id: str, stamp: str, format_key: str
) -> PreparedExport | None:
    """The export of this model in this format, if a worker wrote it whole, else None."""
    path = export_path(root, project_id, stamp, format_key)
    check = path.with_name(path.name + CHECK_SUFFIX)
    try:
        summary = files.read_json(check)["summary"]
    except (OSError, ValueError, KeyError):
        return None
    return PreparedExport(path, str(summary)) if path.is_file() else None


def check_photos(project: project_store.Project) -> list[str]:
    """The project's photos that tune (int8) and check a conversion, spread over its classes."""
    by_class: dict[str, list[str]] = {}
    for photo in project.to_dataset().photos:
        by_class.setdefault(photo.class_name, []).append(str(photo.path))
    return export.sample_photos(by_class, export.REPRESENTATIVE_PHOTOS)


def queue_export(
    config: job_queue.QueueConfig,
    queue: job_queue.JobQueue,
    project: project_store.Project,
    format_key: str,
    folder_name: str,
) -> records.JobRecord:
    """Queues the export of the project's model in one format (or finds it queued).

    Args:
        config: Where the queue and the records are.
        queue: The open queue.
        project: The trained project.
        format_key: One of `FORMAT_KEYS`.
        folder_name: The name of the SavedModel's folder inside its zip.

    Raises:
        ExportError: The project has no model, or the format is unknown.
        JobError: The queue or the jobs' table cannot be written.
    """
    stamp = model_stamp(project)
    if stamp is None:
        raise export.ExportError("Train a model first; then it can be exported.")
    if format_key not in FORMAT_KEYS:
        raise export.ExportError(f"There is no export format called {format_key!r}.")
    payload = {"format": format_key, "stamp": stamp, "folder_name": folder_name}
    same = {"format": format_key, "stamp": stamp}
    return job_queue.submit_shared(
        config, queue, job_queue.KIND_EXPORT, (project.id, project.owner), payload, same
    )


def run_export(
    config: job_queue.QueueConfig, record: records.JobRecord, on_progress: ProgressCallback
) -> dict:
    """Converts, checks and writes one export (a worker's job); nothing if it is there.

    Raises:
        ExportError: The model changed since the export was asked for, or the conversion
            failed or did not give the Keras model's answers.
    """
    format_key, stamp = record.payload["format"], record.payload["stamp"]
    root = config.workspace_root
    if prepared(root, record.project_id, stamp, format_key) is not None:
        return {"reused": True}
    project = project_store.Workspace(root).open_project(record.project_id)
    if model_stamp(project) != stamp:
        raise export.ExportError(
            "The model was trained again since this export was asked for. Press Prepare again "
            "to export the new model."
        )
    on_progress("loading", 0, 3, "Loading the model…")
    trained = project_file.load_project(project.model_path)
    on_progress("converting", 1, 3, "Converting, then checking it on your photos…")
    data, check = _convert(trained, format_key, check_photos(project), record.payload)
    on_progress("writing", 2, 3, "Keeping it for download…")
    _remove_older_exports(root, record.project_id, stamp)
    path = export_path(root, record.project_id, stamp, format_key)
    files.write_atomically(path, data, what="the exported model")
    files.write_json(path.with_name(path.name + CHECK_SUFFIX), {"summary": check.summary})
    on_progress("done", 3, 3, "Ready to download.")
    return {"bytes": len(data)}


def _convert(trained, format_key: str, photos: list[str], payload: dict):
    """The file's bytes in one format, and its check."""
    if format_key == "saved-model":
        folder_name = str(payload.get("folder_name") or "saved_model")
        return export.saved_model_zip(trained, photos, folder_name=folder_name)
    if format_key == "onnx":
        return export.onnx_export_bytes(trained, photos)
    return export.tflite_export_bytes(trained, format_key.removeprefix("tflite-"), photos)


def _remove_older_exports(root: Path, project_id: str, stamp: str) -> None:
    """Removes the project's exports of models it no longer has (a training made a new one)."""
    folder = project_folder(root, project_id)
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if not path.name.startswith(f"{stamp}-"):
            with contextlib.suppress(OSError):
                shutil.rmtree(path) if path.is_dir() else path.unlink()
