"""The command line: train, evaluate and predict from a terminal.

`python -m tlcore train DATA --out MODEL.zip` trains on a folder or zip of labelled photos;
`python -m tlcore evaluate MODEL.zip DATA` prints one JSON object of figures;
`python -m tlcore predict MODEL.zip PHOTO...` prints one JSON line per photo;
`python -m tlcore worker` runs the app's queued jobs (`tlcore.jobs.worker`). The `tlcore`
command, installed with the package (`pip install .`), is the same as `python -m tlcore`.
Progress goes to stderr, results to stdout. Bad input exits with status 2 and a one-line
message.
"""

import argparse
import functools
import importlib
import json
import os
import sys
import time
from collections.abc import Sequence

from tlcore import errors
from tlcore.data import loading
from tlcore.jobs import worker_options
from tlcore.nets import startup

EXIT_BAD_INPUT = 2


class TerminalProgress:
    """Draws a one-line progress bar on stderr, redrawn in place.

    Args:
        stream: Where to draw; stderr by default.
        width: The bar's width in characters.
    """

    def __init__(self, stream=None, width: int = 30):
        self.stream = stream or sys.stderr
        self.width = width
        self.last_line = ""
        self.started = time.monotonic()

    def draw(self, fraction: float, text: str) -> None:
        """Redraws the bar at a fraction from 0 to 1 with a short text after it."""
        filled = int(round(self.width * max(0.0, min(1.0, fraction))))
        bar = "#" * filled + "-" * (self.width - filled)
        elapsed = time.monotonic() - self.started
        line = f"[{bar}] {fraction * 100:5.1f}% {elapsed:5.1f}s {text}"
        padding = " " * max(0, len(self.last_line) - len(line))
        self.stream.write("\r" + line + padding)
        self.stream.flush()
        self.last_line = line

    def training_callback(self, progress) -> None:
        """A `training.trainer.train` progress callback."""
        text = progress.message
        if progress.phase in ("training", "fine-tuning") and progress.val_accuracy is not None:
            text += (
                f" (loss {progress.loss:.3f}, accuracy {progress.accuracy:.1%}, "
                f"validation accuracy {progress.val_accuracy:.1%})"
            )
        self.draw(progress.fraction, text)

    def count_callback(self, label: str):
        """Returns a (done, total) callback that draws `label` with the counts."""

        def callback(done: int, total: int) -> None:
            self.draw(done / total if total else 1.0, f"{label}: {done} of {total}")

        return callback

    def finish(self) -> None:
        """Ends the bar's line."""
        if self.last_line:
            self.stream.write("\n")
            self.stream.flush()


class FriendlyParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line and exit with status 2."""

    def error(self, message):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message} (see --help)\n")


def program_name() -> str:
    """Returns the command as it was typed, for the help and the usage errors.

    The `tlcore` console command (installed with the package) runs a script of that name;
    `python -m tlcore` runs `tlcore/__main__.py`.
    """
    return "tlcore" if os.path.basename(sys.argv[0]) == "tlcore" else "python -m tlcore"


def build_parser() -> argparse.ArgumentParser:
    """Returns the parser of `python -m tlcore`.

    The training options default to None, meaning "the setting's default": the defaults live
    in `training.types.TrainingSettings`, and importing it (and TensorFlow with it) here would slow
    down `predict`, which runs without TensorFlow.
    """
    parser = FriendlyParser(
        prog=program_name(),
        description="Train an image classifier on labelled photos, check it, and use it.",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=FriendlyParser)

    train = commands.add_parser(
        "train",
        help="train a model on a folder or zip of photos, one sub-folder a class",
        description="Train a model on DATA: a folder or a .zip with one sub-folder a class.",
    )
    train.add_argument("data", help="folder or .zip of photos, one sub-folder a class")
    train.add_argument("--out", required=True, help="project file to write (.zip)")
    train.add_argument(
        "--test",
        help="folder or .zip of test photos (one sub-folder a class) that training never sees; "
        "the headline is measured on them",
    )
    train.add_argument("--epochs", type=int, default=None)
    train.add_argument("--batch-size", type=int, default=None)
    train.add_argument("--learning-rate", type=float, default=None)
    train.add_argument("--image-size", type=int, default=None, help="96, 128, 160, 192 or 224")
    train.add_argument(
        "--validation-split",
        type=float,
        default=None,
        help="share of each class kept aside to check the model (default 0.2)",
    )
    train.add_argument("--seed", type=int, default=None)
    train.add_argument("--dropout", type=float, default=None)
    train.add_argument("--hidden-units", type=int, default=None)
    train.add_argument("--l2", type=float, default=None, help="L2 penalty")
    train.add_argument(
        "--augmentation-views",
        type=int,
        default=None,
        help="augmented views of each training photo the head also learns from (cached)",
    )
    train.add_argument(
        "--head-count",
        type=int,
        default=None,
        help="heads trained from different random starts and averaged",
    )
    train.add_argument(
        "--test-time-augmentation",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="average each photo's prediction with those of 8 changed copies of it",
    )
    train.add_argument(
        "--fine-tune",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="after the head, fine-tune the top of the pretrained network (slow without a GPU)",
    )
    train.add_argument("--fine-tune-epochs", type=int, default=None)
    train.add_argument("--fine-tune-learning-rate", type=float, default=None)
    _add_common_arguments(train)

    evaluate = commands.add_parser(
        "evaluate",
        help="print a model's figures on labelled photos as one JSON object",
        description="Evaluate MODEL on DATA (one sub-folder a class); prints one JSON object.",
    )
    evaluate.add_argument("model", help="project file (.zip) written by 'train'")
    evaluate.add_argument("data", help="folder or .zip of photos, one sub-folder a class")
    _add_common_arguments(evaluate)

    predict = commands.add_parser(
        "predict",
        help="print the most likely classes of photos, one JSON line each",
        description="Predict the class of each PHOTO; prints one JSON line per photo.",
    )
    predict.add_argument("model", help="project file (.zip) written by 'train'")
    predict.add_argument("photos", nargs="+", help="photo files")
    predict.add_argument("--top", type=int, default=3, help="how many classes to list")
    _add_common_arguments(predict)

    worker_parser = commands.add_parser(
        "worker",
        help="run the app's queued jobs (trainings) until stopped",
        description=worker_options.HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    worker_options.add_arguments(worker_parser)
    return parser


def _add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--weights-dir",
        help="folder holding the pretrained weight file (else $TLCORE_WEIGHTS_DIR, Keras' "
        "cache, or a download)",
    )
    parser.add_argument(
        "--cache-dir", help="folder for cached photo features (else $TLCORE_CACHE_DIR)"
    )
    parser.add_argument("--quiet", action="store_true", help="draw no progress bar")
    parser.add_argument(
        "--verbose", action="store_true", help="also show TensorFlow's own start-up log"
    )


def _progress(arguments) -> TerminalProgress:
    return TerminalProgress(stream=open(os.devnull, "w") if arguments.quiet else None)


def start_tensorflow(arguments) -> None:
    """Imports TensorFlow before the first command that needs it, quietly unless `--verbose`.

    TensorFlow's start-up log is for its developers: a person sees only our lines. `predict`
    through a project file's ONNX model never calls it, so it never imports TensorFlow.
    """
    if not arguments.verbose:
        startup.start_quietly()


def run_train(arguments) -> int:
    """Trains and writes the project file; prints a short summary on stdout.

    TensorFlow is imported in a thread while the photos are read and, where the base's ONNX
    form was checked before, embedded (`features.early_embeddings`); nothing is printed until
    it is in.
    """
    from tlcore.features import early_embeddings

    if not arguments.fine_tune and early_embeddings.features_without_keras(
        arguments.image_size, arguments.weights_dir
    ):
        _one_tensorflow_thread()
    starting = startup.start_in_background(
        quiet=not arguments.verbose, then=functools.partial(_build_base, arguments)
    )
    progress = _progress(arguments)
    try:
        dataset = loading.load_dataset(arguments.data)
        test_dataset = loading.load_dataset(arguments.test) if arguments.test else None
        # The bar shows once TensorFlow is in (standard error points at nothing until then).
        early_embeddings.embed_early(
            dataset.photos,
            arguments.image_size,
            arguments.cache_dir,
            arguments.weights_dir,
            on_progress=progress.count_callback("Embedding photos"),
        )
    finally:
        starting.join()
    from tlcore.serving import project_file
    from tlcore.training import trainer, types

    given = {
        "epochs": arguments.epochs,
        "batch_size": arguments.batch_size,
        "learning_rate": arguments.learning_rate,
        "image_size": arguments.image_size,
        "validation_split": arguments.validation_split,
        "seed": arguments.seed,
        "dropout": arguments.dropout,
        "hidden_units": arguments.hidden_units,
        "l2_regularization": arguments.l2,
        "augmentation_views": arguments.augmentation_views,
        "head_count": arguments.head_count,
        "test_time_augmentation": arguments.test_time_augmentation,
        "fine_tune": arguments.fine_tune,
        "fine_tune_epochs": arguments.fine_tune_epochs,
        "fine_tune_learning_rate": arguments.fine_tune_learning_rate,
    }
    settings = types.TrainingSettings(
        **{name: value for name, value in given.items() if value is not None}
    ).validate()
    for skipped in dataset.skipped:
        print(f"Skipped {skipped.file_name}: {skipped.reason}", file=sys.stderr)
    for duplicate in dataset.duplicates:
        print(
            f"Skipped {duplicate.file_name}: the same photo as {duplicate.duplicate_of}",
            file=sys.stderr,
        )
    try:
        trained = trainer.train(
            dataset,
            settings,
            on_progress=progress.training_callback,
            cache_dir=arguments.cache_dir,
            weights_dir=arguments.weights_dir,
            test_dataset=test_dataset,
        )
    finally:
        progress.finish()
    project_file.save_project(trained, arguments.out)
    summary = {
        "project": os.fspath(arguments.out),
        "classes": trained.class_names,
        "photos": trained.photo_count,
        "headline": trained.headline.to_dict() if trained.headline is not None else None,
        "validation_accuracy": trained.evaluation.accuracy,
        "validation_photos": trained.evaluation.photo_count,
        "unknown_threshold": trained.unknown_threshold,
    }
    if trained.fine_tuning is not None:
        summary["fine_tuning"] = trained.fine_tuning
    print(json.dumps(summary))
    return 0


def _one_tensorflow_thread() -> None:
    """Gives TensorFlow one thread for its operations, before it is imported, unless the
    environment says otherwise.

    Only for a training whose features ONNX Runtime computes and that does not fine-tune:
    TensorFlow then runs only the small head, whose operations cost more spread over two
    cores than they save (the same trained model; 600 photos took about 1.2 CPU-seconds
    less, 7%, measured in turns on this 2-core CPU).
    """
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
    os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")


def _build_base(arguments) -> None:
    """Builds the Keras base training will ask for (`nets.model.get_base` keeps it for the
    process), in the thread that imported TensorFlow, while the photos are embedded."""
    from tlcore.nets import model

    model.get_base(image_size=arguments.image_size, weights_dir=arguments.weights_dir)


def run_evaluate(arguments) -> int:
    """Prints the model's figures on the labelled photos as one JSON object."""
    start_tensorflow(arguments)
    from tlcore.evaluation import metrics
    from tlcore.serving import project_file

    trained = project_file.load_project(arguments.model)
    dataset = loading.load_dataset(arguments.data)
    progress = _progress(arguments)
    try:
        scores = metrics.evaluate_dataset(
            trained, dataset, on_progress=progress.count_callback("Checking photos")
        )
    finally:
        progress.finish()
    result = scores.to_dict()
    result["skipped"] = [
        {"file": skipped.file_name, "reason": skipped.reason} for skipped in dataset.skipped
    ]
    print(json.dumps(result))
    return 0


