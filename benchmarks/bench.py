"""The benchmark: speed, memory and accuracy figures on real photos, in one run.

    python -m benchmarks.bench --data ../shared/data/grocery-store

prints, first, Keras against ONNX Runtime (`benchmarks.bench_runtimes`; `--runtimes-only` stops
there, `--skip-runtimes` leaves it out); then, side by side: the plain recipe (`model.fit`
through the frozen base on pixels, batch 5) against tlcore's path for the same photos and
epochs; the time to a trained model once embeddings are cached; prediction latency per photo;
peak memory; accuracy on the data set's `val` split after training on all of `train`, with
default settings and then with augmented views and test-time augmentation; and, with
`--fine-tune`, the accuracy and time of fine-tuning. Figures depend on the machine: report them
with the machine's description, which the script prints first.
"""

import argparse
import dataclasses
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

from benchmarks import bench_runtimes, results  # noqa: E402
from tlcore import errors  # noqa: E402
from tlcore.data import augmentation, datasets, images, loading  # noqa: E402
from tlcore.evaluation import metrics  # noqa: E402
from tlcore.features import splitting  # noqa: E402
from tlcore.nets import device, model, prediction  # noqa: E402
from tlcore.training import trainer, types  # noqa: E402


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
    dataset: datasets.Dataset, settings: types.TrainingSettings, batch_size: int
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


# The augmented run's recipe, chosen on the grocery photos (train on `train`, score on `val`;
# see docs/decisions.md): 6 views a photo, over 20 epochs since each epoch is 7 times longer,
# and three heads averaged. One head's accuracy moved between 69% and 76% with its random
# start; three averaged moved far less.
RECOMMENDED_VIEWS = 6
RECOMMENDED_HEADS = 3
RECOMMENDED_EPOCHS_WITH_VIEWS = 20


