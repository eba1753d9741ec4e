"""What the model looked at: Grad-CAM heatmaps over a photo, for any prediction.

Grad-CAM (Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via
Gradient-based Localization", 2017) weighs each channel of the last convolutional block's feature
map by how much the class score rises with it (the channel's gradient averaged over the map),
adds the weighted channels up and keeps the positive part. The result is a coarse map (3 x 3 at
96 pixels, 7 x 7 at 224) of where the evidence for the class lies; it is stretched over the
photo's centre, which is all the model sees.

The gradients come from TensorFlow's `GradientTape`, so explanations need the TensorFlow backend
of Keras (the app's and the command line's default); other backends raise `ExplanationError`.
"""

import dataclasses
import os
import threading
import weakref

import keras
import numpy as np
from PIL import Image

from tlcore import errors
from tlcore.data import images
from tlcore.nets import backbones

Source = bytes | str | os.PathLike

# How much of the colour map covers the photo: a little everywhere, so the photo stays readable,
# and more where the heat is, so the hot parts stand out.
_LEAST_OPACITY = 0.15
_MOST_OPACITY = 0.65

# The anchors of the colour map, from no heat (dark blue) through cyan, green and yellow to the
# most heat (red), as in most Grad-CAM figures; colours between anchors are interpolated.
_COLOUR_ANCHORS = np.array(
    [
        [0.00, 0, 0, 140],
        [0.20, 0, 80, 255],
        [0.40, 0, 220, 230],
        [0.60, 120, 230, 60],
        [0.80, 255, 200, 0],
        [1.00, 220, 20, 20],
    ],
    dtype=np.float64,
)

# A model's explainer is built once and kept while the model lives.
_explainers: "weakref.WeakKeyDictionary[keras.Model, _Explainer]" = weakref.WeakKeyDictionary()
_explainers_lock = threading.Lock()


class ExplanationError(errors.TlcoreError):
    """A model that cannot be explained with Grad-CAM here."""


@dataclasses.dataclass(frozen=True)
class Explanation:
    """Where in a photo the model found the evidence for a class.

    Args:
        heatmap: `(image_size, image_size)` float32 values in [0, 1] over the photo's centre
            as the model saw it; 1 marks the strongest evidence. All zeros when no part of the
            photo speaks for the class.
        overlay: The photo's centre with the heatmap blended over it, in colour.
        predicted_class: The class the model chose for the photo.
        probability: The probability the model gave that class.
        explained_class: The class the heatmap is for: the predicted one unless another was
            asked for.
    """

    heatmap: np.ndarray
    overlay: Image.Image
    predicted_class: str
    probability: float
    explained_class: str


class _Explainer:
    """Runs a trained model step by step, keeping the last convolutional feature map.

    The classifier built by `tlcore.nets.model.build_classifier` is a chain: preprocessing layers,
    the pretrained base (a nested model), pooling, and the head (another nested model). The
    explainer calls those layers one after the other, with the base split into a model that
    also returns the feature map of its last convolutional block, and the head's final softmax
    layer replaced by its scores before the softmax (Grad-CAM explains scores, which do not
    saturate as probabilities do). Nothing of the model is changed or copied, so the model may
    go on serving predictions in other threads. The explainer checks once that it reproduces the
    model's own probabilities, so a model of another structure is refused instead of being
    explained wrongly.

    Args:
        classifier: The trained model, from pixels to probabilities.
        last_conv_layer: The name of the base's last convolutional block.

    Raises:
        ExplanationError: If the model has no such block or is not a chain of layers.
    """

    def __init__(self, classifier: keras.Model, last_conv_layer: str):
        self.base = _find_base(classifier, last_conv_layer)
        if self.base is None:
            raise ExplanationError(
                f"This model has no layer called '{last_conv_layer}', so it cannot show what it "
                "looked at."
            )
        self.split_base = keras.Model(
            self.base.inputs,
            [self.base.get_layer(last_conv_layer).output, self.base.outputs[0]],
            name="split_base",
        )
        self.steps = _leaf_steps(classifier, self.base)
        self.input_size = int(classifier.inputs[0].shape[1])
        self._check_against(classifier)

    def run(self, pixels: np.ndarray, class_indices: np.ndarray | None):
        """Returns the feature maps, their gradients and the probabilities for a batch.

        Args:
            pixels: `(photos, input_size, input_size, 3)` values in 0-255.
            class_indices: The class to explain for each photo; the predicted one when None.

        Returns:
            The feature maps and the gradients of each photo's class score with respect to
            them, both `(photos, height, width, channels)`, and the `(photos, classes)`
            probabilities, all NumPy arrays.
        """
        import tensorflow as tf

        batch = tf.convert_to_tensor(np.asarray(pixels, dtype=np.float32))
        with tf.GradientTape() as tape:
            # The base's weights are frozen, so the tape records nothing unless told to; watching
            # the input records every step after it.
            tape.watch(batch)
            feature_maps, scores = self._forward(batch)
            probabilities = tf.nn.softmax(scores, axis=-1)
            if class_indices is None:
                chosen = tf.argmax(probabilities, axis=-1)
            else:
                chosen = tf.convert_to_tensor(np.asarray(class_indices, dtype=np.int64))
            # Photos do not influence each other in inference mode, so the gradient of the sum
            # of the chosen scores gives each photo's own gradient.
            chosen_scores = tf.gather(scores, chosen, axis=1, batch_dims=1)
            total = tf.reduce_sum(chosen_scores)
        gradients = tape.gradient(total, feature_maps)
        return feature_maps.numpy(), gradients.numpy(), probabilities.numpy()

    def _forward(self, batch):
        """Runs the chain of layers; returns the feature maps and the scores before softmax."""
        from keras import ops

        feature_maps = None
        values = batch
        for step in self.steps[:-1]:
            if step is self.base:
                feature_maps, values = self.split_base(values, training=False)
            else:
                values = step(values, training=False)
        last = self.steps[-1]
        if _is_softmax_dense(last):
            scores = ops.matmul(values, last.kernel)
            if last.bias is not None:
                scores = scores + last.bias
        else:
            # A model whose last layer is not a dense softmax layer: its log-probabilities are
            # its scores up to a constant per photo, which the gradients do not see.
            scores = ops.log(ops.maximum(last(values, training=False), 1e-12))
        return feature_maps, scores

    def _check_against(self, classifier: keras.Model) -> None:
        """Compares the step-by-step probabilities with the model's own on random pixels."""
        import tensorflow as tf

        generator = np.random.default_rng(0)
        pixels = generator.uniform(0, 255, (2, self.input_size, self.input_size, 3))
        pixels = tf.convert_to_tensor(pixels.astype(np.float32))
        _, scores = self._forward(pixels)
        mine = tf.nn.softmax(scores, axis=-1).numpy()
        theirs = np.asarray(classifier(pixels, training=False))
        if mine.shape != theirs.shape or not np.allclose(mine, theirs, atol=1e-4):
            raise ExplanationError(
                "This model is not built the way this tool builds models, so it cannot show "
                "what it looked at."
            )


