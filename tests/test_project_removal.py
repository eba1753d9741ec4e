"""Deleting a project removes what the work tier kept for it, and its jobs end in words."""

import pytest
from app_fixtures import tiny_photo

from tlcore import files, store
from tlcore.jobs import (
    batch_predictions,
    explanation_files,
    exports,
    project_removal,
    queue,
    records,
    runner,
)
from tlcore.store import access

OWNER = "owner-of-the-removal-tests"


def keep_files_for(root, project_id: str) -> list:
    """Writes an export, a heat map and a batch for a project, through the modules' own paths."""
    export = exports.export_path(root, project_id, "stamp", "onnx")
    files.write_atomically(export, b"model", "the export")
    explanation_files.write(root, project_id, "key", b"jpeg", {"predicted_class": "A"})
    batch_predictions.save_photos(root, project_id, [("photo.jpg", tiny_photo((200, 0, 0)))])
    return project_removal.kept_folders(root, project_id)


def test_deleting_a_project_removes_its_files_and_cancels_its_jobs(tmp_path):
    space = store.Workspace(tmp_path)
    doomed = space.create_project("Doomed", OWNER)
    kept = space.create_project("Kept", OWNER)
    doomed_folders = keep_files_for(tmp_path, doomed.id)
    kept_folders = keep_files_for(tmp_path, kept.id)
    assert all(folder.is_dir() for folder in doomed_folders + kept_folders)
    jobs = records.JobStore(tmp_path)
    running = jobs.create(queue.KIND_TRAINING, doomed.id, OWNER, {})
    jobs.claim(running.id, "worker-1")
    waiting_export, _ = jobs.create_shared(queue.KIND_EXPORT, doomed.id, OWNER, {}, {})
    other = jobs.create(queue.KIND_TRAINING, kept.id, OWNER, {})

    # Nobody but the owner deletes it, and a refusal removes nothing.
    with pytest.raises(access.AccessError):
        project_removal.delete_project(space, doomed.id, owner="someone-else-entirely")
    assert all(folder.is_dir() for folder in doomed_folders)

    assert project_removal.delete_project(space, doomed.id, owner=OWNER) == 2
    assert not any(folder.exists() for folder in doomed_folders)
    assert not (tmp_path / doomed.id).exists()
    assert all(folder.is_dir() for folder in kept_folders)
    assert jobs.get(waiting_export.id).state == records.CANCELLED
    # A running job stops at its next progress report (the worker records "cancelled").
    assert jobs.get(running.id).state == records.RUNNING
    assert jobs.get(running.id).cancel_requested
    assert jobs.report(running.id, {"phase": "training"})
    assert jobs.get(other.id).state == records.QUEUED
    assert not jobs.get(other.id).cancel_requested
    assert [project.id for project in space.list_projects(OWNER)] == [kept.id]


@pytest.mark.parametrize(
    ("kind", "payload"),
    [
        (queue.KIND_TRAINING, {"settings": {}}),
        (queue.KIND_DATA_CHECK, {}),
        (queue.KIND_BATCH_PREDICTION, {"batch_id": "gone"}),
        (queue.KIND_EXPORT, {"format": "onnx", "stamp": "stamp"}),
        (queue.KIND_EXPLANATION, {}),
        (queue.KIND_TEACH, {}),
        (queue.KIND_MODEL_PREPARATION, {}),
        (queue.KIND_PHOTO_EMBEDDING, {}),
    ],
)
def test_a_job_whose_project_is_gone_ends_in_words_and_leaves_nothing(tmp_path, kind, payload):
    space = store.Workspace(tmp_path)
    project = space.create_project("Deleted meanwhile", OWNER)
    jobs = records.JobStore(tmp_path)
    record = jobs.create(kind, project.id, OWNER, payload)
    # The bare store's deletion (no cancelling), as a job a worker took just before sees it.
    space.delete_project(project.id)
    # What a job writing as the project went would leave behind.
    leftovers = keep_files_for(tmp_path, project.id)

    runner.run_job(queue.QueueConfig(tmp_path), record.id, "worker-1")

    ended = jobs.get(record.id)
    assert ended.state == records.FAILED
    assert ended.error == project_removal.DELETED_MESSAGE.format(kind=kind)
    assert "Traceback" not in ended.error
    assert not any(folder.exists() for folder in leftovers)
    assert not (tmp_path / project.id).exists()


def test_a_job_of_a_project_still_there_keeps_its_own_words(tmp_path):
    space = store.Workspace(tmp_path)
    project = space.create_project("Still here", OWNER)
    jobs = records.JobStore(tmp_path)
    record = jobs.create(queue.KIND_BATCH_PREDICTION, project.id, OWNER, {"batch_id": "x"})
    runner.run_job(queue.QueueConfig(tmp_path), record.id, "worker-1")
    ended = jobs.get(record.id)
    assert ended.state == records.FAILED
    assert "no longer on the server" in ended.error
    assert (tmp_path / project.id).is_dir()
