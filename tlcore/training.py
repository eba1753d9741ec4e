"""Training a new head on the frozen base's cached features.

`train` runs the whole recipe: wait for this process's training turn, load the shared base,
embed each photo once (cached on disk), split off validation photos class by class, fit the
head with Keras on the features, join base and head into one model, and score it. Progress
goes to a callback the caller supplies, so the same function drives a Streamlit progress bar,
a terminal bar, or nothing.
"""

import dataclasses
import datetime
import os
from collections.abc import Callable

import keras
import numpy as np

from tlcore import (
    backbones,
    datasets,
    device,
    embeddings,
    errors,
    evaluation,
    model,
    splitting,
)

# How much of the overall progress bar each phase takes.
_EMBEDDING_SHARE = 0.6


@dataclasses.dataclass
class TrainingSettings:
    """Everything that decides how a model is trained.

    Args:
        epochs: How many passes over the training photos.
        batch_size: How many photos per training step.
        learning_rate: Adam's step size.
        image_size: The square size photos are resized to before the base sees them.
        validation_split: The share of each class's photos kept aside to check the model.
        seed: Seeds the split, the initial weights and the shuffling.
        hidden_units: The width of the head's hidden layer.
        dropout: The share of hidden units dropped while training, against over-fitting.
        l2_regularization: The L2 penalty on the head's weights, against over-fitting too.
        backbone: The pretrained network, a key of `backbones.BACKBONES`.
    """

    # The defaults were chosen on the Grocery Store photos (81 classes): scored on its `val`
    # photos after training on `train`, dropout 0.5 with an L2 penalty of 0.003 over 40 epochs
    # reached 71-73% across seeds, against 66-71% for dropout 0.2 without a penalty.
    epochs: int = 40
    batch_size: int = 32
    learning_rate: float = 0.001
    image_size: int = 224
    validation_split: float = 0.2
    seed: int = 0
    hidden_units: int = 128
    dropout: float = 0.5
    l2_regularization: float = 0.003
    backbone: str = backbones.DEFAULT_BACKBONE

    def validate(self) -> "TrainingSettings":
        """Checks every setting, returning the settings for chaining.

        Raises:
            SettingsError: Naming the first setting out of range and the range it must be in.
        """
        backbone = backbones.get_backbone(self.backbone)
        backbones.check_image_size(backbone, self.image_size)
        checks = [
            ("The number of epochs", self.epochs, 1, 1000),
            ("The batch size", self.batch_size, 1, 1024),
            ("The learning rate", self.learning_rate, 1e-6, 1.0),
            ("The share of photos kept for checking", self.validation_split, 0.05, 0.5),
            ("The hidden layer width", self.hidden_units, 1, 4096),
            ("The dropout", self.dropout, 0.0, 0.9),
            ("The L2 penalty", self.l2_regularization, 0.0, 1.0),
        ]
        for label, value, lowest, highest in checks:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise errors.SettingsError(f"{label} must be a number, not {value!r}.")
            if not lowest <= value <= highest:
                raise errors.SettingsError(
                    f"{label} must be between {lowest:g} and {highest:g}, not {value:g}."
                )
        return self

    def to_dict(self) -> dict:
        """Returns the settings as plain JSON-ready data."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "TrainingSettings":
        """Rebuilds settings from `to_dict`'s output, ignoring unknown keys."""
        known = {field.name for field in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})


