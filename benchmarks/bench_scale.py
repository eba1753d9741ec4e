"""The scale benchmark: a project of 20,000 photos in 200 classes, end to end, with memory.

    python -m benchmarks.bench_scale --data ../shared/data/grocery-store

makes the photos from the data set's `train` photos (`benchmarks.scale_photos`; kept in
`--photo-folder` for the next run; `--photos N` makes N in all, 600 for a quick check), then
does what a person does in the app, through the same tlcore calls the pages make: uploads them
as zips of at most the server's upload size into a new project, trains with the default
settings (embedding every photo, with the estimated time left the Train page shows), saves the
model, trains again from the cached features, checks the data (the Check data page's
out-of-fold predictions, near-duplicates and outliers) and draws its map.

The trainings and the data check run as the app runs them: queued as jobs (`tlcore.jobs.queue`)
and run by a real worker process (`python -m tlcore worker`, started the way a web server
starts its own, `tlcore.jobs.worker.LocalWorkers`). The benchmark reads each job's phases and
progress from its record, as a page does, and prints each job's wait from queued to started,
and the worker's memory (now, and its peak) from `/proc`. `--in-process` runs them in the
benchmark's own process instead and prints that process's memory. Each step's time, and the
peak memory, are recorded too (`benchmarks.results`).
"""

import argparse
import dataclasses
import os
import pathlib
import platform
import sys
import tempfile
import time
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from benchmarks import bench, results, scale_photos  # noqa: E402
from tlcore import errors, store  # noqa: E402
from tlcore.checks import datamap, quality  # noqa: E402
from tlcore.data import loading  # noqa: E402
from tlcore.features import embeddings  # noqa: E402
from tlcore.jobs import data_checks, queue, records, worker  # noqa: E402
from tlcore.nets import device, model, onnx_base  # noqa: E402
from tlcore.training import trainer, types  # noqa: E402

# How often a job's record is read while it runs (a page reads it every second or so).
POLL_SECONDS = 0.1

# The figures of this run, for `results.record`: each step `report` prints, and the peaks.
_recorded: list[tuple] = []


def process_memory_mib(pid: int | str = "self", field: str = "VmRSS") -> float:
    """Returns a process's memory from `/proc/<pid>/status`, in MiB (Linux; 0 elsewhere).

    Args:
        pid: The process; "self" for this one.
        field: "VmRSS" for its resident memory now, "VmHWM" for its peak so far.
    """
    try:
        for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def this_process_memory() -> str:
    """This process's memory now and its peak, for `report`."""
    return f"memory {process_memory_mib():,.0f} MiB, peak {bench.peak_memory_mib():,.0f} MiB"


def worker_memory(pid: int) -> str:
    """A worker process's memory now and its peak, for `report`."""
    return (
        f"worker memory {process_memory_mib(pid):,.0f} MiB, "
        f"peak {process_memory_mib(pid, 'VmHWM'):,.0f} MiB"
    )


def report(step: str, seconds: float, details: str = "", memory: str | None = None) -> None:
    """Prints one step's time, the memory after it (this process's unless `memory` says
    otherwise) and the machine's load (other jobs on the same CPU slow every step)."""
    memory = memory or this_process_memory()
    _recorded.append((step, seconds, "s"))
    load = "load {:.1f}, {:.1f}, {:.1f}".format(*os.getloadavg())
    print(
        f"{step}: {seconds:,.1f} s{'; ' + details if details else ''} ({memory}; {load})",
        flush=True,
    )


