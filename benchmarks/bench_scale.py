"""The scale benchmark: a project of 20,000 photos in 200 classes, end to end, with memory.

    python -m benchmarks.bench_scale --data ../shared/data/grocery-store

makes the photos from the data set's `train` photos (`benchmarks.scale_photos`; kept in
`--photos` for the next run), then does what a person does in the app, through the same tlcore
calls the pages make: uploads them as zips of at most the server's upload size into a new
project, trains with the default settings (embedding every photo, with the estimated time left
the Train page shows), saves the model, trains again from the cached features, checks the data
(the Check data page's out-of-fold predictions, near-duplicates and outliers) and draws its
map. After each step it prints the time, the process's memory now and its peak so far.
"""

import argparse
import os
import pathlib
import platform
import sys
import tempfile
import time
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from benchmarks import bench, scale_photos  # noqa: E402
from tlcore import (  # noqa: E402
    datamap,
    dataset_loading,
    device,
    embeddings,
    errors,
    model,
    onnx_base,
    quality,
    store,
    training,
    training_types,
)


def resident_memory_mib() -> float:
    """Returns this process's resident memory now, in MiB (Linux; 0 elsewhere)."""
    try:
        for line in pathlib.Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def report(step: str, seconds: float, details: str = "") -> None:
    """Prints one step's time, the memory after it and the machine's load (other jobs on the
    same CPU slow every step)."""
    memory = f"memory {resident_memory_mib():,.0f} MiB, peak {bench.peak_memory_mib():,.0f} MiB"
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
    parser.add_argument("--photos", help="where the made photos are kept (a temporary folder)")
    parser.add_argument("--classes", type=int, default=200)
    parser.add_argument("--photos-per-class", type=int, default=100)
    parser.add_argument("--workspace", help="the workspace to use (a temporary folder)")
    parser.add_argument("--skip-check", action="store_true", help="leave out the data check")
    bench.add_weights_dir_argument(parser)
    arguments = parser.parse_args(argv)
    bench.use_weights_dir(arguments)
    try:
        with tempfile.TemporaryDirectory() as scratch:
            return run(arguments, pathlib.Path(scratch))
    except errors.TlcoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def run(arguments, scratch: pathlib.Path) -> int:
    """Runs every step the arguments ask for, printing figures as they come."""
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}; "
        f"running on {device.describe_device()}"
    )
    source = pathlib.Path(arguments.data)
    source = source / "train" if (source / "train").is_dir() else source
    photos_folder = pathlib.Path(arguments.photos or scratch / "photos")
    started = time.perf_counter()
    scale_photos.make_scale_folder(
        source, photos_folder, arguments.classes, arguments.photos_per_class
    )
    report(f"photos made in {photos_folder}", time.perf_counter() - started)

    space = store.Workspace(arguments.workspace or scratch / "workspace")
    project = space.create_project(space.unique_name("Scale benchmark"), owner="bench")
    zips = pack_zips(photos_folder, scratch, space.limits.max_upload_bytes)
    started = time.perf_counter()
    for zip_path in zips:
        # What the Collect page does with an uploaded zip.
        result = project.add_dataset(dataset_loading.load_zip(zip_path.read_bytes()))
        if result.left_out or result.skipped:
            print(f"  {zip_path.name}: {len(result.left_out) + len(result.skipped)} not added")
    photo_count = project.photo_count()
    report(
        f"uploaded as {len(zips)} zips",
        time.perf_counter() - started,
        f"{photo_count:,} photos in {len(project.class_names)} classes",
    )

    started = time.perf_counter()
    dataset = project.to_dataset()
    report("project read back as a dataset", time.perf_counter() - started)

    settings = training_types.TrainingSettings()
    estimates: dict[int, tuple[float, float]] = {}
    phase_started: dict[str, float] = {}

    def note(progress: training_types.Progress) -> None:
        now = time.perf_counter()
        phase_started.setdefault(progress.phase, now)
        if progress.phase == "embedding" and progress.total and progress.seconds_left:
            tenth = int(10 * progress.done / progress.total)
            estimates.setdefault(tenth, (now, progress.seconds_left))

    started = time.perf_counter()
    trained = training.train(
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
    for tenth in sorted(estimates):
        seen_at, estimate = estimates[tenth]
        actual = phase_started["training"] - seen_at
        print(f"  time left estimated at {tenth * 10}%: {estimate:,.0f} s; it took {actual:,.0f} s")
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
    training.train(dataset, settings, cache_dir=space.embedding_cache_dir)
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
