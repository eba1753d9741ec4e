"""Training a new head on the frozen base's cached features, and optionally fine-tuning.

`train` runs the whole recipe: wait for this process's training turn, load the shared base,
embed each photo once (cached on disk), split off validation photos class by class keeping
near-copies together (`splitting.grouped_split`), embed the training photos' augmented views,
fit the head with Keras on the features, join base and head into one model, optionally
fine-tune the top of the base on pixels (`finetuning`), score it, and set the confidence
below which its answers read "not sure". Progress goes to a callback the caller supplies, so
the same function drives a Streamlit progress bar, a terminal bar, or nothing.
"""

# Annotations stay unevaluated: `TrainingSettings.augmentation` is named like the module its
# type comes from.
from __future__ import annotations

import dataclasses
import datetime
import os
from collections.abc import Callable

import keras
import numpy as np

from tlcore import (
    augmentation,
    backbones,
    datasets,
    device,
    embeddings,
    errors,
    evaluation,
    head_fitting,
    headline,
    model,
    onnx_base,
    prediction,
    runtimes,
    splitting,
    time_left,
)

# How much of the overall progress bar each phase takes, without and with fine-tuning (which
# takes far longer than the rest).
_PHASE_SHARES = {"embedding": 0.6, "training": 0.3, "measuring": 0.1, "fine-tuning": 0.0}
_PHASE_SHARES_WITH_FINE_TUNING = {
    "embedding": 0.15,
    "training": 0.08,
    "measuring": 0.02,
    "fine-tuning": 0.75,
}
_PHASE_ORDER = ("embedding", "training", "measuring", "fine-tuning")

# The share of correct validation answers that must stay "sure": the confidence below which
# an answer reads "not sure" is set so that 95% of the validation photos the model got right
# are above it.
SURE_SHARE_OF_CORRECT = 0.95