@dataclasses.dataclass(frozen=True)
class Progress:
    """One report on a training's way.

    Args:
        phase: "waiting" (behind another training), "loading" (the pretrained network),
            "embedding" (photos through the base), "training" (epochs of the head), "finished".
        done: Units of the phase done: photos embedded, or epochs trained.
        total: Units of the phase in all.
        epoch: The epoch just finished, from 1, while training.
        epochs: The epochs in all.
        loss: The training loss of that epoch.
        accuracy: The training accuracy of that epoch.
        val_loss: The validation loss of that epoch.
        val_accuracy: The validation accuracy of that epoch.
        queue_position: While waiting, the place in the queue (1 means next).
    """

    phase: str
    done: int = 0
    total: int = 0
    epoch: int | None = None
    epochs: int | None = None
    loss: float | None = None
    accuracy: float | None = None
    val_loss: float | None = None
    val_accuracy: float | None = None
    queue_position: int | None = None

    @property
    def fraction(self) -> float:
        """The share of the whole training done, from 0 to 1."""
        phase_fraction = self.done / self.total if self.total else 0.0
        if self.phase == "embedding":
            return _EMBEDDING_SHARE * phase_fraction
        if self.phase == "training":
            return _EMBEDDING_SHARE + (1 - _EMBEDDING_SHARE) * phase_fraction
        if self.phase == "finished":
            return 1.0
        return 0.0

    @property
    def message(self) -> str:
        """A one-line description for a person."""
        if self.phase == "waiting":
            return (
                f"Another training is running on this server. You are number "
                f"{self.queue_position} in the queue; yours starts automatically."
            )
        if self.phase == "loading":
            return "Loading the pretrained network…"
        if self.phase == "embedding":
            return f"Looking at your photos: {self.done} of {self.total}"
        if self.phase == "training":
            return f"Learning: round {self.done} of {self.total}"
        return "Finished."


ProgressCallback = Callable[[Progress], None]


@dataclasses.dataclass
class TrainedModel:
    """A trained classifier and everything known about how it was made.

    Args:
        model: One Keras model from raw RGB pixels (0-255) to class probabilities.
        class_names: The class of each output, in order.
        settings: The settings it was trained with.
        history: Per-epoch figures: loss, accuracy, val_loss, val_accuracy.
        evaluation: Its figures on the validation photos.
        backbone_id: The base and input size, such as `mobilenet_v2_1.0-224`.
        created_at: When training finished, ISO 8601 in UTC.
        photo_count: How many photos it was trained and checked on.
    """

    model: keras.Model
    class_names: list[str]
    settings: TrainingSettings
    history: dict[str, list[float]]
    evaluation: evaluation.Evaluation
    backbone_id: str
    created_at: str
    photo_count: int = 0

    @property
    def image_size(self) -> int:
        """The square size the pretrained base sees, in pixels."""
        return int(self.settings.image_size)

    @property
    def input_size(self) -> int:
        """The square size photos are resized to before the model (which crops their centre)."""
        return int(self.model.inputs[0].shape[1])


class _EpochReporter(keras.callbacks.Callback):
    """Passes each finished epoch's figures to the caller's progress callback."""

    def __init__(self, on_progress: ProgressCallback, epochs: int):
        super().__init__()
        self.on_progress = on_progress
        self.epochs = epochs

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.on_progress(
            Progress(
                phase="training",
                done=epoch + 1,
                total=self.epochs,
                epoch=epoch + 1,
                epochs=self.epochs,
                loss=_as_float(logs.get("loss")),
                accuracy=_as_float(logs.get("accuracy")),
                val_loss=_as_float(logs.get("val_loss")),
                val_accuracy=_as_float(logs.get("val_accuracy")),
            )
        )


def _as_float(value) -> float | None:
    return None if value is None else float(value)


