"""Fine-tuning: after the head, the top of the pretrained network learns too, on pixels.

The frozen base describes photos the way ImageNet taught it to; its top blocks can learn to
describe them the way these classes need, which tells similar products apart far better.
The recipe is keras-io's (`guides/transfer_learning.py`, the EfficientNet fine-tuning
example):

- a copy of the shared base is made, never the shared base itself, which other trainings and
  predictions keep using;
- its top blocks are unfrozen, but its BatchNorm layers stay frozen, and the base is still
  called with `training=False`, so their statistics never move with small batches;
- the model is recompiled with a learning rate 10-100 times lower than the head's;
- it trains on pixels, decoded batch by batch (`PixelBatches`), through Keras' random
  augmentation layers, which are active only while it learns;
- early stopping watches the validation loss and keeps the best weights; if no epoch beats
  the head alone, the head alone is kept.

The model returned has no augmentation layers: base copy, pooling and head, from pixels to
probabilities, like every other tlcore model, so it loads with Keras' safe mode. Only Keras'
own API is used (no `tf.GradientTape`, no `tf.data`), so fine-tuning runs under every Keras
backend: JAX on a GPU, for example.
"""

import dataclasses
import math
import re
import time
from collections.abc import Sequence

import keras
import numpy as np
from keras import layers

from tlcore import errors
from tlcore.data import augmentation, datasets
from tlcore.features import embeddings
from tlcore.nets import backbones, model, prediction
from tlcore.training import epoch_reports, types


@dataclasses.dataclass(frozen=True)
class FineTuningSummary:
    """What fine-tuning did, for the project file and the person.

    Args:
        blocks: How many top blocks of the base learned.
        trainable_weights: How many numbers of the base learned.
        learning_rate: Adam's learning rate.
        epochs_run: How many epochs ran before early stopping (or the limit).
        best_epoch: The epoch of fine-tuning whose weights were kept, from 1; 0 when none.
        baseline_val_loss: The validation loss of the head alone, before fine-tuning.
        best_val_loss: The best validation loss fine-tuning reached.
        kept: Whether the fine-tuned weights were kept; False when no epoch beat the head
            alone, whose weights were then put back.
        seconds: How long fine-tuning took.
    """

    blocks: int
    trainable_weights: int
    learning_rate: float
    epochs_run: int
    best_epoch: int
    baseline_val_loss: float
    best_val_loss: float
    kept: bool
    seconds: float

    def to_dict(self) -> dict:
        """Returns the summary as plain JSON-ready data."""
        return dataclasses.asdict(self)


@dataclasses.dataclass
class FineTuningResult:
    """The fine-tuned classifier and how it got there.

    Args:
        classifier: The model from pixels to probabilities, with no augmentation layers.
        history: Per-epoch loss, accuracy, val_loss and val_accuracy of fine-tuning.
        validation_probabilities: The classifier's probabilities for the validation photos,
            with test-time augmentation when the settings ask for it.
        summary: What fine-tuning did.
    """

    classifier: keras.Model
    history: dict[str, list[float]]
    validation_probabilities: np.ndarray
    summary: FineTuningSummary


class PixelBatches(keras.utils.PyDataset):
    """Photos decoded batch by batch for `model.fit`, so that only a few batches of pixels are
    ever in memory (all 2,640 grocery photos at 256 x 256 would take 2 GB as floats).

    Args:
        photos: The photos.
        labels: The class index of each photo.
        input_size: The square size photos are resized to.
        batch_size: Photos per batch.
        shuffle_seed: Shuffles the order every epoch, reproducibly from this seed; None keeps
            the order (validation).
        workers: Threads decoding batches ahead of the model; Pillow releases the GIL.
    """

    def __init__(
        self,
        photos: Sequence[datasets.Photo],
        labels: np.ndarray,
        input_size: int,
        batch_size: int,
        shuffle_seed: int | None = None,
        workers: int = 1,
    ):
        super().__init__(workers=workers, use_multiprocessing=False, max_queue_size=4)
        self.photos = list(photos)
        self.labels = np.asarray(labels, dtype=np.int64)
        self.input_size = input_size
        self.batch_size = batch_size
        self.order = np.arange(len(self.photos))
        self.random = np.random.default_rng(shuffle_seed) if shuffle_seed is not None else None
        if self.random is not None:
            self.random.shuffle(self.order)

    def __len__(self) -> int:
        return math.ceil(len(self.photos) / self.batch_size)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        rows = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        pixels = embeddings.decode_batch([self.photos[row] for row in rows], self.input_size)
        return pixels.astype(np.float32), self.labels[rows]

    def on_epoch_end(self) -> None:
        if self.random is not None:
            self.random.shuffle(self.order)


def copy_base(base: keras.Model) -> keras.Model:
    """Returns an independent copy of a base, with the same weights.

    Args:
        base: The shared base; it is read, never changed.

    Returns:
        A new model with its own variables.
    """
    copy = keras.models.clone_model(base)
    copy.set_weights(base.get_weights())
    return copy