# The rule for models saved before the threshold was measured (see `TrainedModel`).
FALLBACK_UNKNOWN_THRESHOLD = prediction.FALLBACK_UNKNOWN_THRESHOLD


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
        augmentation_views: How many augmented views of each training photo the head also
            learns from. Each view is embedded once and cached, so training stays fast;
            validation photos are never augmented.
        augmentation: How strongly the views (and fine-tuning's photos) are changed.
        test_time_augmentation: Whether predictions average the photo with
            `augmentation.TEST_TIME_VIEW_COUNT` changed copies of it (`augmentation`'s changes,
            never mirrored).
        head_count: How many heads are trained, each from its own random start (seeds `seed`,
            `seed + 1`...), and averaged into one. With a few dozen photos a class, one head's
            accuracy moves by a few points from one random start to the next; the average of
            three moves far less and is better than most of them.
        fine_tune: Whether to fine-tune the top of the pretrained network after the head.
        fine_tune_epochs: The most passes of fine-tuning; it stops early when the validation
            loss stops falling, keeping the best weights.
        fine_tune_blocks: How many of the network's top blocks learn while fine-tuning.
        fine_tune_learning_rate: Adam's step size while fine-tuning, 10-100 times below the
            head's so the pretrained weights move only a little. On the grocery photos, 100
            times below (0.00001) raised the `val` accuracy, while 10 times below (0.0001)
            lowered it from the first epoch.
        fine_tune_patience: Epochs without a better validation loss before fine-tuning stops.
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
    augmentation_views: int = 0
    augmentation: augmentation.AugmentationSettings = dataclasses.field(
        default_factory=augmentation.AugmentationSettings
    )
    test_time_augmentation: bool = False
    head_count: int = 1
    fine_tune: bool = False
    fine_tune_epochs: int = 10
    fine_tune_blocks: int = 6
    fine_tune_learning_rate: float = 0.00001
    fine_tune_patience: int = 3

    def validate(self) -> TrainingSettings:
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
            ("The number of augmented views", self.augmentation_views, 0, 20),
            ("The number of heads", self.head_count, 1, 10),
            ("The number of fine-tuning epochs", self.fine_tune_epochs, 1, 200),
            ("The number of blocks to fine-tune", self.fine_tune_blocks, 1, 16),
            ("The fine-tuning learning rate", self.fine_tune_learning_rate, 1e-7, 0.01),
            ("The fine-tuning patience", self.fine_tune_patience, 1, 50),
        ]
        for label, value, lowest, highest in checks:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise errors.SettingsError(f"{label} must be a number, not {value!r}.")
            if not lowest <= value <= highest:
                raise errors.SettingsError(
                    f"{label} must be between {lowest:g} and {highest:g}, not {value:g}."
                )
        for label, value in (
            ("Test-time augmentation", self.test_time_augmentation),
            ("Fine-tuning", self.fine_tune),
        ):
            if not isinstance(value, bool):
                raise errors.SettingsError(f"{label} must be on or off, not {value!r}.")
        if not isinstance(self.augmentation, augmentation.AugmentationSettings):
            raise errors.SettingsError("The augmentation settings are not readable.")
        self.augmentation.validate()
        return self

    def to_dict(self) -> dict:
        """Returns the settings as plain JSON-ready data."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TrainingSettings:
        """Rebuilds settings from `to_dict`'s output, ignoring unknown keys.

        Settings saved before augmentation existed load with it off: their model was trained
        without it, and test-time augmentation would change its answers.

        Raises:
            ValueError: If an augmentation or fine-tuning setting has the wrong type.
        """
        known = {field.name for field in dataclasses.fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        values.setdefault("test_time_augmentation", False)
        for name in ("test_time_augmentation", "fine_tune"):
            if not isinstance(values.get(name, False), bool):
                raise ValueError(f"The setting {name} must be true or false.")
        if "augmentation" in values:
            if not isinstance(values["augmentation"], dict):
                raise ValueError("The augmentation settings must be an object.")
            values["augmentation"] = augmentation.AugmentationSettings.from_dict(
                values["augmentation"]
            )
        return cls(**values)


@dataclasses.dataclass(frozen=True)
class Progress:
    """One report on a training's way.

    Args:
        phase: "waiting" (behind another training), "loading" (the pretrained network),
            "embedding" (photos through the base), "training" (epochs of the head),
            "measuring" (epochs of a second head, trained without the photos least like the
            rest, for the headline: `headline`), "fine-tuning" (epochs of the top of the base
            with the head), "finished".
        done: Units of the phase done: photos embedded, or epochs trained in this phase.
        total: Units of the phase in all.
        epoch: The epoch just finished, counted from 1 over training and fine-tuning
            together, so that a chart of every epoch goes on where the head's ended.
        epochs: The epochs in all, as far as they are known.
        loss: The training loss of that epoch.
        accuracy: The training accuracy of that epoch.
        val_loss: The validation loss of that epoch.
        val_accuracy: The validation accuracy of that epoch.
        queue_position: While waiting, the place in the queue (1 means next).
        within_epoch: While fine-tuning, the share of the epoch under way already done: its
            epochs are long enough on a CPU for the bar to move within them.
        fine_tuning: Whether this training fine-tunes after the head, which changes how much
            of the whole each phase is.
        seconds_left: While embedding, the estimated seconds until the photos are all seen
            (`time_left.TimeLeftEstimator`); None while too little is known to say.
        learner: While training heads, which of them is learning, from 1; each counts its
            rounds (`epoch`) from 1 again.
        learners: How many heads are trained one after the other (`head_count`).
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
    within_epoch: float = 0.0
    fine_tuning: bool = False
    seconds_left: float | None = None
    learner: int = 1
    learners: int = 1

    @property
    def fraction(self) -> float:
        """The share of the whole training done, from 0 to 1."""
        if self.phase == "finished":
            return 1.0
        if self.phase not in _PHASE_ORDER:
            return 0.0
        shares = _PHASE_SHARES_WITH_FINE_TUNING if self.fine_tuning else _PHASE_SHARES
        earlier = _PHASE_ORDER[: _PHASE_ORDER.index(self.phase)]
        phase_fraction = (
            min(1.0, (self.done + self.within_epoch) / self.total) if self.total else 0.0
        )
        return sum(shares[phase] for phase in earlier) + shares[self.phase] * phase_fraction

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
            return time_left.with_time_left(
                f"Looking at your photos: {self.done:,} of {self.total:,}", self.seconds_left
            )
        if self.phase == "training" and self.learners > 1:
            return f"Learner {self.learner} of {self.learners}: round {self.epoch} of {self.epochs}"
        if self.phase == "training":
            return f"Learning: round {self.done} of {self.total}"
        if self.phase == "measuring":
            return (
                f"Checking it on the photos least like the others: round {self.done} of "
                f"{self.total}"
            )
        if self.phase == "fine-tuning":
            current = self.done + 1 if self.within_epoch else self.done
            return f"Fine-tuning: round {current} of at most {self.total}"
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
        unknown_threshold: The confidence below which an answer reads "not sure", measured on
            the validation photos (`unknown_threshold`); None for a model saved before it was
            measured, whose answers are "not sure" below `FALLBACK_UNKNOWN_THRESHOLD`.
        fine_tuning: What fine-tuning did (`finetuning.FineTuningSummary.to_dict()`), or None
            when the model was not fine-tuned.
        headline: The accuracy to expect on new photos, with its range (`headline`); None
            for a model saved before it was measured.
        onnx: The same classifier in ONNX form, checked against it on real photos, which
            predictions run through (`runtimes.classifier_for`); None when there is none.
    """

    model: keras.Model
    class_names: list[str]
    settings: TrainingSettings
    history: dict[str, list[float]]
    evaluation: evaluation.Evaluation
    backbone_id: str
    created_at: str
    photo_count: int = 0
    unknown_threshold: float | None = None
    fine_tuning: dict | None = None
    headline: headline.Headline | None = None
    onnx: runtimes.OnnxClassifier | None = None

    @property
    def sure_threshold(self) -> float:
        """The confidence from which an answer counts as sure."""
        return prediction.sure_threshold(self.unknown_threshold)

    @property
    def image_size(self) -> int:
        """The square size the pretrained base sees, in pixels."""
        return int(self.settings.image_size)

    @property
    def input_size(self) -> int:
        """The square size photos are resized to before the model (which crops their centre)."""
        return int(self.model.inputs[0].shape[1])


class EpochReporter(keras.callbacks.Callback):
    """Passes each finished epoch's figures to the caller's progress callback.

    Args:
        on_progress: The caller's callback.
        epochs: The epochs of this phase.
        phase: "training" or "fine-tuning".
        first_epoch: How many epochs came before this phase, so epochs count on across phases.
        fine_tuning: Whether the training fine-tunes (`Progress.fine_tuning`).
        run: Which of `runs` fits of the same length this is, from 0: heads are trained one
            after the other, and the bar goes over all of them.
        runs: How many such fits there are.
    """

    def __init__(
        self,
        on_progress: ProgressCallback,
        epochs: int,
        phase: str = "training",
        first_epoch: int = 0,
        fine_tuning: bool = False,
        run: int = 0,
        runs: int = 1,
    ):
        super().__init__()
        self.on_progress = on_progress
        self.epochs = epochs
        self.phase = phase
        self.first_epoch = first_epoch
        self.fine_tuning = fine_tuning
        self.run = run
        self.runs = runs

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.on_progress(
            Progress(
                phase=self.phase,
                done=self.run * self.epochs + epoch + 1,
                total=self.runs * self.epochs,
                epoch=self.first_epoch + epoch + 1,
                epochs=self.first_epoch + self.epochs,
                loss=_as_float(logs.get("loss")),
                accuracy=_as_float(logs.get("accuracy")),
                val_loss=_as_float(logs.get("val_loss")),
                val_accuracy=_as_float(logs.get("val_accuracy")),
                fine_tuning=self.fine_tuning,
                learner=self.run + 1,
                learners=self.runs,
            )
        )


def _as_float(value) -> float | None:
    return None if value is None else float(value)


def unknown_threshold(
    probabilities: np.ndarray, labels: np.ndarray, sure_share: float = SURE_SHARE_OF_CORRECT
) -> float:
    """Returns the confidence below which an answer should read "not sure".

    A photo of something the model was never taught still gets probabilities that add up to
    one, but they are spread more thinly: its most likely class is less probable than for the
    photos the model knows. The threshold is chosen on the validation photos so that at least
    `sure_share` of those the model got right stay above it: below it, an answer is less
    certain than nearly all of the model's correct answers on photos it never learned from.

    Args:
        probabilities: `(photos, classes)` validation probabilities.
        labels: The true class of each validation photo.
        sure_share: The share of correct validation answers that must stay sure.

    Returns:
        A probability from 0 to 1. When the model got no validation photo right, 1: none of
        its answers can be trusted.
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if probabilities.size == 0:
        return FALLBACK_UNKNOWN_THRESHOLD
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == np.asarray(labels)
    if not correct.any():
        return 1.0
    # "lower" picks an observed confidence at or below the quantile, so that with few
    # validation photos every correct one still counts as sure.
    return float(np.quantile(confidence[correct], 1.0 - sure_share, method="lower"))


