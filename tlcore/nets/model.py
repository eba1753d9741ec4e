"""Small builders for the pretrained base, the new head and the whole classifier.

The ladder follows fastai's learner: `build_base` makes the frozen pretrained network,
`build_head` the small trainable classifier that sits on its pooled features, and
`build_classifier` joins them into one Keras model that takes raw RGB pixels, so a saved model
runs anywhere Keras runs, with no preprocessing code of ours.
"""

import contextlib
import os
import threading
from collections.abc import Iterator

import keras
import numpy as np
from keras import layers

from tlcore.nets import backbones, device, weights

_shared_bases: dict[tuple[str, int], "SharedBase"] = {}
_shared_bases_lock = threading.Lock()


def build_base(
    backbone: backbones.Backbone,
    image_size: int,
    weights_path: str | os.PathLike | None = None,
) -> keras.Model:
    """Builds the pretrained network without its top, frozen.

    Args:
        backbone: The backbone's row in `nets.backbones.BACKBONES`.
        image_size: The square input size in pixels.
        weights_path: The ImageNet weight file; `None` builds random weights (tests of shape).

    Returns:
        The base, with `trainable` set to False.
    """
    image_size = backbones.check_image_size(backbone, image_size)
    constructor = getattr(keras.applications, backbone.application)
    base = constructor(
        input_shape=(image_size, image_size, 3),
        include_top=False,
        weights=str(weights_path) if weights_path is not None else None,
        **dict(backbone.constructor_arguments),
    )
    base.trainable = False
    return base


def build_preprocessing(pixels, backbone: backbones.Backbone, image_size: int):
    """Crops the centre of resized photos and scales their pixels the way the base expects.

    Both are layers of the model, so whoever uses a saved model only resizes photos.

    Args:
        pixels: The model's input: `(batch, input_size, input_size, 3)` values in 0-255.
        backbone: The base's row in the backbone table.
        image_size: The square size the base sees.

    Returns:
        The tensor the base takes.
    """
    cropped = layers.CenterCrop(image_size, image_size, name="crop_centre")(pixels)
    return layers.Rescaling(
        backbone.pixel_scale, offset=backbone.pixel_offset, name="scale_pixels"
    )(cropped)


def build_input(backbone: backbones.Backbone, image_size: int):
    """Returns the input of a model that takes photos resized to `backbone.input_size`."""
    input_size = backbone.input_size(image_size)
    return keras.Input(shape=(input_size, input_size, 3), name="pixels")


def build_feature_extractor(
    base: keras.Model, backbone: backbones.Backbone, image_size: int
) -> keras.Model:
    """Builds the model that turns raw pixels into one pooled feature vector per photo.

    Args:
        base: The frozen base from `build_base`.
        backbone: The base's row in the backbone table.
        image_size: The square input size in pixels.

    Returns:
        A model from `(batch, input_size, input_size, 3)` pixels in 0-255 to
        `(batch, feature_count)`.
    """
    pixels = build_input(backbone, image_size)
    scaled = build_preprocessing(pixels, backbone, image_size)
    # The base runs in inference mode so that its BatchNorm statistics never move.
    feature_map = base(scaled, training=False)
    features = layers.GlobalAveragePooling2D(name="pool")(feature_map)
    return keras.Model(pixels, features, name="feature_extractor")


def build_head(
    feature_count: int,
    class_count: int,
    hidden_units: int = 128,
    dropout: float = 0.0,
    seed: int | None = None,
    l2_regularization: float = 0.0,
) -> keras.Model:
    """Builds the new classifier that trains on the base's pooled features.

    Args:
        feature_count: The length of the feature vector (1280 for MobileNetV2).
        class_count: How many classes to tell apart.
        hidden_units: The width of the hidden layer.
        dropout: The share of hidden units dropped during training; 0 for none.
        seed: Seeds the layer initialisers and dropout, for reproducible training.
        l2_regularization: The L2 penalty on both layers' weights; 0 for none. With a few
            dozen photos a class, it keeps the head from memorising them.

    Returns:
        A model from `(batch, feature_count)` to class probabilities `(batch, class_count)`.
    """
    regularizer = keras.regularizers.L2(l2_regularization) if l2_regularization > 0 else None
    features = keras.Input(shape=(feature_count,), name="features")
    hidden = layers.Dense(
        hidden_units,
        activation="relu",
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
        kernel_regularizer=regularizer,
        name="hidden",
    )(features)
    if dropout > 0:
        hidden = layers.Dropout(dropout, seed=seed, name="dropout")(hidden)
    probabilities = layers.Dense(
        class_count,
        activation="softmax",
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
        kernel_regularizer=regularizer,
        name="probabilities",
    )(hidden)
    return keras.Model(features, probabilities, name="head")


def compile_head(head: keras.Model, learning_rate: float, steps_per_execution: int = 1) -> None:
    """Compiles the head with Adam and sparse categorical cross-entropy.

    Args:
        head: The head from `build_head`.
        learning_rate: Adam's learning rate.
        steps_per_execution: How many batches one call into TensorFlow runs. The updates are
            the same; a small head's step is so short that the calls themselves take most of
            the time, so running an epoch's batches in one call trains it faster.
    """
    head.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=steps_per_execution,
    )


