"""A project deleted with everything the workspace keeps for it, and its jobs cancelled.

`Workspace.delete_project` removes a project's rows and its folder. The work tier keeps more
for a project outside that folder: its exports (`jobs.exports.project_folder`), its heat maps
(`jobs.explanation_files.folder_of`) and its batches of photos and answers
(`jobs.batch_predictions.project_folder`), and its jobs' records. This module is the one place that
knows them all, through each module's own path function: `delete_project` removes the
project, cancels its jobs (queued ones at once, running ones at their next progress report)
and removes those folders. A job that was already writing when the project went may write one
file more; the worker removes it again when the job ends (`after_job`). No TensorFlow here.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tlcore import store as project_store
from tlcore.jobs import batch_predictions, explanation_files, exports
from tlcore.jobs import records as job_records
from tlcore.store import project_rows, records

#: What a job of a deleted project records when it ended otherwise than cancelled.
DELETED_MESSAGE = "The project was deleted, so this {kind} was stopped and nothing of it was kept."


def kept_folders(root: str | os.PathLike, project_id: str) -> list[Path]:
    """The folders the work tier keeps for a project outside the project's own folder."""
    return [
        exports.project_folder(root, project_id),
        explanation_files.folder_of(root, project_id),
        batch_predictions.project_folder(root, project_id),
    ]


def remove_kept_files(root: str | os.PathLike, project_id: str) -> None:
    """Removes a project's exports, heat maps and batches (nothing if there are none)."""
    for folder in kept_folders(root, project_id):
        shutil.rmtree(folder, ignore_errors=True)


def delete_project(
    space: project_store.Workspace, project_id: str, *, owner: str | None = None
) -> int:
    """Deletes a project, cancels its jobs and removes everything kept for it.

    Args:
        space: The workspace.
        project_id: The project's id.
        owner: The caller's owner token, checked to be the project's; None for the engine's
            own calls.

    Returns:
        How many of its jobs were queued or running (now cancelled).

    Raises:
        WorkspaceError: If the project does not exist.
        AccessError: If `owner` is given and the project is not theirs.
        JobError: The jobs' records cannot be written (the project is deleted all the same).
    """
    space.delete_project(project_id, owner=owner)
    # The files first: they are gone even if the jobs' table cannot be written.
    remove_kept_files(space.root, project_id)
    return job_records.JobStore(space.root).cancel_project(project_id)


def is_deleted(database, project_id: str) -> bool:
    """Whether a project has no rows (any more) in the workspace's database."""
    with database.connection() as connection:
        return project_rows.summary(connection, project_id) is None


def after_job(
    store: job_records.JobStore,
    root: str | os.PathLike,
    record: job_records.JobRecord,
    state: str,
    error: str | None,
) -> tuple[str, str | None]:
    """Tidies after a job whose project was deleted meanwhile, and says how it ended.

    Removes whatever the job wrote after the deletion (a data check saved into the project's
    folder brings the folder back), and words its end as the deletion rather than the failure
    the missing project caused ("the project was not found").

    Args:
        store: The jobs' table, in the workspace's database.
        root: The workspace folder.
        record: The job, as claimed.
        state: How it ended, as the worker saw it.
        error: Its error in words, if it failed.

    Returns:
        The state and the error to record.
    """
    if not records.is_project_id(record.project_id):
        return state, error  # A project file being imported: it has no project yet.
    if not is_deleted(store.database, record.project_id):
        return state, error
    remove_kept_files(root, record.project_id)
    # Ids are random and never given twice, so a folder of an id without rows is a leftover.
    shutil.rmtree(Path(root) / record.project_id, ignore_errors=True)
    if state == job_records.FAILED:
        return state, DELETED_MESSAGE.format(kind=record.kind)
    return state, error