def pack_zips(folder: pathlib.Path, target: pathlib.Path, max_bytes: int) -> list[pathlib.Path]:
    """Packs a folder of class folders into zips of whole classes, each under `max_bytes`.

    Args:
        folder: One sub-folder a class.
        target: Where the zips go.
        max_bytes: The most bytes of photos one zip holds (the server's upload size).

    Returns:
        The zips, in order.
    """
    zips: list[pathlib.Path] = []
    archive, used = None, 0
    for class_folder in sorted(path for path in folder.iterdir() if path.is_dir()):
        files = sorted(path for path in class_folder.iterdir() if path.is_file())
        size = sum(path.stat().st_size for path in files)
        if archive is None or used + size > max_bytes * 0.95:
            if archive is not None:
                archive.close()
            zips.append(target / f"photos-{len(zips) + 1}.zip")
            archive, used = zipfile.ZipFile(zips[-1], "w", zipfile.ZIP_STORED), 0
        for path in files:
            archive.write(path, f"{class_folder.name}/{path.name}")
        used += size
    if archive is not None:
        archive.close()
    return zips


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data/grocery-store", help="source photos")
    parser.add_argument(
        "--photos", type=int, default=20_000, help="how many photos in all (default 20,000)"
    )
    parser.add_argument(
        "--classes",
        type=int,
        help="how many classes (default: one for each 100 photos, at least 2, at most 200)",
    )
    parser.add_argument("--photo-folder", help="where the made photos are kept (a temporary one)")
    parser.add_argument("--workspace", help="the workspace to use (a temporary folder)")
    parser.add_argument("--skip-check", action="store_true", help="leave out the data check")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="train and check in this process, not as jobs on a worker process",
    )
    bench.add_weights_dir_argument(parser)
    arguments = parser.parse_args(argv)
    bench.use_weights_dir(arguments)
    classes = arguments.classes or min(200, max(2, arguments.photos // 100))
    if arguments.photos < 2 * classes:
        parser.error(f"--photos must be at least two a class ({2 * classes} for {classes}).")
    load_before = results.load_average()
    _recorded.clear()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            status = run(arguments, classes, pathlib.Path(scratch))
    except errors.TlcoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    where = "in the benchmark's process" if arguments.in_process else "as jobs on a worker process"
    results.record(
        "bench_scale",
        list(_recorded),
        argv=argv,
        load_before=load_before,
        notes=f"{arguments.photos:,} photos in {classes} classes; trained and checked {where}",
    )
    return status


def run(arguments, classes: int, scratch: pathlib.Path) -> int:
    """Runs every step the arguments ask for, printing figures as they come."""
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}; "
        f"running on {device.describe_device()}"
    )
    space = store.Workspace(arguments.workspace or scratch / "workspace")
    # The worker starts first, so it has imported TensorFlow by the time the first job comes,
    # as a web server's worker has; the jobs' wait is then the queue's alone.
    workers = None if arguments.in_process else worker.LocalWorkers(space.root, 1).start()
    try:
        project = upload_photos(arguments, classes, space, scratch)
        if workers is None:
            train_in_process(arguments, space, project)
        else:
            train_through_jobs(arguments, space, project, workers.processes[0].pid)
    finally:
        if workers is not None:
            workers.stop()
    return 0