# Compiled heads kept between trainings, by shape and regularisation: Keras traces a new
# model's training and validation steps on its first `fit`, which costs seconds on a CPU, far
# more than the 40 epochs of a small head on a few hundred photos. A head taken from here is
# reset to exactly the state a new one would have, so the training math is unchanged.
# The batches one call into TensorFlow runs while a lent head learns (`compile_head`): on a
# 2-core CPU, 40 epochs of 200 photos took 1.8 s instead of 3.2 s, with the same weights.
HEAD_STEPS_PER_EXECUTION = 32
_idle_heads: dict[tuple, list[keras.Model]] = {}
_idle_heads_lock = threading.Lock()


@contextlib.contextmanager
def lend_compiled_head(
    head: keras.Model, learning_rate: float, shape_key: tuple
) -> Iterator[keras.Model]:
    """Lends a compiled head holding `head`'s initial state, reusing one from earlier trainings.

    The lent head gets every variable of `head` (weights and the dropout's random state) and a
    fresh optimizer state (Adam's moments and step count at zero, the learning rate given), so
    fitting it gives the same result as compiling and fitting `head` itself, without tracing
    Keras' training step again. The caller copies the trained weights out (`head.set_weights`)
    before the `with` block ends: the lent head goes back for the next training.

    Args:
        head: A new head from `build_head`, not compiled; it is left unchanged.
        learning_rate: Adam's learning rate.
        shape_key: Everything that makes heads interchangeable: the arguments of `build_head`
            other than the seed.

    Yields:
        The compiled head, ready to `fit`.
    """
    with _idle_heads_lock:
        idle = _idle_heads.setdefault(shape_key, [])
        lent = idle.pop() if idle else None
    if lent is None:
        lent = keras.models.clone_model(head)
        compile_head(lent, learning_rate, steps_per_execution=HEAD_STEPS_PER_EXECUTION)
    for target, source in zip(lent.variables, head.variables, strict=True):
        target.assign(source.value)
    optimizer = lent.optimizer
    if optimizer.built:
        for variable in optimizer.variables:
            variable.assign(np.zeros(variable.shape, dtype=variable.dtype))
    optimizer.learning_rate = learning_rate
    try:
        yield lent
    finally:
        with _idle_heads_lock:
            _idle_heads.setdefault(shape_key, []).append(lent)


def build_classifier(
    base: keras.Model, head: keras.Model, backbone: backbones.Backbone, image_size: int
) -> keras.Model:
    """Joins base and head into one model that takes raw RGB pixels.

    Args:
        base: The frozen base.
        head: The trained head; its layers are shared, not copied.
        backbone: The base's row in the backbone table.
        image_size: The square input size in pixels.

    Returns:
        A model from `(batch, input_size, input_size, 3)` pixels in 0-255 (photos resized to
        `backbone.input_size(image_size)`) to class probabilities.
    """
    pixels = build_input(backbone, image_size)
    scaled = build_preprocessing(pixels, backbone, image_size)
    feature_map = base(scaled, training=False)
    features = layers.GlobalAveragePooling2D(name="pool")(feature_map)
    probabilities = head(features)
    return keras.Model(pixels, probabilities, name="classifier")


class SharedBase:
    """The frozen base and its feature extractor, built once per process and size.

    Args:
        backbone: The backbone's row.
        image_size: The square input size in pixels.
        weights_path: The ImageNet weight file.
    """

    def __init__(self, backbone: backbones.Backbone, image_size: int, weights_path):
        self.backbone = backbone
        self.image_size = image_size
        self.input_size = backbone.input_size(image_size)
        self.weights_path = weights_path
        self.base = build_base(backbone, image_size, weights_path)
        self.feature_extractor = build_feature_extractor(self.base, backbone, image_size)
        self.backbone_id = backbone.backbone_id(image_size)
        # Keras models are safe to call from several threads, but building new models that
        # reuse the base is not: builders take this lock.
        self.lock = threading.Lock()

    def embed_batch(self, pixels) -> "keras.KerasTensor":
        """Returns the pooled features of a batch of raw pixels, as a NumPy array."""
        return self.feature_extractor.predict_on_batch(pixels)


def get_base(
    backbone_name: str = backbones.DEFAULT_BACKBONE,
    image_size: int | None = None,
    weights_dir: str | os.PathLike | None = None,
) -> SharedBase:
    """Returns this process's shared frozen base for a backbone and size, building it once.

    Args:
        backbone_name: A key of `nets.backbones.BACKBONES`.
        image_size: The square input size; the backbone's default when None.
        weights_dir: An explicit folder holding the weight file.

    Returns:
        The shared base. Every caller of the same backbone and size gets the same object.

    Raises:
        SettingsError: For an unknown backbone or size.
        WeightsNotFoundError: If the weights are neither on disk nor downloadable.
    """
    backbone = backbones.get_backbone(backbone_name)
    image_size = backbones.check_image_size(backbone, image_size or backbone.default_image_size)
    key = (backbone.name, image_size)
    with _shared_bases_lock:
        if key not in _shared_bases:
            device.configure_gpu()
            weights_path = weights.find_weights(backbone, weights_dir)
            _shared_bases[key] = SharedBase(backbone, image_size, weights_path)
        return _shared_bases[key]
