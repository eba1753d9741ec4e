"""`python -m benchmarks.bench_teach`: seconds from a correction to the updated model.

For each project size asked for, real grocery photos (whole classes of `train`, in name order,
until the count is reached) go into a new project of a temporary workspace, are embedded as
they arrive (`features.embeddings.embed_photos`, as the app's embedder does) and trained on once
with the default settings. Then, several times, a photo of `val` of one of its classes is taught as
the app's Predict page does it: kept in its class (`store.corrections.store_photo`), the head
retrained from the cached features and saved, and the new model's answer for the photo computed
(`jobs.teaching.retrain`). Each correction's seconds are printed, with the CPU load at the time.
With `--jobs`, each goes the app's way instead (`benchmarks.teach_jobs`): a job queued, run
by a warm worker process, and the new answer read back from the job and the project file.
The figures are recorded too (`benchmarks.results`).
"""

import argparse
import os
import pathlib
import platform
import statistics
import tempfile
import time

from benchmarks import bench, results, teach_jobs
from tlcore import store
from tlcore.data import datasets, loading
from tlcore.features import embeddings
from tlcore.jobs import teaching
from tlcore.nets import model
from tlcore.store import corrections
from tlcore.training import trainer


def _load() -> str:
    """Returns the load averages over 1, 5 and 15 minutes, as `uptime` prints them."""
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def _project_of(space: store.Workspace, train_set: datasets.Dataset, count: int):
    """Makes a project of the first whole classes of `train_set` holding `count` photos."""
    project = space.create_project(f"Teach {count}", owner="bench-teach-owner-0001")
    added = 0
    for class_name in train_set.class_names:
        if added >= count:
            break
        photos = [photo for photo in train_set.photos if photo.class_name == class_name]
        photos = photos[: count - added]
        project.add_class(class_name)
        project.add_photos(class_name, [(photo.file_name, photo.read_bytes()) for photo in photos])
        added += len(photos)
    return project


def measure(
    space, train_set, val_set, count: int, correction_count: int, through_jobs: bool = False
) -> list[float]:
    """Measures the corrections of one project of `count` photos; returns their seconds.

    With `through_jobs`, each correction goes the Predict page's way: a job, on a worker.
    """
    project = _project_of(space, train_set, count)
    print(f"\n{project.photo_count():,} photos in {len(project.class_names)} classes")
    started = time.perf_counter()
    shared_base = model.get_base()
    embeddings.embed_photos(
        project.to_dataset().photos,
        shared_base,
        embeddings.EmbeddingCache(space.embedding_cache_dir),
    )
    print(f"  embedded on arrival: {time.perf_counter() - started:.1f} s (load {_load()})")
    started = time.perf_counter()
    project.save_trained(trainer.train(project.to_dataset(), cache_dir=space.embedding_cache_dir))
    print(f"  first training: {time.perf_counter() - started:.1f} s (load {_load()})")
    taught = [photo for photo in val_set.photos if photo.class_name in project.class_names]
    taught = taught[:: max(1, len(taught) // correction_count)][:correction_count]
    if through_jobs:
        # One correction more: the first after the worker started is not a warm one.
        extra = [photo for photo in val_set.photos if photo.class_name in project.class_names]
        log_path = pathlib.Path(space.root) / f"worker-{count}.log"
        seconds = teach_jobs.measure(project, [extra[1], *taught], log_path, _load)
        print(f"  median {statistics.median(seconds):.2f} s, slowest {max(seconds):.2f} s")
        return seconds
    # As a worker does when it starts.
    teaching.warm_up(corrections.last_settings(project))
    seconds = []
    for photo in taught:
        data = photo.read_bytes()
        started, processor_started = time.perf_counter(), time.process_time()
        corrections.store_photo(project, photo.class_name, photo.file_name, data)
        result = teaching.retrain(project, photo.file_name, data)
        seconds.append(time.perf_counter() - started)
        # The processor time this process used: on a shared machine the wall-clock seconds
        # include waiting for the cores, this does not (two cores can do it in half).
        processor = time.process_time() - processor_started
        print(
            f"  taught {photo.file_name} as {photo.class_name}: {seconds[-1]:.2f} s "
            f"({processor:.2f} s of processor time); now {result.answer.best_class} at "
            f"{result.answer.top[0][1]:.0%} (load {_load()})"
        )
    print(f"  median {statistics.median(seconds):.2f} s, slowest {max(seconds):.2f} s")
    return seconds


def main(argv: list[str] | None = None) -> int:
    """Runs the benchmark; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_teach", description=__doc__)
    parser.add_argument("--data", required=True, help="the grocery-store folder (train, val)")
    parser.add_argument("--photos", type=int, nargs="+", default=[200, 2000])
    parser.add_argument("--corrections", type=int, default=5, help="corrections per project")
    parser.add_argument(
        "--jobs",
        action="store_true",
        help="teach as the app does: a job on a worker process (kept warm), the answer read back",
    )
    bench.add_weights_dir_argument(parser)
    arguments = parser.parse_args(argv)
    bench.use_weights_dir(arguments)
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}")
    load_before = results.load_average()
    data = pathlib.Path(arguments.data)
    train_set = loading.load_dataset(data / "train")
    val_set = loading.load_dataset(data / "val")
    figures = []
    path = "through a job on a warm worker" if arguments.jobs else "in one process"
    with tempfile.TemporaryDirectory() as folder:
        space = store.Workspace(pathlib.Path(folder) / "workspace")
        for count in arguments.photos:
            seconds = measure(
                space, train_set, val_set, count, arguments.corrections, arguments.jobs
            )
            figures += [
                (
                    f"{count:,} photos: click to updated model, median",
                    statistics.median(seconds),
                    "s",
                ),
                (f"{count:,} photos: click to updated model, fastest", min(seconds), "s"),
                (f"{count:,} photos: click to updated model, slowest", max(seconds), "s"),
                (f"{count:,} photos: corrections measured", len(seconds), "corrections"),
            ]
    results.record(
        "bench_teach",
        figures,
        argv=argv,
        load_before=load_before,
        notes=f"corrections {path}; default settings (224 px)",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