def _fit_head(head, training_data, validation_data, settings, callbacks):
    """Fits the head on in-memory features, validating on the held-out rows every epoch.

    Under TensorFlow each epoch is one call of a traced function running the head's own
    training and validation steps (`head_fitting`): `fit`'s work around each epoch cost more
    than a small head's whole epoch. Without the Keras pieces it calls, the features go through
    a cached tf.data pipeline (Keras' NumPy adapter rebuilds its pipeline every epoch). Other
    backends take the arrays directly.

    Args:
        head: The compiled head.
        training_data: `(features, labels)` to learn from, augmented views included.
        validation_data: `(features, labels)` of the validation photos.
        settings: The training settings (epochs, batch size, seed).
        callbacks: Keras callbacks.

    Returns:
        Keras` `History`, or `head_fitting.FitHistory`: the same `history`.
    """
    if head_fitting.traced_fitting_available(head) and len(validation_data[1]):
        # The same steps as `fit`, without its overhead around each epoch (`head_fitting`).
        return head_fitting.fit_head(head, training_data, validation_data, settings, callbacks)
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
        .shuffle(len(training_data[1]), seed=settings.seed, reshuffle_each_iteration=True)
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


def _train_heads(
    feature_count: int,
    class_count: int,
    training_data: tuple[np.ndarray, np.ndarray],
    validation_data: tuple[np.ndarray, np.ndarray],
    settings: TrainingSettings,
    report: ProgressCallback,
) -> tuple[keras.Model, dict[str, list[float]]]:
    """Trains `settings.head_count` heads one after the other and averages them into one.

    Returns:
        The head (the only one, or a model averaging all of them) and the per-epoch history,
        averaged over the heads.
    """
    heads, histories = [], []
    for index in range(settings.head_count):
        head_settings = dataclasses.replace(settings, seed=settings.seed + index)
        keras.utils.set_random_seed(head_settings.seed)
        head = model.build_head(
            feature_count,
            class_count,
            hidden_units=settings.hidden_units,
            dropout=settings.dropout,
            seed=head_settings.seed,
            l2_regularization=settings.l2_regularization,
        )
        reporter = EpochReporter(
            report,
            settings.epochs,
            fine_tuning=settings.fine_tune,
            run=index,
            runs=settings.head_count,
        )
        shape_key = (
            feature_count,
            class_count,
            settings.hidden_units,
            settings.dropout,
            settings.l2_regularization,
        )
        # A compiled head of the same shape from an earlier training learns in its place, so
        # that Keras does not trace its steps again (`model.lend_compiled_head`).
        with model.lend_compiled_head(head, settings.learning_rate, shape_key) as learner:
            fit_history = _fit_head(
                learner, training_data, validation_data, head_settings, callbacks=[reporter]
            )
            head.set_weights(learner.get_weights())
        heads.append(head)
        histories.append(fit_history.history)
    # Every head ran the same number of epochs: there is no early stopping here.
    history = {
        key: np.mean([run[key] for run in histories], axis=0).astype(float).tolist()
        for key in histories[0]
    }
    if len(heads) == 1:
        return heads[0], history
    return _average_heads(heads, feature_count), history