def main(argv=None) -> int:
    """Runs the benchmark and prints its figures; returns the exit status."""
    repository = pathlib.Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench", description=__doc__)
    parser.add_argument("--data", default=str(repository.parent / "shared/data/grocery-store"))
    parser.add_argument("--classes", type=int, default=5)
    parser.add_argument("--photos-per-class", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--plain-batch-size", type=int, default=5)
    parser.add_argument("--predictions", type=int, default=50)
    parser.add_argument(
        "--skip-runtimes", action="store_true", help="skip Keras against ONNX Runtime"
    )
    parser.add_argument(
        "--runtimes-only", action="store_true", help="only Keras against ONNX Runtime"
    )
    bench_runtimes.add_arguments(parser)
    parser.add_argument("--skip-plain", action="store_true", help="skip the slow plain recipe")
    parser.add_argument("--skip-full", action="store_true", help="skip the full train/val run")
    parser.add_argument(
        "--augmentation-views",
        type=int,
        default=RECOMMENDED_VIEWS,
        help=f"augmented views per photo for the augmented run (default {RECOMMENDED_VIEWS})",
    )
    parser.add_argument(
        "--head-count",
        type=int,
        default=RECOMMENDED_HEADS,
        help=f"heads averaged in the augmented run (default {RECOMMENDED_HEADS})",
    )
    parser.add_argument(
        "--augmented-seeds",
        type=int,
        nargs="+",
        default=[0, 1, 2],
        help="the seeds of the augmented runs (each a split and random start); the figure is "
        "their mean",
    )
    parser.add_argument(
        "--skip-augmented", action="store_true", help="skip the run with augmented views + TTA"
    )
    parser.add_argument(
        "--fine-tune",
        action="store_true",
        help="also fine-tune on all of train and score on val (slow without a GPU)",
    )
    parser.add_argument(
        "--fine-tune-epochs",
        type=int,
        default=types.TrainingSettings().fine_tune_epochs,
        help="the most epochs of fine-tuning (early stopping may end it sooner)",
    )
    parser.add_argument(
        "--fine-tune-classes",
        type=int,
        help="fine-tune on the first classes only (with --fine-tune-photos-per-class): a short "
        "run that gives the time per epoch on a slow machine",
    )
    parser.add_argument("--fine-tune-photos-per-class", type=int, default=20)
    fine_tune_defaults = types.TrainingSettings()
    parser.add_argument("--fine-tune-blocks", type=int, default=fine_tune_defaults.fine_tune_blocks)
    parser.add_argument(
        "--fine-tune-learning-rate",
        type=float,
        default=fine_tune_defaults.fine_tune_learning_rate,
    )
    parser.add_argument(
        "--cache-dir",
        help="keep photo features here between runs (default: a temporary folder, so that "
        "the first figures include embedding)",
    )
    parser.add_argument("--json", help="also write the figures to this JSON file")
    add_weights_dir_argument(parser)
    arguments = parser.parse_args(argv)
    use_weights_dir(arguments)
    load_before = results.load_average()
    try:
        figures = run(arguments)
    except errors.TlcoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    results.record("bench", recorded_figures(figures), argv=argv, load_before=load_before)
    return 0


# The figures of `run` that are recorded (`benchmarks.results`): key, name, unit.
RECORDED = (
    ("base_load_seconds", "pretrained network loaded", "s"),
    ("tlcore_end_to_end_seconds", "subset to a trained model, features computed", "s"),
    ("tlcore_cached_seconds", "subset to a trained model, features cached", "s"),
    ("tlcore_validation_accuracy", "subset: validation accuracy", "fraction"),
    ("plain_recipe_seconds", "plain recipe (model.fit on pixels), same subset", "s"),
    ("speedup_end_to_end", "tlcore against the plain recipe, end to end", "times faster"),
    ("prediction_median_ms", "one photo's prediction, median", "ms"),
    ("prediction_p95_ms", "one photo's prediction, 95th percentile", "ms"),
    ("prediction_with_tta_median_ms", "one photo's prediction with test-time views, median", "ms"),
    ("full_train_seconds", "all of train, default settings", "s"),
    ("embedding_photos_per_second", "all of train: embedding", "photos/s"),
    ("full_val_accuracy", "all of train, default settings: accuracy on val", "fraction"),
    ("augmented_train_seconds", "augmented views and heads: training, mean", "s"),
    ("augmented_val_accuracy_without_tta", "augmented: accuracy on val, mean", "fraction"),
    ("augmented_val_accuracy", "augmented, test-time augmentation: accuracy on val", "fraction"),
    ("fine_tune_seconds_per_epoch", "fine-tuning: one epoch", "s"),
    ("fine_tune_train_seconds", "fine-tuning: training in all", "s"),
    ("fine_tune_val_accuracy", "fine-tuned: accuracy on val", "fraction"),
    ("peak_memory_mib", "peak memory of the process", "MiB"),
)

# The runtimes' figures (`bench_runtimes`), each recorded as its best and its median.
RECORDED_RUNTIMES = (
    ("features_per_second", "JPEG files to features", "photos/s"),
    ("features_per_cpu_second", "JPEG files to features, per CPU-second", "photos/CPU-s"),
    ("base_alone_per_second", "the base alone, photos decoded before", "photos/s"),
    ("predict_ms", "one photo's prediction in-process, median", "ms"),
    ("cli_predict_seconds", "python -m tlcore predict, whole process", "s"),
    ("train_photos_per_second", "python -m tlcore train, empty cache", "photos/s"),
    ("train_seconds", "python -m tlcore train, whole process", "s"),
    ("train_peak_mib", "python -m tlcore train, peak memory", "MiB"),
    ("hundred_seconds", "100 photos to a trained model, in-process", "s"),
    ("hundred_cpu_seconds", "100 photos to a trained model, CPU seconds", "CPU-s"),
)


def recorded_figures(figures: dict) -> list[tuple]:
    """The figures of a run as `results.record` takes them: (name, value, unit)."""
    recorded = [
        (name, figures[key], unit)
        for key, name, unit in RECORDED
        if isinstance(figures.get(key), int | float)
    ]
    runtimes_figures = figures.get("runtimes", {})
    titles = {"keras": "Keras", "onnx": "ONNX Runtime"}
    for runtime, title in titles.items():
        measured = runtimes_figures.get(runtime)
        if not measured:
            continue
        for key, name, unit in RECORDED_RUNTIMES:
            values = measured.get(key) or []
            if not values:
                continue
            if len(values) == 1:
                recorded.append((f"{title}: {name}", values[0], unit))
                continue
            best = max(values) if key in bench_runtimes.HIGHER_IS_BETTER else min(values)
            recorded.append((f"{title}: {name}, best of {len(values)}", best, unit))
            median = statistics.median(values)
            recorded.append((f"{title}: {name}, median of {len(values)}", median, unit))
    if "features_max_difference" in runtimes_figures:
        difference = runtimes_figures["features_max_difference"]
        recorded.append(("largest difference between the runtimes' features", difference, ""))
    return recorded


def add_weights_dir_argument(parser: argparse.ArgumentParser) -> None:
    """Adds `--weights-dir`: `$TLCORE_WEIGHTS_DIR` by default, else `../shared/weights` beside
    the repository when it exists, else None (Keras' cache)."""
    shared = pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "weights"
    parser.add_argument(
        "--weights-dir",
        default=os.environ.get("TLCORE_WEIGHTS_DIR") or (str(shared) if shared.is_dir() else None),
        help="folder holding the pretrained weights (default: $TLCORE_WEIGHTS_DIR, else "
        "../shared/weights when it exists, else Keras' cache)",
    )


def use_weights_dir(arguments: argparse.Namespace) -> None:
    """Points the engine at `--weights-dir`, when there is one, for the whole run."""
    if arguments.weights_dir:
        os.environ["TLCORE_WEIGHTS_DIR"] = str(arguments.weights_dir)


def run(arguments) -> dict:
    """Measures everything the arguments ask for, printing figures as they come; returns
    them."""

    data = pathlib.Path(arguments.data)
    figures: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
        "device": device.describe_device(),
        "keras_backend": keras.backend.backend(),
    }
    print(f"Machine: {figures['machine']}; running on {figures['device']}")
    if not arguments.skip_runtimes:
        figures["runtimes"] = bench_runtimes.compare_runtimes(arguments)
        if arguments.runtimes_only:
            return figures

    train_set = loading.load_dataset(data / "train")
    small = subset(train_set, arguments.classes, arguments.photos_per_class)
    settings = types.TrainingSettings(epochs=arguments.epochs, image_size=arguments.image_size)
    started = time.perf_counter()
    shared_base = model.get_base(settings.backbone, settings.image_size)
    figures["base_load_seconds"] = time.perf_counter() - started
    warm_up(shared_base, train_set)
    print(
        f"Subset: {len(small.photos)} photos, {len(small.class_names)} classes, "
        f"{settings.image_size} px, {settings.epochs} epochs"
    )

    with tempfile.TemporaryDirectory() as cache_dir:
        # The first figures time embedding, so they start from an empty cache; the runs on all
        # of train may reuse features kept from an earlier run.
        kept_cache_dir = arguments.cache_dir or cache_dir
        started = time.perf_counter()
        cold = trainer.train(small, settings, cache_dir=cache_dir)
        figures["tlcore_end_to_end_seconds"] = time.perf_counter() - started
        started = time.perf_counter()
        warm = trainer.train(small, settings, cache_dir=cache_dir)
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
        with_views = []
        for path in photo_paths[:20]:
            started = time.perf_counter()
            prediction.predict(cold, [path], test_time_augmentation=True)
            with_views.append((time.perf_counter() - started) * 1000)
        figures["prediction_with_tta_median_ms"] = statistics.median(with_views)
        print(
            "prediction per photo with test-time augmentation "
            f"({augmentation.TEST_TIME_VIEW_COUNT} views): median "
            f"{figures['prediction_with_tta_median_ms']:.1f} ms"
        )

        if not arguments.skip_full:
            full_settings = types.TrainingSettings(image_size=arguments.image_size)
            phase_started: dict[str, float] = {}

            def note_phase(progress: types.Progress) -> None:
                phase_started.setdefault(progress.phase, time.perf_counter())

            started = time.perf_counter()
            full = trainer.train(
                train_set, full_settings, on_progress=note_phase, cache_dir=kept_cache_dir
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
                val_set = loading.load_dataset(data / "val")
                started = time.perf_counter()
                scores = metrics.evaluate_dataset(full, val_set)
                figures["full_val_evaluate_seconds"] = time.perf_counter() - started
                figures["full_val_accuracy"] = scores.accuracy
                figures["full_val_photos"] = scores.photo_count
                print(
                    f"accuracy on val ({scores.photo_count} photos): {scores.accuracy:.1%} "
                    f"(target >= 70%)"
                )

        if not arguments.skip_augmented:
            _augmented_run(arguments, data, train_set, figures, kept_cache_dir)
        if arguments.fine_tune:
            _fine_tuning_run(arguments, data, train_set, figures, kept_cache_dir)

    figures["peak_memory_mib"] = peak_memory_mib()
    print(f"peak memory: {figures['peak_memory_mib']:.0f} MiB")
    if arguments.json:
        pathlib.Path(arguments.json).write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures))
    return figures


