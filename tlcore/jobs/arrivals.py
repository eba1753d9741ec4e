"""New photos embedded by the workers, a chunk a job, so Train finds their features ready.

Every way a photo enters a project (upload, zip, camera, live recording, a correction) asks
for `queue_embedding`: one job of kind `jobs.queue.KIND_PHOTO_EMBEDDING` per project is queued
(a second request while one is queued is the same job). A worker runs it (`run_chunk`): it
puts at most `PHOTOS_PER_CHUNK` of the project's photos without cached features through the
pretrained network, into the shared feature cache (`tlcore.features.embeddings`), and, if photos are
left, queues the next chunk as a new job. Every chunk is queued at `BACKGROUND_PRIORITY`,
below every training, correction, check or export, so one of those queued meanwhile waits
for one chunk at most. The queue is durable: a restarted web server or worker loses no chunk,
and a training embeds whatever is still missing anyway.

This module imports no TensorFlow: web servers import it to queue the jobs. The worker's
network comes from `tlcore.nets.model`, imported by name in `run_chunk`, in the worker only.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from tlcore import errors, wording
from tlcore import store as project_store
from tlcore.data import datasets
from tlcore.features import embeddings
from tlcore.jobs import queue as job_queue
from tlcore.jobs import records
from tlcore.nets import backbones

# About a second of work on a 2-core CPU (ONNX Runtime, 224 pixels): the longest a correction
# or a training queued behind new photos waits.
PHOTOS_PER_CHUNK = 24
# Below every other job's priority (those are 0, or one less per job of the same owner).
BACKGROUND_PRIORITY = -1000.0

# What a chunk reports, as (phase, done, total, words for people).
ProgressCallback = Callable[[str, int, int, str], None]


def progress_words(done: int, total: int) -> str:
    """The line Collect shows, e.g. "Getting 40 new photos ready: 16 done"."""
    if not total:
        return "New photos will be made ready to train in a moment…"
    return f"Getting {wording.plural(total, 'new photo', 'new photos')} ready: {done:,} done"


def network_of(project: project_store.Project) -> tuple[str, int]:
    """The backbone and image size the project's next training embeds with (its last one's)."""
    record = project.training_record()
    return backbones.named_in_settings(record.settings if record else None)


def missing_photos(
    project: project_store.Project, cache: embeddings.EmbeddingCache
) -> list[datasets.Photo]:
    """The project's photos whose features are not in the cache for its network yet."""
    backbone_name, image_size = network_of(project)
    backbone_id = backbones.get_backbone(backbone_name).backbone_id(image_size)
    return [
        photo
        for photo in project.to_dataset().photos
        if not cache.path_for(photo.content_hash, backbone_id).is_file()
    ]


def queue_embedding(
    config: job_queue.QueueConfig,
    queue: job_queue.JobQueue,
    project: project_store.Project,
    done: int = 0,
    total: int = 0,
) -> records.JobRecord:
    """Queues the embedding of the project's new photos, unless a chunk of it is queued.

    Args:
        config: Where the queue and the records are.
        queue: The open queue.
        project: The project photos were added to.
        done: Photos embedded by the chunks before (for the next chunk's progress).
        total: The photos in all, counted by the first chunk; 0 for a new request.

    Returns:
        The queued job (a new one, or the one queued already).

    Raises:
        JobError: The queue or the jobs' table cannot be written.
    """
    return job_queue.submit_shared(
        config,
        queue,
        job_queue.KIND_PHOTO_EMBEDDING,
        (project.id, project.owner),
        {"done": done, "total": total},
        same={},
        priority=BACKGROUND_PRIORITY,
    )


def run_chunk(
    config: job_queue.QueueConfig,
    queue: job_queue.JobQueue,
    record: records.JobRecord,
    on_progress: ProgressCallback,
) -> dict:
    """Embeds one chunk of a project's photos without features; queues the next if any.

    Args:
        config: The workspace, queue and database.
        queue: The open queue, for the next chunk.
        record: This chunk's job.
        on_progress: Where progress goes.

    Returns:
        What the job leaves in its record: photos embedded now, and photos left.
    """
    space = project_store.Workspace(config.workspace_root)
    project = space.open_project(record.project_id)
    cache = embeddings.EmbeddingCache(space.embedding_cache_dir)
    missing = missing_photos(project, cache)
    done_before = int(record.payload.get("done", 0))
    total = done_before + len(missing)
    if not missing:
        return {"embedded": 0, "left": 0}
    chunk = missing[:PHOTOS_PER_CHUNK]
    on_progress("embedding", done_before, total, progress_words(done_before, total))
    # By name: web servers import this module, and must not import TensorFlow with it.
    model = importlib.import_module("tlcore.nets.model")
    shared_base = model.get_base(*network_of(project))
    try:
        embeddings.embed_photos(chunk, shared_base, cache)
    except errors.UnreadableImageError:
        # A photo removed meanwhile: the others of the chunk are embedded one by one.
        _embed_one_by_one(chunk, shared_base, cache)
    done = done_before + len(chunk)
    # A phase of its own, so the report is written however soon after the first it comes.
    on_progress("embedded", done, total, progress_words(done, total))
    left = len(missing) - len(chunk)
    if left:
        queue_embedding(config, queue, project, done=done, total=total)
    return {"embedded": len(chunk), "left": left}


def _embed_one_by_one(photos, shared_base, cache) -> None:
    """Embeds photos one at a time, passing over those that can no longer be read."""
    for photo in photos:
        try:
            embeddings.embed_photos([photo], shared_base, cache)
        except errors.UnreadableImageError:
            continue