def _average_heads(heads: list[keras.Model], feature_count: int) -> keras.Model:
    """Joins heads into one model whose probabilities are the average of theirs."""
    features = keras.Input(shape=(feature_count,), name="features")
    for index, head in enumerate(heads):
        # Layer names must be unique inside the joined model.
        head.name = f"head_{index + 1}"
    averaged = keras.layers.Average(name="average")([head(features) for head in heads])
    return keras.Model(features, averaged, name="head")


def _view_plan(
    dataset: datasets.Dataset,
    learning_rows: np.ndarray,
    checked_rows: np.ndarray,
    settings: TrainingSettings,
) -> tuple[list[datasets.Photo], list[embeddings.Variant]]:
    """Lists the views the base must see after the photos themselves: the augmented views of
    the photos a head learns from, then the test-time views of the photos a head is checked
    on, when test-time augmentation is on. A photo's views come one after another, so it is
    decoded once for them all.
    """
    photos: list[datasets.Photo] = []
    variants: list[embeddings.Variant] = []
    for row in learning_rows:
        for view in range(settings.augmentation_views):
            photos.append(dataset.photos[row])
            variants.append(embeddings.augmented_view(settings.augmentation, view))
    for row in checked_rows:
        for view in range(test_time_view_count(settings)):
            photos.append(dataset.photos[row])
            variants.append(embeddings.test_time_view(settings.augmentation, view))
    return photos, variants


