"""The runtimes side by side: Keras against ONNX Runtime, in one run.

    python -m benchmarks.bench --runtimes-only --data ../shared/data/grocery-store

prints (and `python -m benchmarks.bench` prints it first, unless `--skip-runtimes`), for each
runtime (`TLCORE_RUNTIME=keras` and `onnx`): photos a second from JPEG files to features (the
embedding path, no cache), and through the base alone on photos decoded beforehand (what the
first could reach if decoding were free); one photo's prediction in-process; `python -m tlcore
predict` of one photo as a whole process; `python -m tlcore train` on about 600 photos with an
empty feature cache as a whole process (photos a second and peak memory); and 100 photos to a
trained model in-process. The machine's load (as `uptime` gives it) is printed before, between
and after, since the figures depend on what else runs. The base's ONNX form is converted (once
per machine) before the first figure; the whole-process runs reuse it, as on any machine that
has run once.
"""

import argparse
import concurrent.futures
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

from tlcore.data import datasets, loading
from tlcore.features import embeddings
from tlcore.nets import device, model, onnx_base, prediction, runtimes
from tlcore.serving import project_file
from tlcore.training import trainer, types

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]


def load_average() -> str:
    """Returns the machine's load averages over 1, 5 and 15 minutes, as `uptime` prints them."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"


def spread(dataset: datasets.Dataset, class_count: int, per_class: int) -> datasets.Dataset:
    """Returns `per_class` photos of each of `class_count` classes spread over the data set."""
    step = max(1, len(dataset.class_names) // class_count)
    class_names = dataset.class_names[::step][:class_count]
    photos = [photo for name in class_names for photo in dataset.photos_of(name)[:per_class]]
    return datasets.Dataset(class_names=class_names, photos=photos, skipped=[], duplicates=[])


def copy_to_folder(dataset: datasets.Dataset, folder: pathlib.Path) -> pathlib.Path:
    """Writes a data set's photos as `folder/<class>/<photo>`, for the command line."""
    for photo in dataset.photos:
        target = folder / photo.class_name / photo.file_name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(photo.read_bytes())
    return folder


def run_process(arguments: list[str], runtime: str) -> tuple[float, float, str]:
    """Runs `python -m tlcore ...` under a runtime; returns seconds, peak MiB and stdout.

    The peak is the child's own high-water mark (`VmHWM`), read while it runs: the rusage of
    a forked child also counts the memory of this (large) process at the fork.
    """
    environment = {**os.environ, runtimes.RUNTIME_VARIABLE: runtime, "PYTHONPATH": str(REPOSITORY)}
    with tempfile.TemporaryFile() as output_file, tempfile.TemporaryFile() as errors_file:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "tlcore", *arguments],
            cwd=REPOSITORY,
            env=environment,
            stdout=output_file,
            stderr=errors_file,
        )
        peak_kib = 0
        while process.poll() is None:
            peak_kib = max(peak_kib, _high_water_kib(process.pid))
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        output_file.seek(0)
        output = output_file.read().decode("utf-8", "replace")
        if process.returncode != 0:
            errors_file.seek(0)
            tail = errors_file.read().decode("utf-8", "replace")[-2000:]
            raise RuntimeError(f"python -m tlcore {arguments[0]} failed under {runtime}:\n{tail}")
    return seconds, peak_kib / 1024, output