def _fit_head(head, features, labels, training_rows, validation_rows, settings, callbacks):
    """Fits the head on in-memory features, validating on the held-out rows every epoch.

    Under TensorFlow the features go through a cached tf.data pipeline: Keras' NumPy adapter
    rebuilds its pipeline every epoch, which costs more than a small head's whole epoch, while
    the pipeline keeps 20 epochs well under a second. Other backends take the arrays directly.
    """
    training_data = (features[training_rows], labels[training_rows])
    validation_data = (features[validation_rows], labels[validation_rows])
    if keras.backend.backend() != "tensorflow":
        return head.fit(
            *training_data,
            validation_data=validation_data,
            epochs=settings.epochs,
            batch_size=settings.batch_size,
            shuffle=True,
            verbose=0,
            callbacks=callbacks,
        )
    import tensorflow as tf

    training_batches = (
        tf.data.Dataset.from_tensor_slices(training_data)
        .cache()
        .shuffle(len(training_rows), seed=settings.seed, reshuffle_each_iteration=True)
        .batch(settings.batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
    validation_batches = (
        tf.data.Dataset.from_tensor_slices(validation_data).cache().batch(settings.batch_size)
    )
    return head.fit(
        training_batches,
        validation_data=validation_batches,
        epochs=settings.epochs,
        # The pipeline shuffles itself, reproducibly from the seed.
        shuffle=False,
        verbose=0,
        callbacks=callbacks,
    )


def train(
    dataset: datasets.Dataset,
    settings: TrainingSettings | None = None,
    on_progress: ProgressCallback | None = None,
    cache_dir: str | os.PathLike | None = None,
    weights_dir: str | os.PathLike | None = None,
) -> TrainedModel:
    """Trains a classifier for the dataset's classes on the frozen pretrained base.

    Args:
        dataset: The labelled photos.
        settings: How to train; the defaults when None.
        on_progress: Called with a `Progress` at each step of the way.
        cache_dir: Where photo features are cached; `embeddings.default_cache_dir()` if None.
        weights_dir: An explicit folder holding the pretrained weights.

    Returns:
        The trained model with its history and validation figures.

    Raises:
        SettingsError: If a setting is out of range.
        DatasetError: If there are fewer than two classes or too few photos in one.
        WeightsNotFoundError: If the pretrained weights cannot be found.
        UnreadableImageError: If a photo can no longer be read.
    """
    settings = (settings or TrainingSettings()).validate()
    datasets.check_trainable(dataset)
    report = on_progress or (lambda progress: None)
    labels = np.asarray(dataset.labels, dtype=np.int64)
    training_rows, validation_rows = splitting.stratified_split(
        labels, settings.validation_split, settings.seed, dataset.class_names
    )

    def report_place(place: int) -> None:
        report(Progress(phase="waiting", queue_position=place))

    with device.training_queue.turn(on_wait=report_place):
        report(Progress(phase="loading"))
        shared_base = model.get_base(settings.backbone, settings.image_size, weights_dir)

        def report_embedding(done: int, total: int) -> None:
            report(Progress(phase="embedding", done=done, total=total))

        features = embeddings.embed_photos(
            dataset.photos,
            shared_base,
            embeddings.EmbeddingCache(cache_dir),
            on_progress=report_embedding,
        )
        keras.utils.set_random_seed(settings.seed)
        head = model.build_head(
            shared_base.backbone.feature_count,
            len(dataset.class_names),
            hidden_units=settings.hidden_units,
            dropout=settings.dropout,
            seed=settings.seed,
            l2_regularization=settings.l2_regularization,
        )
        model.compile_head(head, settings.learning_rate)
        fit_history = _fit_head(
            head,
            features,
            labels,
            training_rows,
            validation_rows,
            settings,
            callbacks=[_EpochReporter(report, settings.epochs)],
        )
        with shared_base.lock:
            classifier = model.build_classifier(
                shared_base.base, head, shared_base.backbone, settings.image_size
            )
        # A direct call: a small head needs no compiled predict function of its own.
        validation_probabilities = np.asarray(head(features[validation_rows], training=False))

    validation_photos = [dataset.photos[row] for row in validation_rows]
    scores = evaluation.evaluate(
        validation_probabilities,
        labels[validation_rows],
        dataset.class_names,
        file_names=[photo.file_name for photo in validation_photos],
        content_hashes=[photo.content_hash for photo in validation_photos],
    )
    history = {
        key: [float(value) for value in values] for key, values in fit_history.history.items()
    }
    report(Progress(phase="finished", done=1, total=1))
    return TrainedModel(
        model=classifier,
        class_names=list(dataset.class_names),
        settings=settings,
        history=history,
        evaluation=scores,
        backbone_id=shared_base.backbone_id,
        created_at=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        photo_count=len(dataset.photos),
    )
