"""A project file opened on the Export page, loaded by a worker rather than the web server.

Loading a project file safely means loading its Keras model (`serving.project_file.load_project`),
which needs TensorFlow. The web server only reads the file's entries
(`serving.project_file.read_archive`, no TensorFlow), which refuses most files that are not project
files at once, keeps the file in the workspace (`<workspace>/.jobs/imports/<id>.zip`, atomically)
and queues a job of kind `jobs.queue.KIND_PROJECT_IMPORT` (`queue_import`). A worker runs
`run_import`: it makes the project (`Workspace.import_project_file`) and records its id as the
job's result; any refusal is the job's error, in words. The kept file is removed when the job ends.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

from tlcore import errors, files
from tlcore import store as project_store
from tlcore.jobs import queue as job_queue
from tlcore.jobs import records
from tlcore.serving import project_file

IMPORTS_FOLDER = "imports"
# The job's project: the project does not exist yet, so the job is named after its file.
PROJECT_PREFIX = "import-"

# What an import reports, as (phase, done, total, words for people).
ProgressCallback = Callable[[str, int, int, str], None]


def upload_path(root: str | Path, upload_id: str) -> Path:
    """Where a project file waiting to be imported is kept."""
    return Path(root) / records.JOBS_FOLDER / IMPORTS_FOLDER / f"{upload_id}.zip"


def queue_import(
    config: job_queue.QueueConfig, queue: job_queue.JobQueue, owner: str, data: bytes, name: str
) -> records.JobRecord:
    """Checks a project file's entries, keeps it, and queues its loading by a worker.

    Args:
        config: Where the queue and the records are.
        queue: The open queue.
        owner: The browser's token: the new project is theirs.
        data: The project file's bytes.
        name: The name wanted for the project.

    Returns:
        The job.

    Raises:
        ProjectFileError: The file is not a project file (told at once).
        DiskFullError: There is no room to keep it.
        JobError: The queue or the jobs' table cannot be written.
    """
    project_file.read_archive(data)
    upload_id = uuid.uuid4().hex
    path = upload_path(config.workspace_root, upload_id)
    files.write_atomically(path, data, what="the project file")
    try:
        return job_queue.submit(
            config,
            queue,
            job_queue.KIND_PROJECT_IMPORT,
            PROJECT_PREFIX + upload_id,
            owner,
            {"upload": upload_id, "name": name},
        )
    except errors.TlcoreError:
        path.unlink(missing_ok=True)
        raise


def run_import(
    config: job_queue.QueueConfig, record: records.JobRecord, on_progress: ProgressCallback
) -> dict:
    """Loads a kept project file safely and makes a project of it (a worker's job).

    Returns:
        The new project's id, as the job's result.

    Raises:
        ProjectFileError: The file is not a project file, or would run code.
        WorkspaceError: The owner or the workspace has no room for another project.
    """
    path = upload_path(config.workspace_root, record.payload["upload"])
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise errors.ProjectFileError(
            "The project file is no longer on the server. Open it again."
        ) from None
    on_progress("loading", 0, 1, "Checking and loading the project file…")
    try:
        project = project_store.Workspace(config.workspace_root).import_project_file(
            data, record.owner, str(record.payload.get("name") or "project")
        )
    finally:
        path.unlink(missing_ok=True)
    return {"project_id": project.id}