def unfreeze_top_blocks(base: keras.Model, blocks: int, backbone: backbones.Backbone) -> int:
    """Lets the top blocks of a base learn, and keeps everything else frozen.

    The layers of the last `blocks` numbered blocks and every layer after them learn, except
    BatchNormalization layers, which stay frozen: with the small batches of a few dozen
    photos, moving their statistics would wreck what the network learned on ImageNet.

    Args:
        base: A copy of the base (`copy_base`), changed in place.
        blocks: How many of the top blocks learn.
        backbone: The base's row in the backbone table, which names its blocks.

    Returns:
        How many numbers (weights) of the base now learn.

    Raises:
        SettingsError: If the base has no numbered blocks to unfreeze.
    """
    block_name = re.compile(backbone.block_name_pattern)
    block_of_layer = [_block_number(block_name, layer.name) for layer in base.layers]
    numbers = [number for number in block_of_layer if number is not None]
    if not numbers:
        raise errors.SettingsError(
            f"The pretrained network '{base.name}' has no numbered blocks, so it cannot be "
            "fine-tuned. Train without fine-tuning."
        )
    first_unfrozen = max(numbers) - blocks + 1
    last_block_layer = max(index for index, number in enumerate(block_of_layer) if number)
    base.trainable = True
    for index, layer in enumerate(base.layers):
        number = block_of_layer[index]
        in_top = (number is not None and number >= first_unfrozen) or index > last_block_layer
        layer.trainable = in_top and not isinstance(layer, layers.BatchNormalization)
    return int(sum(np.prod(weight.shape) for weight in base.trainable_weights))


def _block_number(block_name: re.Pattern, layer_name: str) -> int | None:
    match = block_name.match(layer_name)
    return int(match.group(1)) if match else None


def augmentation_layers(
    settings: augmentation.AugmentationSettings, seed: int | None = None
) -> list[layers.Layer]:
    """Returns Keras' random augmentation layers for the settings; they act only in training.

    Args:
        settings: How strongly photos are changed (as for the cached views).
        seed: Seeds the layers' random draws.

    Returns:
        The layers, in the order they apply: flip, rotation, zoom, brightness, contrast.
    """
    found: list[layers.Layer] = []
    if settings.flip:
        found.append(layers.RandomFlip("horizontal", seed=seed, name="random_flip"))
    if settings.rotation_degrees:
        found.append(
            layers.RandomRotation(
                settings.rotation_degrees / 360.0,
                fill_mode="reflect",
                seed=seed,
                name="random_rotation",
            )
        )
    if settings.zoom:
        found.append(
            layers.RandomZoom(
                (-settings.zoom, settings.zoom), fill_mode="reflect", seed=seed, name="random_zoom"
            )
        )
    if settings.brightness:
        found.append(
            layers.RandomBrightness(
                settings.brightness, value_range=(0, 255), seed=seed, name="random_brightness"
            )
        )
    if settings.contrast:
        found.append(
            layers.RandomContrast(
                settings.contrast, value_range=(0, 255), seed=seed, name="random_contrast"
            )
        )
    return found


def build_fine_tuning_model(
    base: keras.Model,
    head: keras.Model,
    backbone,
    image_size: int,
    settings: augmentation.AugmentationSettings,
    seed: int | None = None,
) -> keras.Model:
    """Builds the model fine-tuning fits: augmentation, crop and scale, base, pool, head.

    Args:
        base: The copy of the base, with its top unfrozen.
        head: The trained head.
        backbone: The base's row in the backbone table.
        image_size: The square size the base sees.
        settings: The augmentation, applied only while training.
        seed: Seeds the augmentation.

    Returns:
        A model from pixels (0-255, resized to `backbone.input_size(image_size)`) to class
        probabilities.
    """
    pixels = model.build_input(backbone, image_size)
    augmented = pixels
    for layer in augmentation_layers(settings, seed):
        augmented = layer(augmented)
    scaled = model.build_preprocessing(augmented, backbone, image_size)
    # Still in inference mode: BatchNorm keeps ImageNet's statistics while the weights learn.
    feature_map = base(scaled, training=False)
    features = layers.GlobalAveragePooling2D(name="pool")(feature_map)
    return keras.Model(pixels, head(features), name="fine_tuning")


class _BatchReporter(keras.callbacks.Callback):
    """Reports progress within each fine-tuning epoch, which can take minutes on a CPU."""

    def __init__(
        self,
        on_progress: types.ProgressCallback,
        steps: int,
        epochs: int,
        first_epoch: int,
    ):
        super().__init__()
        self.on_progress = on_progress
        self.steps = steps
        self.epochs = epochs
        self.first_epoch = first_epoch
        self.epochs_done = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs_done = epoch

    def on_train_batch_end(self, batch, logs=None):
        self.on_progress(
            types.Progress(
                phase="fine-tuning",
                done=self.epochs_done,
                total=self.epochs,
                within_epoch=(batch + 1) / self.steps,
                epochs=self.first_epoch + self.epochs,
                fine_tuning=True,
            )
        )