@dataclasses.dataclass
class _ViewFeatures:
    """The features of the photos' views, found by photo row.

    Args:
        learning_rows: The sorted rows whose augmented views were embedded.
        checked_rows: The sorted rows whose test-time views were embedded.
        augmented: `(len(learning_rows), augmented views, feature_count)`.
        test_time: `(len(checked_rows), test-time views, feature_count)`.
    """

    learning_rows: np.ndarray
    checked_rows: np.ndarray
    augmented: np.ndarray
    test_time: np.ndarray

    @classmethod
    def split(cls, view_features, learning_rows, checked_rows, settings) -> _ViewFeatures:
        """Cuts `_view_plan`'s embedded views into the two kinds, one row a photo."""
        feature_count = view_features.shape[1]
        augmented_count = len(learning_rows) * settings.augmentation_views
        return cls(
            learning_rows,
            checked_rows,
            view_features[:augmented_count].reshape(
                len(learning_rows), settings.augmentation_views, feature_count
            ),
            view_features[augmented_count:].reshape(
                len(checked_rows), test_time_view_count(settings), feature_count
            ),
        )

    def learning_data(self, features, labels, rows) -> tuple[np.ndarray, np.ndarray]:
        """Returns `(features, labels)` of the photos of `rows`, then of their augmented views."""
        views = self.augmented[np.searchsorted(self.learning_rows, rows)]
        return (
            np.concatenate([features[rows], views.reshape(-1, features.shape[1])]),
            np.concatenate([labels[rows], np.repeat(labels[rows], views.shape[1])]),
        )

    def probabilities(self, head, features, rows) -> np.ndarray:
        """Returns the head's probabilities for the photos of `rows`, each averaged with its
        test-time views when there are any."""
        # A direct call: a small head needs no compiled predict function of its own.
        probabilities = np.asarray(head(features[rows], training=False))
        views = self.test_time[np.searchsorted(self.checked_rows, rows)]
        if not views.shape[1]:
            return probabilities
        view_probabilities = np.asarray(
            head(views.reshape(-1, features.shape[1]), training=False)
        ).reshape(len(rows), views.shape[1], -1)
        return (probabilities + view_probabilities.sum(axis=1)) / (1 + views.shape[1])


def _least_alike_probabilities(
    features, labels, class_count, least_alike, views, settings, report
) -> np.ndarray:
    """Trains a second head the same way, without the photos least like the rest, and returns
    its probabilities for them (each averaged with its test-time views when there are any).

    Its progress is reported as the "measuring" phase, so the live chart of the model's own
    learning is left alone.
    """
    if not len(least_alike):
        # Every class is one group of near-copies: there is nothing unlike the rest to check.
        return np.zeros((0, class_count), dtype=np.float32)
    learning = np.setdiff1d(np.arange(len(labels)), least_alike)

    def report_measuring(progress: Progress) -> None:
        report(Progress(phase="measuring", done=progress.done, total=progress.total))

    second_head, _ = _train_heads(
        features.shape[1],
        class_count,
        views.learning_data(features, labels, learning),
        (features[least_alike], labels[least_alike]),
        settings,
        report_measuring,
    )
    return views.probabilities(second_head, features, least_alike)


def _usable_test_photos(
    dataset: datasets.Dataset, test_dataset: datasets.Dataset | None
) -> tuple[list[datasets.Photo], int]:
    """Returns the test photos that can measure the model, and how many were left out for
    being training photos too; checked before training starts, so a mistake shows at once.

    Raises:
        DatasetError: If test photos were given but none is of a class being trained.
    """
    if test_dataset is None or not test_dataset.photos:
        return [], 0
    known = {name.casefold() for name in dataset.class_names}
    of_known_classes = [
        photo for photo in test_dataset.photos if photo.class_name.casefold() in known
    ]
    if not of_known_classes:
        raise errors.DatasetError(
            "None of the test photos is in a class being trained. Name their folders like the "
            "classes: " + ", ".join(dataset.class_names) + "."
        )
    training_hashes = {photo.content_hash for photo in dataset.photos}
    usable = [photo for photo in of_known_classes if photo.content_hash not in training_hashes]
    return usable, len(of_known_classes) - len(usable)


