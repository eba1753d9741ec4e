"""Figures for docs/benchmarks.md: photos embedded per second through the job path and in-process,
and how long a training (a correction) queued behind new photos waits for the worker.

Run: `TLCORE_WEIGHTS_DIR=/work/shared/weights .venv/bin/python tests/arrivals_bench.py [photos]`
Prints one line per figure, with the machine's load; nothing is asserted.
"""

import pathlib
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from app_fixtures import grocery_photos  # noqa: E402
from job_fixtures import WorkerProcess, wait_for  # noqa: E402

from tlcore import store  # noqa: E402
from tlcore.features import embeddings  # noqa: E402
from tlcore.jobs import arrivals  # noqa: E402
from tlcore.jobs import queue as job_queue
from tlcore.nets import model  # noqa: E402
from tlcore.training import types  # noqa: E402

CLASSES = ("Banana", "Carrots", "Oatly-Oat-Milk", "Red-Bell-Pepper")
OWNER = "owner-of-the-arrivals-benchmark"


def load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def project_of(root: pathlib.Path, per_class: int, name: str = "Bench") -> store.Project:
    project = store.Workspace(root).create_project(name, OWNER)
    for class_name in CLASSES:
        project.add_class(class_name)
        project.add_photos(class_name, grocery_photos(class_name, per_class))
    return project


def in_process(root: pathlib.Path, per_class: int) -> float:
    """Photos per second of `embed_photos` in this process, base and runtime warmed first."""
    cache = embeddings.EmbeddingCache(root / "in-process-cache")
    base = model.get_base()
    embeddings.embed_photos(project_of(root, 2, "Warm").to_dataset().photos, base, cache)
    photos = project_of(root, per_class).to_dataset().photos
    started = time.perf_counter()
    embeddings.embed_photos(photos, base, cache)
    return len(photos) / (time.perf_counter() - started)


def embedding_of(jobs, project):
    return jobs.latest_for_project(project.id, job_queue.KIND_PHOTO_EMBEDDING)


def through_jobs(root: pathlib.Path, project: store.Project, config, queue) -> tuple[float, int]:
    """Photos per second from queueing to the last chunk's end."""
    jobs = config.store()
    started = time.time()
    arrivals.queue_embedding(config, queue, project)
    wait_for(lambda: not embedding_of(jobs, project).is_active, 600, "the embedding", poll=0.05)
    chunks = jobs.for_project(project.id, job_queue.KIND_PHOTO_EMBEDDING, limit=1000)
    ended = max(chunk.finished_at for chunk in chunks)
    return project.photo_count() / (ended - started), len(chunks)


def correction_wait(config, queue, project: store.Project, delay: float) -> float:
    """Seconds a training queued `delay` s into a chunk of new photos waits before it starts."""
    jobs = config.store()
    arrivals.queue_embedding(config, queue, project)
    wait_for(lambda: embedding_of(jobs, project).state == "running", 120, "a chunk", poll=0.02)
    time.sleep(delay)
    settings = types.TrainingSettings(epochs=1)
    record = job_queue.submit(
        config,
        queue,
        job_queue.KIND_TRAINING,
        project.id,
        OWNER,
        {"settings": settings.to_dict(), "photo_count": project.photo_count()},
    )
    started = wait_for(lambda: jobs.get(record.id).started_at, 120, "the training", poll=0.02)
    jobs.request_cancel(record.id)
    wait_for(lambda: not jobs.get(record.id).is_active, 120, "the training to stop")
    wait_for(lambda: not embedding_of(jobs, project).is_active, 600, "the embedding")
    return started - record.created_at


def main() -> None:
    per_class = int(sys.argv[1]) // len(CLASSES) if len(sys.argv) > 1 else 24
    with tempfile.TemporaryDirectory() as folder:
        root = pathlib.Path(folder)
        print(f"load before: {load()}")
        rate = in_process(root / "in-process", per_class)
        print(f"in-process embed_photos: {rate:.1f} photos/s ({per_class * len(CLASSES)} photos)")
        workspace = root / "workspace"
        config = job_queue.QueueConfig(workspace)
        queue = job_queue.make_queue(config)
        worker = WorkerProcess(workspace, root / "worker.log")
        try:
            # A first small project warms the worker: TensorFlow imported, the base built.
            through_jobs(workspace, project_of(workspace, 2, "Warm"), config, queue)
            rate, chunks = through_jobs(workspace, project_of(workspace, per_class), config, queue)
            print(
                f"through jobs (warm worker): {rate:.1f} photos/s, {chunks} chunks of at most "
                f"{arrivals.PHOTOS_PER_CHUNK}; load: {load()}"
            )
            waits = [
                correction_wait(
                    config, queue, project_of(workspace, 30 + trial, f"W{trial}"), delay
                )
                for trial, delay in enumerate((0.0, 0.3, 0.6))
            ]
            print(
                "training queued behind new photos waited "
                + ", ".join(f"{wait:.2f}" for wait in waits)
                + f" s before starting; load: {load()}"
            )
        finally:
            worker.stop()


if __name__ == "__main__":
    main()