def _find_base(classifier: keras.Model, last_conv_layer: str) -> keras.Model | None:
    """Returns the nested model that holds the last convolutional block, or None."""
    for layer in classifier.layers:
        if isinstance(layer, keras.Model):
            if any(inner.name == last_conv_layer for inner in layer.layers):
                return layer
            found = _find_base(layer, last_conv_layer)
            if found is not None:
                return found
    return None


def _leaf_steps(model: keras.Model, base: keras.Model) -> list:
    """Returns the model's layers in order, nested models other than the base opened up."""
    steps = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if layer is not base and isinstance(layer, keras.Model):
            steps.extend(_leaf_steps(layer, base))
        else:
            steps.append(layer)
    return steps


def _is_softmax_dense(layer) -> bool:
    activation = getattr(layer, "activation", None)
    return isinstance(layer, keras.layers.Dense) and (
        getattr(activation, "__name__", "") == "softmax"
    )


def _explainer_for(trained) -> _Explainer:
    """Returns the explainer of a trained model, building it on first use."""
    if keras.backend.backend() != "tensorflow":
        raise ExplanationError(
            "Showing what the model looked at needs the TensorFlow backend of Keras "
            f"(KERAS_BACKEND=tensorflow); this process uses '{keras.backend.backend()}'."
        )
    with _explainers_lock:
        explainer = _explainers.get(trained.model)
        if explainer is None:
            backbone = backbones.get_backbone(trained.settings.backbone)
            explainer = _Explainer(trained.model, backbone.last_conv_layer)
            _explainers[trained.model] = explainer
        return explainer


def heatmaps(trained, pixels: np.ndarray, class_indices=None) -> tuple[np.ndarray, np.ndarray]:
    """Returns Grad-CAM heatmaps for a batch of photos already resized for the model.

    Args:
        trained: A `training.types.TrainedModel`.
        pixels: `(photos, input_size, input_size, 3)` RGB values in 0-255, as
            `images.load_pixels(source, trained.input_size)` gives them.
        class_indices: The class to explain for each photo; each photo's predicted class when
            None.

    Returns:
        The heatmaps, `(photos, image_size, image_size)` float32 in [0, 1] over the centre the
        model sees, and the `(photos, classes)` probabilities.

    Raises:
        ExplanationError: If Keras does not run on TensorFlow, or the model is not one this
            tool built.
    """
    pixels = np.asarray(pixels)
    if pixels.ndim != 4 or pixels.shape[1:] != (trained.input_size, trained.input_size, 3):
        raise ValueError(
            f"The pixels must have the shape (photos, {trained.input_size}, "
            f"{trained.input_size}, 3), not {pixels.shape}."
        )
    explainer = _explainer_for(trained)
    feature_maps, gradients, probabilities = explainer.run(pixels, class_indices)
    channel_weights = gradients.mean(axis=(1, 2), keepdims=True)
    maps = np.maximum((feature_maps * channel_weights).sum(axis=-1), 0.0)
    size = trained.image_size
    result = np.zeros((len(pixels), size, size), dtype=np.float32)
    for index, coarse in enumerate(maps):
        largest = float(coarse.max())
        if largest <= 0 or not np.isfinite(largest):
            continue
        stretched = Image.fromarray((coarse / largest).astype(np.float32), mode="F").resize(
            (size, size), Image.Resampling.BILINEAR
        )
        result[index] = np.clip(np.asarray(stretched, dtype=np.float32), 0.0, 1.0)
    return result, probabilities