def run_predict(arguments) -> int:
    """Prints one JSON line per photo; unreadable photos get an error line.

    The project file's ONNX model answers, without importing TensorFlow; a file without a
    usable one is predicted with Keras, and stderr says why.
    """
    from tlcore.nets import prediction
    from tlcore.serving import onnx_project, project_file

    trained, reason = onnx_project.load_for_prediction(arguments.model)
    if trained is None:
        if reason:
            print(f"{reason} Predicting with Keras instead.", file=sys.stderr)
        start_tensorflow(arguments)
        trained = project_file.load_project(arguments.model)
    paths = list(arguments.photos)
    results = prediction.predict(trained, paths, top_k=arguments.top, file_names=paths)
    for result in results:
        print(json.dumps(result.to_dict()))
    return 0 if all(result.error is None for result in results) else EXIT_BAD_INPUT


_COMMANDS = {"train": run_train, "evaluate": run_evaluate, "predict": run_predict}

# Commands whose module is imported only when they run: the worker's brings Huey, the job
# records and the store (about a fifth of a second), which the other commands never use.
_COMMAND_MODULES = {"worker": ("tlcore.jobs.worker", "run")}


def command_function(name: str):
    """Returns the function that runs a command, importing its module if it has its own."""
    if name in _COMMANDS:
        return _COMMANDS[name]
    module_name, function_name = _COMMAND_MODULES[name]
    return getattr(importlib.import_module(module_name), function_name)


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line.

    Args:
        argv: The arguments after the program name; `sys.argv[1:]` when None.

    Returns:
        The exit status: 0 on success, 2 on bad input.
    """
    arguments = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return command_function(arguments.command)(arguments)
    except errors.TlcoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("error: stopped.", file=sys.stderr)
        return 130
