"""The types a training is described by: its settings, its progress reports, and its result.

`TrainingSettings` says how to train, `Progress` is each report on the way (phase, epoch,
figures) passed to the caller's `ProgressCallback`, and `TrainedModel` is what a training gives
(`training.epoch_reports` turns Keras' epochs into reports). `training` (the head) and
`finetuning` (the top of the base) both use them, so neither imports the other for them.
"""

# Annotations stay unevaluated: `TrainingSettings.augmentation` is named like the module its
# type comes from.
from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable

from tlcore import errors, time_left
from tlcore.data import augmentation
from tlcore.evaluation import headline, metrics
from tlcore.nets import backbones, prediction, runtimes

if typing.TYPE_CHECKING:
    # Only for the annotation of `TrainedModel.model`: the web server reads settings and
    # progress reports from this module and must not import TensorFlow for them.
    import keras

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
        backbone: The pretrained network, a key of `nets.backbones.BACKBONES`.
        augmentation_views: How many augmented views of each training photo the head also
            learns from. Each view is embedded once and cached, so training stays fast;
            validation photos are never augmented.
        augmentation: How strongly the views (and fine-tuning's photos) are changed.
        test_time_augmentation: Whether predictions average the photo with
            `data.augmentation.TEST_TIME_VIEW_COUNT` changed copies of it (`augmentation`'s changes,
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
            ("The number of blocks to fine-tune", self.fine_tune_blocks, 1, backbone.block_count),
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
class AnsweringModel:
    """A trained classifier's description, and what its answers need, whichever runtime holds
    it: `TrainedModel` (Keras, on a worker) and `serving.project_models.ProjectModel` (ONNX
    Runtime, on the web server) add the model, and `input_size` each their own way.

    Args:
        class_names: The class of each output, in order.
        settings: The settings it was trained with.
        history: Per-epoch figures: loss, accuracy, val_loss, val_accuracy.
        evaluation: Its figures on the validation photos.
        backbone_id: The base and input size, such as `mobilenet_v2_1.0-224`.
        created_at: When training finished, ISO 8601 in UTC.
        photo_count: How many photos it was trained and checked on.
        unknown_threshold: The confidence below which an answer reads "not sure", measured on
            the validation photos (`unknown_threshold`); None for a model saved before it was
            measured, whose answers are "not sure" below
            `nets.prediction.FALLBACK_UNKNOWN_THRESHOLD`.
        fine_tuning: What fine-tuning did (`training.finetuning.FineTuningSummary.to_dict()`), or
            None when the model was not fine-tuned.
        headline: The accuracy to expect on new photos, with its range (`headline`); None
            for a model saved before it was measured.
    """

    class_names: list[str]
    settings: TrainingSettings
    history: dict[str, list[float]]
    evaluation: metrics.Evaluation
    backbone_id: str
    created_at: str
    photo_count: int = 0
    unknown_threshold: float | None = None
    fine_tuning: dict | None = None
    headline: headline.Headline | None = None

    @property
    def sure_threshold(self) -> float:
        """The confidence from which an answer counts as sure."""
        return prediction.sure_threshold(self.unknown_threshold)

    @property
    def image_size(self) -> int:
        """The square size the pretrained base sees, in pixels."""
        return int(self.settings.image_size)


# Keyword-only: its own fields come after the description's, some of which have defaults.
@dataclasses.dataclass(kw_only=True)
class TrainedModel(AnsweringModel):
    """A trained classifier in Keras, and everything known about how it was made (the fields
    of `AnsweringModel`, and those below).

    Args:
        model: One Keras model from raw RGB pixels (0-255) to class probabilities.
        onnx: The same classifier in ONNX form, checked against it on real photos, which
            predictions run through (`nets.runtimes.classifier_for`); None when there is none.
        one_sitting: The classes whose photos all look taken in one sitting, from the split's
            groups of near-copies (`training.scores.one_sitting_classes`), for the next steps.
    """

    model: keras.Model
    onnx: runtimes.OnnxClassifier | None = None
    one_sitting: list[str] = dataclasses.field(default_factory=list)

    @property
    def input_size(self) -> int:
        """The square size photos are resized to before the model (which crops their centre)."""
        return int(self.model.inputs[0].shape[1])