def _test_photos_headline(trained, test_photos, left_out, shared_base, cache) -> headline.Headline:
    """Scores the finished model on the test photos, through the whole model as predictions
    are made, and groups them into near-copies (from their cached features) for the range."""
    test_set = datasets.Dataset(
        class_names=trained.class_names, photos=test_photos, skipped=[], duplicates=[]
    )
    scores = evaluation.evaluate_dataset(trained, test_set)
    index = {name.casefold(): number for number, name in enumerate(trained.class_names)}
    labels = np.array([index[photo.class_name.casefold()] for photo in test_photos])
    features = embeddings.embed_photos(test_photos, shared_base, cache)
    correct = np.array(
        [answer.true_class == answer.predicted_class for answer in scores.predictions]
    )
    return headline.test_headline(
        correct, splitting.near_copy_groups(features, labels), left_out, trained.headline
    )


def test_time_view_count(settings: TrainingSettings) -> int:
    """Returns how many test-time views of each photo predictions average with it: none when
    test-time augmentation is off or its changes change nothing."""
    if not settings.test_time_augmentation:
        return 0
    return augmentation.test_time_view_count(settings.augmentation)


def train(
    dataset: datasets.Dataset,
    settings: TrainingSettings | None = None,
    on_progress: ProgressCallback | None = None,
    cache_dir: str | os.PathLike | None = None,
    weights_dir: str | os.PathLike | None = None,
    test_dataset: datasets.Dataset | None = None,
) -> TrainedModel:
    """Trains a classifier for the dataset's classes on the frozen pretrained base.

    The head learns from each training photo's features and, with `augmentation_views`, from
    as many augmented views of it; with `fine_tune`, the top of the base then learns too, on
    the photos' pixels (`finetuning.fine_tune`). The validation photos are never augmented;
    with `test_time_augmentation`, they are scored the way predictions are made, averaging
    each photo with its test-time views.

    Args:
        dataset: The labelled photos.
        settings: How to train; the defaults when None.
        on_progress: Called with a `Progress` at each step of the way.
        cache_dir: Where photo features are cached; `embeddings.default_cache_dir()` if None.
        weights_dir: An explicit folder holding the pretrained weights.
        test_dataset: Labelled test photos that training never sees (Create ML's "testing
            data"): when given, the headline is measured on them (`headline.test_headline`).
            Test photos that are also training photos are left out of it.

    Returns:
        The trained model with its history, validation figures and "not sure" threshold.

    Raises:
        SettingsError: If a setting is out of range.
        DatasetError: If there are fewer than two classes or too few photos in one.
        WeightsNotFoundError: If the pretrained weights cannot be found.
        UnreadableImageError: If a photo can no longer be read.
    """
    settings = (settings or TrainingSettings()).validate()
    datasets.check_trainable(dataset)
    test_photos, test_left_out = _usable_test_photos(dataset, test_dataset)
    caller_report = on_progress or (lambda progress: None)

    def report(progress: Progress) -> None:
        caller_report(dataclasses.replace(progress, fine_tuning=settings.fine_tune))

    labels = np.asarray(dataset.labels, dtype=np.int64)
    # The counts are checked before waiting for a turn, so a class too small to split is
    # reported at once; which photos are held out is decided once their features are known.
    validation_counts = splitting.validation_counts(
        labels, settings.validation_split, dataset.class_names
    )
    photo_count = len(dataset.photos)
    # Until the split is known, the views of every photo are counted; the total is exact
    # once the rows are chosen.
    embedding_total = photo_count * (
        1 + settings.augmentation_views + test_time_view_count(settings)
    )

    def report_place(place: int) -> None:
        report(Progress(phase="waiting", queue_position=place))

    with device.training_queue.turn(on_wait=report_place):
        report(Progress(phase="loading"))
        shared_base = model.get_base(settings.backbone, settings.image_size, weights_dir)
        cache = embeddings.EmbeddingCache(cache_dir)
        estimator = time_left.TimeLeftEstimator()

        def report_embedding(done: int) -> None:
            seconds_left = estimator.update(done, embedding_total)
            report(
                Progress(
                    phase="embedding",
                    done=done,
                    total=embedding_total,
                    seconds_left=seconds_left,
                )
            )

        # First the photos themselves, one bar for them and their views.
        features = embeddings.embed_photos(
            dataset.photos, shared_base, cache, on_progress=lambda done, _: report_embedding(done)
        )
        # Near-copies of a photo stay on its side of the split, so the photos that check the
        # model are unlike those it learns from (see `splitting`).
        groups = splitting.near_copy_groups(features, labels)
        training_rows, validation_rows = splitting.grouped_split(
            labels, groups, settings.validation_split, settings.seed, dataset.class_names
        )
        # The photos least like the rest check a second head, for the headline.
        least_alike = headline.least_alike_rows(features, labels, groups, validation_counts)
        learning_rows = np.union1d(training_rows, np.setdiff1d(np.arange(photo_count), least_alike))
        checked_rows = np.union1d(validation_rows, least_alike)
        view_photos, view_variants = _view_plan(dataset, learning_rows, checked_rows, settings)
        embedding_total = photo_count + len(view_photos)
        views_started = False

        def report_views(done: int, _total: int) -> None:
            nonlocal views_started
            if not views_started:
                # Views found in the cache took no time: they do not count towards the pace.
                estimator.skip(done)
                views_started = True
            report_embedding(photo_count + done)

        all_view_features = embeddings.embed_photos(
            view_photos, shared_base, cache, on_progress=report_views, variants=view_variants
        )
        views = _ViewFeatures.split(all_view_features, learning_rows, checked_rows, settings)
        training_data = views.learning_data(features, labels, training_rows)
        validation_data = (features[validation_rows], labels[validation_rows])

        head, history = _train_heads(
            shared_base.backbone.feature_count,
            len(dataset.class_names),
            training_data,
            validation_data,
            settings,
            report,
        )
        validation_probabilities = views.probabilities(head, features, validation_rows)
        least_alike_probabilities = _least_alike_probabilities(
            features, labels, len(dataset.class_names), least_alike, views, settings, report
        )

        fine_tuning_summary = None
        if settings.fine_tune:
            # Imported here because fine-tuning builds on this module's settings and progress.
            from tlcore import finetuning

            result = finetuning.fine_tune(
                shared_base,
                head,
                dataset,
                training_rows,
                validation_rows,
                settings,
                on_progress=report,
                first_epoch=len(history.get("loss", [])),
                # The averaged heads' loss is not the average of their losses: it is measured.
                baseline_val_loss=history["val_loss"][-1] if settings.head_count == 1 else None,
            )
            classifier = result.classifier
            for key, values in result.history.items():
                history.setdefault(key, []).extend(values)
            if result.summary.kept:
                validation_probabilities = result.validation_probabilities
            fine_tuning_summary = result.summary.to_dict()
        else:
            with shared_base.lock:
                classifier = model.build_classifier(
                    shared_base.base, head, shared_base.backbone, settings.image_size
                )
        # The project file carries the classifier in ONNX form too, checked on validation photos.
        onnx_form = onnx_base.project_classifier(
            classifier,
            shared_base,
            [dataset.photos[row] for row in validation_rows[: onnx_base.CHECK_PHOTOS]],
            head=None if settings.fine_tune else head,
            head_features=features[validation_rows[: onnx_base.CHECK_PHOTOS]],
        )

    validation_labels = labels[validation_rows]
    validation_photos = [dataset.photos[row] for row in validation_rows]
    measured_headline = headline.least_alike_headline(
        least_alike_probabilities.argmax(axis=1) == labels[least_alike],
        groups[least_alike],
        validation_probabilities.argmax(axis=1) == validation_labels,
        fine_tuned=bool(fine_tuning_summary and fine_tuning_summary.get("kept")),
    )
    scores = evaluation.evaluate(
        validation_probabilities,
        validation_labels,
        dataset.class_names,
        file_names=[photo.file_name for photo in validation_photos],
        content_hashes=[photo.content_hash for photo in validation_photos],
    )
    trained = TrainedModel(
        model=classifier,
        class_names=list(dataset.class_names),
        settings=settings,
        history=history,
        evaluation=scores,
        backbone_id=shared_base.backbone_id,
        created_at=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        photo_count=len(dataset.photos),
        unknown_threshold=unknown_threshold(validation_probabilities, validation_labels),
        fine_tuning=fine_tuning_summary,
        headline=measured_headline,
        onnx=onnx_form,
    )
    if test_photos:
        trained.headline = _test_photos_headline(
            trained, test_photos, test_left_out, shared_base, cache
        )
    report(Progress(phase="finished", done=1, total=1))
    return trained