def _score_on_val(trained: types.TrainedModel, data: pathlib.Path):
    """Returns the model's evaluation on the data set's `val` photos, or None without them."""
    if not (data / "val").is_dir():
        return None
    return metrics.evaluate_dataset(trained, loading.load_dataset(data / "val"))


def _augmented_run(arguments, data, train_set, figures: dict, cache_dir: str) -> None:
    """Trains on all of train with augmented views and scores on val with and without TTA,
    once for each of `--augmented-seeds` (the split and the heads' random starts)."""
    if not (data / "val").is_dir():
        return
    val_set = loading.load_dataset(data / "val")
    with_tta, without_tta, seconds = [], [], []
    for seed in arguments.augmented_seeds:
        settings = types.TrainingSettings(
            image_size=arguments.image_size,
            epochs=RECOMMENDED_EPOCHS_WITH_VIEWS,
            augmentation_views=arguments.augmentation_views,
            head_count=arguments.head_count,
            test_time_augmentation=True,
            seed=seed,
        )
        started = time.perf_counter()
        trained = trainer.train(train_set, settings, cache_dir=cache_dir)
        seconds.append(time.perf_counter() - started)
        with_tta.append(metrics.evaluate_dataset(trained, val_set).accuracy)
        plain = dataclasses.replace(
            trained, settings=dataclasses.replace(settings, test_time_augmentation=False)
        )
        without_tta.append(metrics.evaluate_dataset(plain, val_set).accuracy)
        print(
            f"  seed {seed}: {seconds[-1]:.1f} s to train; accuracy on val {without_tta[-1]:.1%}, "
            f"with test-time augmentation {with_tta[-1]:.1%}"
        )
    figures["augmented_views"] = arguments.augmentation_views
    figures["augmented_heads"] = arguments.head_count
    figures["augmented_seeds"] = list(arguments.augmented_seeds)
    figures["augmented_train_seconds"] = statistics.mean(seconds)
    figures["augmented_val_accuracy_without_tta"] = statistics.mean(without_tta)
    figures["augmented_val_accuracy"] = statistics.mean(with_tta)
    print(
        f"with {arguments.augmentation_views} augmented views a photo (embedded once, cached) "
        f"and {arguments.head_count} heads averaged, mean of {len(with_tta)} starts: accuracy "
        f"on val {figures['augmented_val_accuracy_without_tta']:.1%}, with test-time "
        f"augmentation ({augmentation.TEST_TIME_VIEW_COUNT} unmirrored views) "
        f"{figures['augmented_val_accuracy']:.1%} (target >= 74%)"
    )


