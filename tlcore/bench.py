"""The benchmark: speed, memory and accuracy figures on real photos, in one run.

    python -m tlcore.bench --data ../shared/data/grocery-store

prints, side by side: the plain recipe (`model.fit` through the frozen base on pixels, batch 5)
against tlcore's path for the same photos and epochs; the time to a trained model once
embeddings are cached; prediction latency per photo; peak memory; and accuracy on the data
set's `val` split after training on all of `train`. Figures depend on the machine: report them
with the machine's description, which the script prints first.
"""

import argparse
import json
import os
import pathlib
import platform
import resource
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from tlcore import (  # noqa: E402
    datasets,
    device,
    errors,
    evaluation,
    images,
    model,
    prediction,
    splitting,
    training,
)


def subset(dataset: datasets.Dataset, class_count: int, photos_per_class: int) -> datasets.Dataset:
    """Returns the first classes of a dataset with the first photos of each."""
    class_names = dataset.class_names[:class_count]
    photos = []
    for name in class_names:
        photos += dataset.photos_of(name)[:photos_per_class]
    return datasets.Dataset(class_names=class_names, photos=photos, skipped=[], duplicates=[])


def peak_memory_mib() -> float:
    """Returns this process's peak resident memory in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kibibytes, macOS bytes.
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024


def plain_recipe_seconds(
    dataset: datasets.Dataset, settings: training.TrainingSettings, batch_size: int
) -> tuple[float, float]:
    """Trains the textbook way, `model.fit` on pixels through the frozen base, and times it.

    Returns:
        Seconds end to end (decoding included) and the final validation accuracy.
    """
    started = time.perf_counter()
    shared_base = model.get_base(settings.backbone, settings.image_size)
    labels = np.asarray(dataset.labels)
    pixels = np.stack(
        [
            images.load_pixels(photo.read_bytes(), shared_base.input_size, photo.file_name)
            for photo in dataset.photos
        ]
    ).astype("float32")
    training_rows, validation_rows = splitting.stratified_split(
        labels, settings.validation_split, settings.seed
    )
    keras.utils.set_random_seed(settings.seed)
    head = model.build_head(
        shared_base.backbone.feature_count,
        len(dataset.class_names),
        settings.hidden_units,
        settings.dropout,
        settings.seed,
        settings.l2_regularization,
    )
    classifier = model.build_classifier(
        shared_base.base, head, shared_base.backbone, settings.image_size
    )
    model.compile_head(classifier, settings.learning_rate)
    history = classifier.fit(
        pixels[training_rows],
        labels[training_rows],
        validation_data=(pixels[validation_rows], labels[validation_rows]),
        epochs=settings.epochs,
        batch_size=batch_size,
        verbose=0,
    )
    return time.perf_counter() - started, float(history.history["val_accuracy"][-1])


def warm_up(shared_base, dataset: datasets.Dataset) -> None:
    """Runs the base once on photos outside the measured subset, as a warm server would have."""
    pixels = np.stack(
        [
            images.load_pixels(photo.read_bytes(), shared_base.input_size, photo.file_name)
            for photo in dataset.photos[-40:]
        ]
    )
    for size in (32, 8, 4, 1):
        shared_base.embed_batch(pixels[:size])


def main(argv=None) -> int:
    """Runs the benchmark and prints its figures; returns the exit status."""
    repository = pathlib.Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(prog="python -m tlcore.bench", description=__doc__)
    parser.add_argument("--data", default=str(repository.parent / "shared/data/grocery-store"))
    parser.add_argument("--classes", type=int, default=5)
    parser.add_argument("--photos-per-class", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--plain-batch-size", type=int, default=5)
    parser.add_argument("--predictions", type=int, default=50)
    parser.add_argument("--skip-plain", action="store_true", help="skip the slow plain recipe")
    parser.add_argument("--skip-full", action="store_true", help="skip the full train/val run")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument(
        "--weights-dir",
        default=os.environ.get("TLCORE_WEIGHTS_DIR") or _shared_weights(repository),
        help="folder holding the pretrained weights (default: $TLCORE_WEIGHTS_DIR, else "
        "../shared/weights when it exists, else Keras' cache)",
    )
    arguments = parser.parse_args(argv)
    if arguments.weights_dir:
        os.environ["TLCORE_WEIGHTS_DIR"] = str(arguments.weights_dir)
    try:
        return run(arguments)
    except errors.TlcoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _shared_weights(repository: pathlib.Path) -> str | None:
    shared = repository.parent / "shared" / "weights"
    return str(shared) if shared.is_dir() else None


def run(arguments) -> int:
    """Measures everything the arguments ask for, printing figures as they come."""

    data = pathlib.Path(arguments.data)
    figures: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
        "device": device.describe_device(),
        "keras_backend": keras.backend.backend(),
    }
    print(f"Machine: {figures['machine']}; running on {figures['device']}")

    train_set = datasets.load_dataset(data / "train")
    small = subset(train_set, arguments.classes, arguments.photos_per_class)
    settings = training.TrainingSettings(epochs=arguments.epochs, image_size=arguments.image_size)
    started = time.perf_counter()
    shared_base = model.get_base(settings.backbone, settings.image_size)
    figures["base_load_seconds"] = time.perf_counter() - started
    warm_up(shared_base, train_set)
    print(
        f"Subset: {len(small.photos)} photos, {len(small.class_names)} classes, "
        f"{settings.image_size} px, {settings.epochs} epochs"
    )

    with tempfile.TemporaryDirectory() as cache_dir:
        started = time.perf_counter()
        cold = training.train(small, settings, cache_dir=cache_dir)
        figures["tlcore_end_to_end_seconds"] = time.perf_counter() - started
        started = time.perf_counter()
        warm = training.train(small, settings, cache_dir=cache_dir)
        figures["tlcore_cached_seconds"] = time.perf_counter() - started
        figures["tlcore_validation_accuracy"] = warm.evaluation.accuracy
        end_to_end = figures["tlcore_end_to_end_seconds"]
        print(f"tlcore, end to end (embeddings computed): {end_to_end:.2f} s")
        print(
            f"tlcore, embeddings cached:                {figures['tlcore_cached_seconds']:.2f} s"
            f"  (target <= 2 s; validation accuracy {warm.evaluation.accuracy:.1%})"
        )

        if not arguments.skip_plain:
            plain_seconds, plain_accuracy = plain_recipe_seconds(
                small, settings, arguments.plain_batch_size
            )
            figures["plain_recipe_seconds"] = plain_seconds
            figures["plain_recipe_validation_accuracy"] = plain_accuracy
            figures["speedup_end_to_end"] = plain_seconds / figures["tlcore_end_to_end_seconds"]
            print(
                f"plain recipe (fit on pixels, batch {arguments.plain_batch_size}):     "
                f"{plain_seconds:.2f} s  -> tlcore is {figures['speedup_end_to_end']:.1f}x "
                f"faster end to end (target >= 10x)"
            )

        photo_paths = [photo.path for photo in train_set.photos[: arguments.predictions]]
        prediction.predict(cold, [photo_paths[0]])
        latencies = []
        for path in photo_paths:
            started = time.perf_counter()
            prediction.predict(cold, [path])
            latencies.append((time.perf_counter() - started) * 1000)
        figures["prediction_median_ms"] = statistics.median(latencies)
        figures["prediction_p95_ms"] = float(np.percentile(latencies, 95))
        print(
            f"prediction per photo (decode + model): median {figures['prediction_median_ms']:.1f} "
            f"ms, p95 {figures['prediction_p95_ms']:.1f} ms (target median <= 50 ms)"
        )

        if not arguments.skip_full:
            full_settings = training.TrainingSettings(image_size=arguments.image_size)
            phase_started: dict[str, float] = {}

            def note_phase(progress: training.Progress) -> None:
                phase_started.setdefault(progress.phase, time.perf_counter())

            started = time.perf_counter()
            full = training.train(
                train_set, full_settings, on_progress=note_phase, cache_dir=cache_dir
            )
            figures["full_train_seconds"] = time.perf_counter() - started
            figures["full_train_photos"] = len(train_set.photos)
            embedding_seconds = phase_started["training"] - phase_started["embedding"]
            figures["embedding_photos_per_second"] = len(train_set.photos) / embedding_seconds
            print(
                f"all of train ({len(train_set.photos)} photos, {len(train_set.class_names)} "
                f"classes, default settings): {figures['full_train_seconds']:.1f} s, of which "
                f"embedding {embedding_seconds:.1f} s "
                f"({figures['embedding_photos_per_second']:.0f} photos/s)"
            )
            if (data / "val").is_dir():
                val_set = datasets.load_dataset(data / "val")
                started = time.perf_counter()
                scores = evaluation.evaluate_dataset(full, val_set)
                figures["full_val_evaluate_seconds"] = time.perf_counter() - started
                figures["full_val_accuracy"] = scores.accuracy
                figures["full_val_photos"] = scores.photo_count
                print(
                    f"accuracy on val ({scores.photo_count} photos): {scores.accuracy:.1%} "
                    f"(target >= 70%)"
                )

    figures["peak_memory_mib"] = peak_memory_mib()
    print(f"peak memory: {figures['peak_memory_mib']:.0f} MiB")
    if arguments.json:
        pathlib.Path(arguments.json).write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