def _high_water_kib(pid: int) -> int:
    """Returns a process's peak resident memory so far in KiB; 0 once it has gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def features_per_second(photos, shared_base) -> tuple[float, float, np.ndarray]:
    """Embeds photos from their JPEG files (no cache) with the runtime in force; returns
    photos a second, photos per CPU-second of this process (all its threads: steadier than
    the first on a shared machine) and the features."""
    started, cpu_started = time.perf_counter(), time.process_time()
    features = embeddings.embed_photos(photos, shared_base, cache=None)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    return len(photos) / seconds, len(photos) / cpu_seconds, features


def base_alone_per_second(photos, shared_base) -> float:
    """Runs the base alone on the photos' pixels, decoded beforehand, in the calls
    `features.embeddings.embed_photos` makes with the runtime in force; returns photos a second: the
    most JPEG files to features could reach on this machine if decoding took no time."""
    pixels = embeddings.decode_batch(photos, shared_base.input_size, dtype=np.float32)
    extractor = onnx_base.feature_extractor(shared_base)
    calls, threads = embeddings.parallel_layout()
    side_by_side = embeddings.side_by_side_model(extractor, threads)
    started = time.perf_counter()
    if side_by_side is not None and calls > 1:
        size = embeddings.SIDE_BY_SIDE_BATCH_SIZE
        batches = [pixels[start : start + size] for start in range(0, len(pixels), size)]
        with concurrent.futures.ThreadPoolExecutor(calls) as pool:
            list(pool.map(side_by_side.predict_on_batch, batches))
    else:
        for start in range(0, len(pixels), embeddings.BATCH_SIZE):
            extractor.embed_batch(pixels[start : start + embeddings.BATCH_SIZE])
    return len(photos) / (time.perf_counter() - started)


def prediction_ms(trained, paths) -> float:
    """Returns the median milliseconds of one photo's prediction (decoding included)."""
    prediction.predict(trained, paths[:1])
    latencies = []
    for path in paths:
        started = time.perf_counter()
        prediction.predict(trained, [path])
        latencies.append((time.perf_counter() - started) * 1000)
    return statistics.median(latencies)


def note(runtime: str, label: str, text: str) -> None:
    """Prints one measurement as it is taken, with the machine's load at that moment."""
    print(f"  {runtime:5} {label:34} {text:>22}   ({load_average()})", flush=True)


def hundred_photos_seconds(sets: dict, settings) -> tuple[float, float, object]:
    """Trains on the hundred photos from an empty feature cache; returns seconds, CPU seconds
    of this process (all its threads) and the model."""
    with tempfile.TemporaryDirectory() as cache_dir:
        started, cpu_started = time.perf_counter(), time.process_time()
        trained = trainer.train(sets["hundred"], settings, cache_dir=cache_dir)
        return time.perf_counter() - started, time.process_time() - cpu_started, trained


def whole_process_train(arguments, runtime: str, folder: pathlib.Path) -> tuple[float, float]:
    """Runs `python -m tlcore train` on the photo folder with an empty feature cache; returns
    seconds and peak MiB."""
    with tempfile.TemporaryDirectory() as cache_dir:
        seconds, memory, _ = run_process(
            [
                "train",
                str(folder / "photos"),
                "--out",
                str(folder / f"trained-{runtime}.zip"),
                "--image-size",
                str(arguments.image_size),
                "--cache-dir",
                cache_dir,
                "--quiet",
            ],
            runtime,
        )
    return seconds, memory