def fine_tune(
    shared_base,
    head: keras.Model,
    dataset: datasets.Dataset,
    training_rows: np.ndarray,
    validation_rows: np.ndarray,
    settings: types.TrainingSettings,
    on_progress: types.ProgressCallback | None = None,
    first_epoch: int = 0,
    baseline_val_loss: float | None = None,
    workers: int | None = None,
) -> FineTuningResult:
    """Fine-tunes the top of a copy of the base together with a trained head.

    Args:
        shared_base: The `nets.model.SharedBase`; its base is copied, never changed.
        head: The head trained on the frozen base's features; it goes on learning here.
        dataset: The labelled photos.
        training_rows: The photos to learn from.
        validation_rows: The photos to check on, never augmented.
        settings: The `training.types.TrainingSettings` (fine-tuning, augmentation, batch size...).
        on_progress: Called with `training.types.Progress` reports (phase "fine-tuning").
        first_epoch: How many epochs the head trained, so fine-tuning's epochs count on.
        baseline_val_loss: The head alone's validation loss; measured here when None.
            Fine-tuned weights are kept only when they beat it.
        workers: Threads decoding photos; `features.embeddings.default_decode_workers()` when None.

    Returns:
        The fine-tuned classifier, its history and validation probabilities, and a summary.
    """
    report = on_progress or (lambda progress: None)
    started = time.perf_counter()
    backbone = shared_base.backbone
    labels = np.asarray(dataset.labels, dtype=np.int64)
    workers = workers or embeddings.default_decode_workers()
    training_batches = PixelBatches(
        [dataset.photos[row] for row in training_rows],
        labels[training_rows],
        shared_base.input_size,
        settings.batch_size,
        shuffle_seed=settings.seed,
        workers=workers,
    )
    validation_batches = PixelBatches(
        [dataset.photos[row] for row in validation_rows],
        labels[validation_rows],
        shared_base.input_size,
        settings.batch_size,
        workers=workers,
    )

    with shared_base.lock:
        base = copy_base(shared_base.base)
    trainable_weights = unfreeze_top_blocks(base, settings.fine_tune_blocks, backbone)
    keras.utils.set_random_seed(settings.seed)
    fitting_model = build_fine_tuning_model(
        base, head, backbone, settings.image_size, settings.augmentation, seed=settings.seed
    )
    # Recompiled after changing what learns, at the lower learning rate.
    model.compile_head(fitting_model, settings.fine_tune_learning_rate)
    if baseline_val_loss is None:
        baseline_val_loss = float(
            fitting_model.evaluate(validation_batches, verbose=0, return_dict=True)["loss"]
        )
    weights_before = fitting_model.get_weights()

    fit_history = fitting_model.fit(
        training_batches,
        validation_data=validation_batches,
        epochs=settings.fine_tune_epochs,
        verbose=0,
        callbacks=[
            keras.callbacks.EarlyStopping(
                monitor="val_loss",
                patience=settings.fine_tune_patience,
                restore_best_weights=True,
            ),
            _BatchReporter(report, len(training_batches), settings.fine_tune_epochs, first_epoch),
            epoch_reports.EpochReporter(
                report,
                settings.fine_tune_epochs,
                phase="fine-tuning",
                first_epoch=first_epoch,
                fine_tuning=True,
            ),
        ],
    )
    history = {
        key: [float(value) for value in values] for key, values in fit_history.history.items()
    }
    validation_losses = history.get("val_loss", [])
    best_val_loss = min(validation_losses) if validation_losses else math.inf
    kept = best_val_loss < baseline_val_loss
    if not kept:
        # No epoch beat the head alone: put its weights (and the base's) back.
        fitting_model.set_weights(weights_before)

    base.trainable = False
    with shared_base.lock:
        classifier = model.build_classifier(base, head, backbone, settings.image_size)
    validation_probabilities = _probabilities(classifier, validation_batches, settings)
    summary = FineTuningSummary(
        blocks=int(settings.fine_tune_blocks),
        trainable_weights=trainable_weights,
        learning_rate=float(settings.fine_tune_learning_rate),
        epochs_run=len(validation_losses),
        best_epoch=int(np.argmin(validation_losses)) + 1 if kept else 0,
        baseline_val_loss=float(baseline_val_loss),
        best_val_loss=float(best_val_loss),
        kept=bool(kept),
        seconds=time.perf_counter() - started,
    )
    return FineTuningResult(classifier, history, validation_probabilities, summary)


def _probabilities(classifier: keras.Model, batches: PixelBatches, settings) -> np.ndarray:
    """Returns the classifier's probabilities for every photo of `batches`, in order, with
    test-time augmentation when `settings` (the `TrainingSettings`) ask for it."""
    return prediction.photo_probabilities(
        classifier,
        batches.photos,
        batches.input_size,
        settings.augmentation if settings.test_time_augmentation else None,
        batches.batch_size,
    )