def _fine_tuning_run(arguments, data, train_set, figures: dict, cache_dir: str) -> None:
    """Fine-tunes after the head, on all of train (or a subset), and scores on val."""
    dataset = train_set
    if arguments.fine_tune_classes:
        dataset = subset(
            train_set, arguments.fine_tune_classes, arguments.fine_tune_photos_per_class
        )
    settings = types.TrainingSettings(
        image_size=arguments.image_size,
        epochs=(
            RECOMMENDED_EPOCHS_WITH_VIEWS
            if arguments.augmentation_views
            else types.TrainingSettings().epochs
        ),
        augmentation_views=arguments.augmentation_views,
        test_time_augmentation=True,
        fine_tune=True,
        fine_tune_epochs=arguments.fine_tune_epochs,
        fine_tune_blocks=arguments.fine_tune_blocks,
        fine_tune_learning_rate=arguments.fine_tune_learning_rate,
    )
    epoch_ends: list[float] = []
    started = time.perf_counter()

    def note_epoch(progress: types.Progress) -> None:
        if progress.phase == "fine-tuning" and progress.epoch is not None:
            epoch_ends.append(time.perf_counter())
            # Each epoch is printed as it ends, so a run cut short still tells its pace.
            print(
                f"  fine-tuning epoch {progress.done}: validation accuracy "
                f"{progress.val_accuracy:.1%}, loss {progress.val_loss:.3f}, "
                f"{epoch_ends[-1] - started:.0f} s since the start",
                file=sys.stderr,
                flush=True,
            )

    trained = trainer.train(dataset, settings, on_progress=note_epoch, cache_dir=cache_dir)
    summary = trained.fine_tuning or {}
    figures["fine_tune_photos"] = len(dataset.photos)
    figures["fine_tune_train_seconds"] = time.perf_counter() - started
    figures["fine_tune_seconds"] = summary.get("seconds")
    figures["fine_tune_epochs_run"] = summary.get("epochs_run")
    figures["fine_tune_kept"] = summary.get("kept")
    if len(epoch_ends) > 1:
        # The first epoch also compiles the model: the later ones give the steady pace.
        figures["fine_tune_seconds_per_epoch"] = statistics.median(np.diff(epoch_ends))
    figures["fine_tune_validation_accuracy"] = trained.evaluation.accuracy
    print(
        f"fine-tuned ({len(dataset.photos)} photos, {summary.get('epochs_run')} epochs, "
        f"{settings.fine_tune_blocks} blocks, learning rate {settings.fine_tune_learning_rate:g}"
        f", kept: {summary.get('kept')}): {figures['fine_tune_train_seconds']:.1f} s in all, "
        f"{summary.get('seconds', 0):.1f} s fine-tuning"
        + (
            f" ({figures['fine_tune_seconds_per_epoch']:.1f} s an epoch)"
            if "fine_tune_seconds_per_epoch" in figures
            else ""
        )
        + f"; validation accuracy {trained.evaluation.accuracy:.1%}"
    )
    if arguments.fine_tune_classes:
        return
    scores = _score_on_val(trained, data)
    if scores is not None:
        figures["fine_tune_val_accuracy"] = scores.accuracy
        print(f"fine-tuned, accuracy on val: {scores.accuracy:.1%} (target >= 86%)")


if __name__ == "__main__":
    sys.exit(main())