def measure(arguments, runtime: str, sets: dict, folder: pathlib.Path, shared_base) -> dict:
    """Takes every figure under one runtime, each `arguments.repeats` times, printing each
    as it is taken."""
    os.environ[runtimes.RUNTIME_VARIABLE] = runtime
    figures: dict = {key: [] for key in FIGURE_KEYS}
    photo_count = len(sets["features"].photos)
    for _ in range(arguments.repeats):
        per_second, per_cpu_second, figures["features"] = features_per_second(
            sets["features"].photos, shared_base
        )
        figures["features_per_second"].append(per_second)
        figures["features_per_cpu_second"].append(per_cpu_second)
        note(
            runtime,
            f"JPEG -> features, {photo_count} photos",
            f"{per_second:.0f}/s, {per_cpu_second:.0f}/CPU-s",
        )
    figures["base_alone_per_second"].append(
        base_alone_per_second(sets["features"].photos, shared_base)
    )
    note(
        runtime,
        "the base alone, photos decoded before",
        f"{figures['base_alone_per_second'][-1]:.0f}/s",
    )
    settings = types.TrainingSettings(image_size=arguments.image_size)
    # The first training of a process traces the head's steps; later ones reuse them, as in
    # the app. It is timed and printed, and left out of the figure.
    seconds, cpu_seconds, trained = hundred_photos_seconds(sets, settings)
    note(runtime, "100 photos to a model (first)", f"{seconds:.2f} s, {cpu_seconds:.2f} CPU-s")
    for _ in range(arguments.repeats):
        seconds, cpu_seconds, trained = hundred_photos_seconds(sets, settings)
        figures["hundred_seconds"].append(seconds)
        figures["hundred_cpu_seconds"].append(cpu_seconds)
        note(runtime, "100 photos to a model", f"{seconds:.2f} s, {cpu_seconds:.2f} CPU-s")
    paths = [photo.path for photo in sets["features"].photos[: arguments.predictions]]
    if arguments.predictions:
        figures["predict_ms"].append(prediction_ms(trained, paths))
        note(runtime, "predict one photo, in-process", f"{figures['predict_ms'][-1]:.1f} ms")
    project = folder / f"project-{runtime}.zip"
    project_file.save_project(trained, project)
    # The same photo as the first in-process prediction, also when --predictions is 0.
    cli_photo = str(sets["features"].photos[0].path)
    for _ in range(arguments.cli_runs):
        seconds = run_process(["predict", str(project), cli_photo, "--quiet"], runtime)[0]
        figures["cli_predict_seconds"].append(seconds)
        note(runtime, "python -m tlcore predict", f"{seconds:.2f} s")
    for _ in range(arguments.train_runs):
        seconds, memory = whole_process_train(arguments, runtime, folder)
        figures["train_photos_per_second"].append(len(sets["train"].photos) / seconds)
        figures["train_seconds"].append(seconds)
        figures["train_peak_mib"].append(memory)
        note(
            runtime,
            f"python -m tlcore train, {len(sets['train'].photos)} photos",
            f"{seconds:.1f} s, {memory:,.0f} MiB",
        )
    return figures


FIGURE_KEYS = (
    "features_per_second",
    "features_per_cpu_second",
    "base_alone_per_second",
    "hundred_seconds",
    "hundred_cpu_seconds",
    "predict_ms",
    "cli_predict_seconds",
    "train_photos_per_second",
    "train_seconds",
    "train_peak_mib",
)

# Which of a figure's repetitions is the best: the largest, or the smallest.
HIGHER_IS_BETTER = {
    "features_per_second",
    "features_per_cpu_second",
    "base_alone_per_second",
    "train_photos_per_second",
}


def best_and_median(key: str, values: list[float], form: str) -> str:
    """Formats a figure's repetitions as "best / median" (one value alone when there is one,
    nothing when the figure was not taken)."""
    if not values:
        return ""
    if len(values) == 1:
        return form.format(values[0])
    best = max(values) if key in HIGHER_IS_BETTER else min(values)
    return f"{form.format(best)} / {form.format(statistics.median(values))}"


def print_table(results: dict, sets: dict) -> None:
    """Prints the figures of the runtimes measured side by side: the best of the repetitions,
    then their median."""
    rows = [
        (
            f"features, JPEG -> features ({len(sets['features'].photos)} photos)",
            "features_per_second",
            "{:.0f}/s",
        ),
        ("  the same, photos per CPU-second", "features_per_cpu_second", "{:.0f}"),
        ("  the base alone, photos decoded before", "base_alone_per_second", "{:.0f}/s"),
        ("predict one photo, in-process (median)", "predict_ms", "{:.1f} ms"),
        ("python -m tlcore predict, whole process", "cli_predict_seconds", "{:.2f} s"),
        (
            f"python -m tlcore train, {len(sets['train'].photos)} photos, empty cache",
            "train_photos_per_second",
            "{:.0f}/s",
        ),
        ("  its time, whole process", "train_seconds", "{:.1f} s"),
        ("  its peak memory", "train_peak_mib", "{:,.0f} MiB"),
        (
            f"{len(sets['hundred'].photos)} photos to a trained model, in-process",
            "hundred_seconds",
            "{:.2f} s",
        ),
        ("  its CPU seconds (all threads)", "hundred_cpu_seconds", "{:.2f}"),
    ]
    measured = [name for name in runtimes.RUNTIMES if name in results]
    titles = {runtimes.KERAS: "Keras", runtimes.ONNX: "ONNX Runtime"}
    print(f"\n{'best / median':52}" + "".join(f" {titles[name]:>22}" for name in measured))
    for label, key, form in rows:
        cells = [best_and_median(key, results[name][key], form) or "-" for name in measured]
        print(f"{label:52}" + "".join(f" {cell:>22}" for cell in cells))
    if "features_max_difference" in results:
        difference = results["features_max_difference"]
        print(f"largest difference between the two runtimes' features: {difference:.1e}")


