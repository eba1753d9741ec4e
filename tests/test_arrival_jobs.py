"""New photos embedded by a real worker, a chunk a job, behind every training or correction."""

import pytest
from app_fixtures import (  # noqa: F401
    FAST_PAGE_TIMEOUT,
    app_workspace_fixture,
    grocery_photos,
    open_page,
    texts,
)
from job_fixtures import WorkerProcess, queue_training, small_project, wait_for

from tlcore import store
from tlcore.features import embeddings
from tlcore.jobs import arrivals, queue, records

EMBEDDING = queue.KIND_PHOTO_EMBEDDING
OWNER = "owner-of-the-arrival-jobs-tests"


def queue_embedding(root, project) -> records.JobRecord:
    config = queue.QueueConfig(root)
    return arrivals.queue_embedding(config, queue.make_queue(config), project)


def test_one_embedding_is_queued_per_project_and_it_blocks_no_training(tmp_path):
    root = tmp_path / "workspace"
    project = store.Workspace(root).create_project("Arrivals", OWNER)
    first = queue_embedding(root, project)
    assert queue_embedding(root, project).id == first.id  # Coalesced, not one per photo.
    assert first.priority == arrivals.BACKGROUND_PRIORITY
    # A training is queued beside it, at the owner's first place: the embedding is not counted.
    training = queue_training(root, project, epochs=1)
    assert training.priority == 0
    with pytest.raises(store.WorkspaceError, match="training already"):
        queue_training(root, project, epochs=1)
    other = store.Workspace(root).create_project("Other", OWNER)
    assert queue_embedding(root, other).id != first.id
    waiting = {task.args[0] for task in queue.make_queue(queue.QueueConfig(root)).huey.pending()}
    assert waiting == {first.id, training.id, queue_embedding(root, other).id}


def test_progress_words_say_how_many_are_done():
    assert arrivals.progress_words(16, 40) == "Getting 40 new photos ready: 16 done"
    assert "in a moment" in arrivals.progress_words(0, 0)


def chunks_of(store_, project) -> list[records.JobRecord]:
    return sorted(store_.for_project(project.id, EMBEDDING), key=lambda record: record.created_at)


@pytest.mark.slow
def test_a_worker_embeds_new_photos_in_chunks_and_a_training_waits_one_chunk_at_most(
    tmp_path, engine_environment
):
    root = tmp_path / "workspace"
    project = small_project(root)  # 3 classes of 8 photos, then 24 more: two chunks.
    for class_name in project.class_names:
        project.add_photos(class_name, grocery_photos(class_name, 16)[8:])
    jobs = queue.QueueConfig(root).store()
    queue_embedding(root, project)
    worker = WorkerProcess(root, tmp_path / "worker.log")
    try:
        running = wait_for(
            lambda: [record for record in chunks_of(jobs, project) if record.state == "running"],
            180,
            "the first chunk to start",
            poll=0.05,
        )
        training = queue_training(root, project, epochs=1)
        started = wait_for(
            lambda: jobs.get(training.id).started_at, 180, "the training to start", poll=0.05
        )
        jobs.request_cancel(training.id)  # Its start is what is measured here.
        wait_for(lambda: not jobs.get(training.id).is_active, 120, "the training to stop")
        wait_for(lambda: not chunks_of(jobs, project)[-1].is_active, 180, "the last chunk to end")
    finally:
        worker.stop()
    chunks = chunks_of(jobs, project)
    assert all(chunk.state == "finished" for chunk in chunks), worker.log_tail()
    # Chunks started after the training was queued and before it started: one at most.
    between = [
        chunk
        for chunk in chunks
        if chunk.started_at and training.created_at <= chunk.started_at <= started
    ]
    assert len(between) <= 1, [(chunk.started_at, chunk.result) for chunk in chunks]
    # It was queued while the first chunk ran, and went ahead of the second.
    assert chunks[0].finished_at >= training.created_at
    assert len(chunks) == 2 and chunks[1].started_at >= started
    assert running[0].id == chunks[0].id
    assert max(chunk.result["embedded"] for chunk in chunks) <= arrivals.PHOTOS_PER_CHUNK
    cache = embeddings.EmbeddingCache(store.Workspace(root).embedding_cache_dir)
    project = store.Workspace(root).open_project(project.id)
    assert arrivals.missing_photos(project, cache) == []
    assert chunks[0].progress["total"] == 48


def test_collect_shows_the_words_of_a_failed_embedding(app_workspace, monkeypatch):
    monkeypatch.setenv("TLCORE_WORKERS", "0")
    project = store.Workspace(app_workspace).create_project("Arrivals", OWNER)
    project.add_class("Apple")
    record = queue_embedding(app_workspace, project)
    app = open_page(project, "pages/1_Collect.py", timeout=FAST_PAGE_TIMEOUT)
    assert not app.exception
    assert "made ready to train in a moment" in app.get("progress")[0].proto.text
    jobs = queue.QueueConfig(app_workspace).store()
    jobs.finish(record.id, records.FAILED, "The disk of the server is full.")
    app.run()
    assert "The disk of the server is full." in texts(app.warning)
    assert "Training will look at them itself" in texts(app.warning)
