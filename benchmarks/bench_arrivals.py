"""New photos embedded on arrival: photos a second through the job path and in-process, and how
long a training queued behind a chunk of new photos waits for the worker.

    python -m benchmarks.bench_arrivals [--photos 96]

embeds real grocery photos (`../shared/data/grocery-store`, through the tests' `grocery_photos`)
once in this process and once through the job path (a warm `python -m tlcore worker`, chunks of
`tlcore.jobs.arrivals.PHOTOS_PER_CHUNK`), then queues a training 0, 0.3 and 0.6 s into a chunk
and times its wait. Prints one line per figure with the machine's load, and records them
(`benchmarks.results`).
"""

import argparse
import pathlib
import subprocess
import sys
import tempfile
import time

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]
# The tests' helpers (real grocery photos, a worker process), shared with this benchmark.
sys.path.insert(0, str(REPOSITORY / "tests"))

from app_fixtures import grocery_photos  # noqa: E402
from job_fixtures import WorkerProcess, wait_for  # noqa: E402

from benchmarks import bench, results  # noqa: E402
from tlcore import store  # noqa: E402
from tlcore.features import embeddings  # noqa: E402
from tlcore.jobs import arrivals  # noqa: E402
from tlcore.jobs import queue as job_queue  # noqa: E402
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


def main(argv=None) -> int:
    """Measures and prints the figures, and records them; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_arrivals")
    parser.add_argument("--photos", type=int, default=96, help="photos of the measured project")
    bench.add_weights_dir_argument(parser)
    arguments = parser.parse_args(argv)
    bench.use_weights_dir(arguments)
    per_class = max(1, arguments.photos // len(CLASSES))
    load_before = results.load_average()
    with tempfile.TemporaryDirectory() as folder:
        root = pathlib.Path(folder)
        print(f"load before: {load()}")
        in_process_rate = in_process(root / "in-process", per_class)
        print(
            f"in-process embed_photos: {in_process_rate:.1f} photos/s "
            f"({per_class * len(CLASSES)} photos)"
        )
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
    photo_count = per_class * len(CLASSES)
    figures = [
        (f"in one process, {photo_count} photos", in_process_rate, "photos/s"),
        (f"through the job path, {photo_count} photos (warm worker)", rate, "photos/s"),
        ("chunks of the job path", chunks, "chunks"),
    ]
    figures += [
        (f"a training queued {delay} s into a chunk: wait until it started", wait, "s")
        for delay, wait in zip((0.0, 0.3, 0.6), waits, strict=True)
    ]
    results.record("bench_arrivals", figures, argv=argv, load_before=load_before)
    return 0


if __name__ == "__main__":
    sys.exit(main())