def describe_devices(shared_base) -> str:
    """Says what each runtime runs on here: the GPU TensorFlow sees, ONNX Runtime's providers."""
    gpus = device.configure_gpu()
    features = onnx_base.onnx_features(shared_base)
    providers = features.onnx_model.providers if features is not None else ["not usable"]
    keras_device = f"{len(gpus)} GPU(s)" if gpus else "the CPU"
    return f"Keras on {keras_device}; ONNX Runtime on {', '.join(providers)}"


def compare_runtimes(arguments) -> dict:
    """Measures both runtimes and prints the table; returns the figures."""
    print(f"Runtimes, before: {load_average()}", flush=True)
    train_set = loading.load_dataset(pathlib.Path(arguments.data) / "train")
    sets = {
        "features": spread(train_set, 32, max(1, arguments.feature_photos // 32)),
        "train": spread(train_set, 40, max(1, arguments.train_photos // 40)),
        "hundred": spread(train_set, 5, 20),
    }
    shared_base = model.get_base(image_size=arguments.image_size)
    # The base's ONNX form is made (or found) and checked before anything is timed.
    os.environ.pop(runtimes.RUNTIME_VARIABLE, None)
    embeddings.embed_photos(train_set.photos[-32:], shared_base, cache=None)
    features = onnx_base.onnx_features(shared_base)
    print(f"ONNX Runtime's base: {'usable' if features else 'not usable: Keras only'}")
    print(describe_devices(shared_base), flush=True)
    results = {}
    with tempfile.TemporaryDirectory() as temporary:
        folder = pathlib.Path(temporary)
        copy_to_folder(sets["train"], folder / "photos")
        for runtime in arguments.runtime or runtimes.RUNTIMES:
            results[runtime] = measure(arguments, runtime, sets, folder, shared_base)
            print(f"  {runtime}: measured ({load_average()})", flush=True)
        shutil.rmtree(folder / "photos")
    os.environ.pop(runtimes.RUNTIME_VARIABLE, None)
    measured_features = [results[name].pop("features") for name in list(results)]
    if len(measured_features) == len(runtimes.RUNTIMES):
        keras_features, onnx_features = measured_features
        results["features_max_difference"] = float(np.abs(keras_features - onnx_features).max())
    print_table(results, sets)
    print(f"Runtimes, after: {load_average()}")
    return results


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds this comparison's options to `python -m benchmarks.bench`'s."""
    parser.add_argument(
        "--feature-photos", type=int, default=256, help="photos embedded from JPEG (runtimes)"
    )
    parser.add_argument(
        "--train-photos", type=int, default=600, help="photos of the whole-process training"
    )
    parser.add_argument("--cli-runs", type=int, default=3, help="whole-process predicts a runtime")
    parser.add_argument(
        "--train-runs", type=int, default=3, help="whole-process trainings a runtime"
    )
    parser.add_argument(
        "--runtime",
        action="append",
        choices=runtimes.RUNTIMES,
        help="measure only this runtime (repeatable; both when not given). With --cli-runs 0 "
        "--predictions 0 --feature-photos 32, the training figures alone, quickly",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="repetitions of JPEG -> features and of the 100 photos' training",
    )