def upload_photos(arguments, classes: int, space: store.Workspace, scratch) -> store.Project:
    """Makes the photos (or finds them made) and uploads them into a new project as zips."""
    source = pathlib.Path(arguments.data)
    source = source / "train" if (source / "train").is_dir() else source
    photos_folder = pathlib.Path(arguments.photo_folder or scratch / "photos")
    started = time.perf_counter()
    scale_photos.make_scale_folder(source, photos_folder, classes, arguments.photos // classes)
    report(f"photos made in {photos_folder}", time.perf_counter() - started)

    project = space.create_project(space.unique_name("Scale benchmark"), owner="bench")
    zips = pack_zips(photos_folder, scratch, space.limits.max_upload_bytes)
    started = time.perf_counter()
    for zip_path in zips:
        # What the Collect page does with an uploaded zip.
        result = project.add_dataset(loading.load_zip(zip_path.read_bytes()))
        if result.left_out or result.skipped:
            print(f"  {zip_path.name}: {len(result.left_out) + len(result.skipped)} not added")
    report(
        f"uploaded as {len(zips)} zips",
        time.perf_counter() - started,
        f"{project.photo_count():,} photos in {len(project.class_names)} classes",
    )
    return project


def print_estimates(estimates: dict[int, tuple[float, float]], embedding_ended: float) -> None:
    """Prints the time left shown at each tenth of the embedding, against what it took."""
    for tenth in sorted(estimates):
        seen_at, estimate = estimates[tenth]
        actual = embedding_ended - seen_at
        print(f"  time left estimated at {tenth * 10}%: {estimate:,.0f} s; it took {actual:,.0f} s")


def note_estimate(estimates: dict, progress: dict, now: float) -> None:
    """Keeps the first time left shown in each tenth of the embedding."""
    if progress.get("phase") == "embedding" and progress.get("total"):
        if progress.get("seconds_left"):
            tenth = int(10 * progress["done"] / progress["total"])
            estimates.setdefault(tenth, (now, progress["seconds_left"]))


def train_in_process(arguments, space: store.Workspace, project: store.Project) -> None:
    """Trains twice and checks the data in this process, without a worker."""
    started = time.perf_counter()
    dataset = project.to_dataset()
    report("project read back as a dataset", time.perf_counter() - started)

    settings = types.TrainingSettings()
    estimates: dict[int, tuple[float, float]] = {}
    phase_started: dict[str, float] = {}

    def note(progress: types.Progress) -> None:
        now = time.perf_counter()
        phase_started.setdefault(progress.phase, now)
        note_estimate(estimates, dataclasses.asdict(progress), now)

    started = time.perf_counter()
    trained = trainer.train(
        dataset, settings, on_progress=note, cache_dir=space.embedding_cache_dir
    )
    trained_at = time.perf_counter()
    embedding_seconds = phase_started["training"] - phase_started["embedding"]
    runtime = onnx_base.runtime_name(model.get_base(settings.backbone, settings.image_size))
    report(
        "embedding",
        embedding_seconds,
        f"{len(dataset.photos) / embedding_seconds:,.0f} photos/s through {runtime}",
    )
    _recorded.append(
        ("embedding, photos a second", len(dataset.photos) / embedding_seconds, "photos/s")
    )
    print_estimates(estimates, phase_started["training"])
    report(
        "head trained and validated",
        trained_at - phase_started["training"],
        f"{settings.epochs} epochs; validation accuracy "
        f"{trained.evaluation.accuracy:.1%} on {trained.evaluation.photo_count:,} photos",
    )
    report("training in all", trained_at - started)

    started = time.perf_counter()
    project.save_trained(trained)
    report("model saved", time.perf_counter() - started)

    started = time.perf_counter()
    trainer.train(dataset, settings, cache_dir=space.embedding_cache_dir)
    report("trained again, features read back from disk", time.perf_counter() - started)

    if not arguments.skip_check:
        shared_base = model.get_base(settings.backbone, settings.image_size)
        started = time.perf_counter()
        checked = quality.check_dataset(
            dataset, shared_base, embeddings.EmbeddingCache(space.embedding_cache_dir)
        )
        report(
            "data checked",
            time.perf_counter() - started,
            f"{len(checked.mislabelled)} likely mislabelled, "
            f"{len(checked.near_duplicates)} near-duplicate pairs, "
            f"{len(checked.outliers)} outliers",
        )
        started = time.perf_counter()
        data_map = datamap.build_data_map(checked)
        report("data map", time.perf_counter() - started, f"{len(data_map.points):,} points")
    print(f"peak memory: {bench.peak_memory_mib():,.0f} MiB")
    _recorded.append(("peak memory of the process", bench.peak_memory_mib(), "MiB"))


@dataclasses.dataclass
class WatchedJob:
    """A job followed from its queueing to its end, through its record.

    Every time is `time.time()`, the clock the record's own times are written with (by the
    benchmark, which queues, and by the worker, which starts and ends the job).

    Args:
        record: The record as the job ended.
        phases: When each phase was first read, in the order they came.
        estimates: The time left shown at each tenth of the embedding (`note_estimate`).
    """

    record: records.JobRecord
    phases: dict[str, float]
    estimates: dict[int, tuple[float, float]]

    @property
    def wait_seconds(self) -> float:
        """From queued to started."""
        return self.record.started_at - self.record.created_at

    @property
    def seconds(self) -> float:
        """From queued to finished."""
        return self.record.finished_at - self.record.created_at

    def phase_seconds(self, phase: str) -> float:
        """From a phase's start to the next phase's (or to the job's end)."""
        names = list(self.phases)
        following = names[names.index(phase) + 1] if phase != names[-1] else None
        ended = self.phases[following] if following else self.record.finished_at
        return ended - self.phases[phase]


def run_job(config: queue.QueueConfig, project: store.Project, kind: str, payload: dict):
    """Queues a job of the project and reads its record until it ends.

    Returns:
        The `WatchedJob`.

    Raises:
        TlcoreError: If the job could not be queued, or did not finish (with its words).
    """
    jobs = config.store()
    record = queue.submit(
        config, queue.make_queue(config), kind, project.id, project.owner, payload
    )
    phases: dict[str, float] = {}
    estimates: dict[int, tuple[float, float]] = {}
    while record.is_active:
        time.sleep(POLL_SECONDS)
        record = jobs.get(record.id)
        now = time.time()
        if record.progress.get("phase"):
            phases.setdefault(record.progress["phase"], now)
        note_estimate(estimates, record.progress, now)
    if record.state != records.FINISHED:
        raise errors.TlcoreError(f"The {kind} job ended {record.state}: {record.error}")
    return WatchedJob(record, phases, estimates)


def train_through_jobs(
    arguments, space: store.Workspace, project: store.Project, worker_pid: int
) -> None:
    """Trains twice and checks the data as jobs on the worker, from their records; the
    memory printed is the worker's, which does the work."""
    config = queue.QueueConfig.from_environment(space.root)
    settings = types.TrainingSettings()
    photo_count = project.photo_count()
    payload = {"settings": settings.to_dict(), "photo_count": photo_count}

    job = run_job(config, project, queue.KIND_TRAINING, payload)
    report("training queued -> started", job.wait_seconds, memory=worker_memory(worker_pid))
    # The embedding ends when the head's first epoch starts; the head's phases end when the
    # training reports "finished", and the model is saved after that.
    trained_at = job.phases.get("finished", job.record.finished_at)
    if "loading" in job.phases and "embedding" in job.phases:
        report(
            "pretrained network loaded by the worker",
            job.phases["embedding"] - job.phases["loading"],
            memory=worker_memory(worker_pid),
        )
    if "embedding" in job.phases and "training" in job.phases:
        embedding_seconds = job.phases["training"] - job.phases["embedding"]
        report(
            "embedding",
            embedding_seconds,
            f"{photo_count / embedding_seconds:,.0f} photos/s on the worker",
            worker_memory(worker_pid),
        )
        _recorded.append(
            ("embedding, photos a second", photo_count / embedding_seconds, "photos/s")
        )
        print_estimates(job.estimates, job.phases["training"])
        report(
            "head trained and validated",
            trained_at - job.phases["training"],
            f"{settings.epochs} epochs; validation accuracy {job.record.result['accuracy']:.1%}",
            worker_memory(worker_pid),
        )
    report("model saved", job.record.finished_at - trained_at, memory=worker_memory(worker_pid))
    report("training in all, queued to finished", job.seconds, memory=worker_memory(worker_pid))

    job = run_job(config, project, queue.KIND_TRAINING, payload)
    report(
        "trained again, features read back from disk, queued to finished",
        job.seconds,
        f"queued -> started {job.wait_seconds:.2f} s",
        worker_memory(worker_pid),
    )

    if not arguments.skip_check:
        check_through_job(config, project, worker_pid)
    peak = process_memory_mib(worker_pid, "VmHWM")
    print(f"worker peak memory: {peak:,.0f} MiB")
    _recorded.append(("worker peak memory", peak, "MiB"))


def check_through_job(config: queue.QueueConfig, project: store.Project, worker_pid: int):
    """Checks the project's photos and draws their map as a job, and prints what it found."""
    job = run_job(config, project, queue.KIND_DATA_CHECK, {"photo_count": project.photo_count()})
    check = data_checks.load(project)
    report(
        "data checked and its map drawn, queued to finished",
        job.seconds,
        f"{len(check.report.mislabelled)} likely mislabelled, "
        f"{len(check.report.near_duplicates)} near-duplicate pairs, "
        f"{len(check.report.outliers)} outliers, {len(check.data_map.points):,} points; "
        f"queued -> started {job.wait_seconds:.2f} s",
        worker_memory(worker_pid),
    )
    for phase in job.phases:
        print(f"  {phase}: {job.phase_seconds(phase):,.1f} s")


if __name__ == "__main__":
    raise SystemExit(main())