def colour_map(heatmap: np.ndarray) -> np.ndarray:
    """Turns values in [0, 1] into colours, dark blue (0) through yellow to red (1).

    Args:
        heatmap: Any array of values in [0, 1].

    Returns:
        A uint8 array of the same shape with a last axis of 3 (RGB).
    """
    values = np.clip(np.asarray(heatmap, dtype=np.float64), 0.0, 1.0)
    channels = [
        np.interp(values, _COLOUR_ANCHORS[:, 0], _COLOUR_ANCHORS[:, channel])
        for channel in (1, 2, 3)
    ]
    return np.rint(np.stack(channels, axis=-1)).astype(np.uint8)


def model_view(picture: Image.Image, trained, size: int) -> Image.Image:
    """Returns the part of a photo the model sees, at any size.

    The model squashes a photo to a square of `input_size` and crops its centre of
    `image_size`; this does the same at a scale that gives a `size`-pixel square.

    Args:
        picture: The photo, as `data.images.load_image` gives it.
        trained: A `training.types.TrainedModel`.
        size: The side of the picture returned, in pixels.

    Returns:
        An RGB picture of `size` x `size` pixels.
    """
    squashed_size = max(size, int(round(size * trained.input_size / trained.image_size)))
    squashed = picture.convert("RGB").resize(
        (squashed_size, squashed_size), Image.Resampling.BILINEAR, reducing_gap=3.0
    )
    start = (squashed_size - size) // 2
    return squashed.crop((start, start, start + size, start + size))


def blend(picture: Image.Image, heatmap: np.ndarray) -> Image.Image:
    """Blends a heatmap's colours over a picture, more strongly where the heat is.

    Args:
        picture: An RGB picture; the heatmap is stretched to its size.
        heatmap: `(height, width)` values in [0, 1].

    Returns:
        A new RGB picture.
    """
    width, height = picture.size
    heat = Image.fromarray(np.asarray(heatmap, dtype=np.float32), mode="F").resize(
        (width, height), Image.Resampling.BILINEAR
    )
    heat_values = np.clip(np.asarray(heat, dtype=np.float64), 0.0, 1.0)
    opacity = (_LEAST_OPACITY + (_MOST_OPACITY - _LEAST_OPACITY) * heat_values)[..., None]
    photo = np.asarray(picture.convert("RGB"), dtype=np.float64)
    mixed = photo * (1 - opacity) + colour_map(heat_values) * opacity
    return Image.fromarray(np.rint(mixed).astype(np.uint8), mode="RGB")


def grad_cam(
    trained,
    source: Source,
    class_name: str | None = None,
    overlay_size: int | None = None,
    file_name: str | None = None,
) -> Explanation:
    """Explains the model's answer for one photo with a Grad-CAM heatmap.

    Args:
        trained: A `training.types.TrainedModel` (freshly trained or loaded from a project file).
        source: The photo, as bytes or a path.
        class_name: The class to explain; the predicted class when None.
        overlay_size: The side of the overlay picture in pixels; the model's image size when
            None. A larger overlay shows the photo sharper; the heatmap is the same.
        file_name: The photo's name for error messages.

    Returns:
        The explanation.

    Raises:
        UnreadableImageError: If the photo cannot be read.
        ClassNameError: If `class_name` is not one of the model's classes.
        ExplanationError: If Keras does not run on TensorFlow, or the model is not one this
            tool built.
    """
    picture = images.load_image(source, file_name)
    pixels = images.image_to_array(picture, trained.input_size)
    class_indices = None
    if class_name is not None:
        if class_name not in trained.class_names:
            known = ", ".join(trained.class_names)
            raise errors.ClassNameError(
                f"The model does not know a class called '{class_name}'. It knows: {known}."
            )
        class_indices = [trained.class_names.index(class_name)]
    maps, probabilities = heatmaps(trained, pixels[None], class_indices)
    predicted = int(np.argmax(probabilities[0]))
    explained = class_indices[0] if class_indices is not None else predicted
    view = model_view(picture, trained, overlay_size or trained.image_size)
    return Explanation(
        heatmap=maps[0],
        overlay=blend(view, maps[0]),
        predicted_class=trained.class_names[predicted],
        probability=float(probabilities[0, predicted]),
        explained_class=trained.class_names[explained],
    )
