"""Predicting the class of new photos with a trained model.

Each answer says whether the model is sure: below the confidence measured on the validation
photos when it was trained (`TrainedModel.unknown_threshold`), a photo may show something the
model was never taught, and the answer reads "not sure" instead of forcing it into a class.
With test-time augmentation, each photo's probabilities are the average over the photo and
its test-time views (`data.augmentation.test_time_pixels`).
"""

import dataclasses
import os
from collections.abc import Sequence

import numpy as np
from PIL import Image

from tlcore import errors
from tlcore.data import augmentation, datasets, images
from tlcore.nets import runtimes

Source = bytes | str | os.PathLike

# The confidence from which an answer counts as sure for models saved before the threshold
# was measured (`training.scores.unknown_threshold` measures it now).
FALLBACK_UNKNOWN_THRESHOLD = 0.5


def sure_threshold(unknown_threshold: float | None) -> float:
    """Returns the confidence from which a model's answer counts as sure.

    Args:
        unknown_threshold: The model's measured threshold; None for models saved before it.
    """
    if unknown_threshold is None:
        return FALLBACK_UNKNOWN_THRESHOLD
    return float(unknown_threshold)


# Up to this many pictures (a photo and its 8 test-time views) go through the model in one
# direct call rather than through Keras' compiled predict step.
DIRECT_CALL_PICTURES = 9


@dataclasses.dataclass(frozen=True)
class Prediction:
    """The model's answer for one photo.

    Args:
        file_name: The photo's name.
        class_names: Every class, in the model's order.
        probabilities: The probability of each class, in the same order; empty on error.
        top: The most likely classes with their probabilities, most likely first.
        error: Why the photo could not be read; None when it was.
        is_sure: Whether the most likely class is at least as probable as the model's "not
            sure" threshold. When it is not, the photo may show something the model was never
            taught. False for a photo that could not be read.
        threshold: The confidence from which the model counts as sure.
    """

    file_name: str
    class_names: list[str]
    probabilities: list[float]
    top: list[tuple[str, float]]
    error: str | None = None
    is_sure: bool = True
    threshold: float | None = None

    @property
    def best_class(self) -> str | None:
        """The most likely class, sure or not; None for a photo that could not be read."""
        return self.top[0][0] if self.top else None

    @property
    def sure_class(self) -> str | None:
        """The most likely class when the model is sure of it, else None."""
        return self.best_class if self.is_sure else None

    def as_record(self) -> dict:
        """Returns every field as JSON-ready values, for `from_record` in another process."""
        return {
            "file_name": self.file_name,
            "class_names": list(self.class_names),
            "probabilities": [float(value) for value in self.probabilities],
            "top": [[name, float(value)] for name, value in self.top],
            "error": self.error,
            "is_sure": bool(self.is_sure),
            "threshold": self.threshold,
        }

    @classmethod
    def from_record(cls, record: dict) -> "Prediction":
        """Rebuilds a prediction from `as_record`'s values."""
        return cls(**{**record, "top": [tuple(pair) for pair in record["top"]]})

    def to_dict(self) -> dict:
        """Returns the prediction as plain JSON-ready data."""
        data = {
            "file": self.file_name,
            "top": [{"class": name, "probability": round(p, 6)} for name, p in self.top],
        }
        if self.error is not None:
            data["error"] = self.error
        else:
            data["sure"] = bool(self.is_sure)
        return data


def _default_name(source: Source, index: int) -> str:
    if isinstance(source, (bytes, bytearray)):
        return f"photo {index + 1}"
    return os.path.basename(os.fspath(source))


def model_probabilities(
    classifier,
    pixels: np.ndarray,
    batch_size: int = 32,
    views: np.ndarray | None = None,
) -> np.ndarray:
    """Returns a Keras classifier's probabilities for already resized pixels.

    Args:
        classifier: A Keras model from pixels to class probabilities.
        pixels: `(photos, input_size, input_size, 3)` RGB values in 0-255.
        batch_size: How many pictures go through the model at once.
        views: `(photos, views, input_size, input_size, 3)` test-time views of each photo
            (`data.augmentation.test_time_pixels`), whose probabilities are averaged with the
            photo's; None for none.

    Returns:
        A `(photos, classes)` float array.
    """
    pictures = pixels
    if views is not None and views.shape[1]:
        pictures = np.concatenate([pixels[:, None], views], axis=1).reshape(-1, *pixels.shape[1:])
    if 0 < len(pictures) <= DIRECT_CALL_PICTURES:
        # A direct call runs the layers one by one: for a few pictures that is far quicker
        # than tracing the model's predict step, which takes seconds for each new model (the
        # Predict page's first answer after every training or correction).
        probabilities = np.asarray(classifier(pictures, training=False))
    else:
        probabilities = _predict_in_batches(classifier, pictures, batch_size)
    if pictures is pixels:
        return probabilities
    # Each photo's rows come together: the photo, then its views.
    return probabilities.reshape(len(pixels), 1 + views.shape[1], -1).mean(axis=1)


def _predict_in_batches(classifier, pictures: np.ndarray, batch_size: int) -> np.ndarray:
    """Returns the classifier's probabilities for pictures, a batch at a time."""
    rows = [
        np.asarray(classifier.predict_on_batch(pictures[start : start + batch_size]))
        for start in range(0, len(pictures), batch_size)
    ]
    if not rows:
        return np.zeros((0, int(classifier.outputs[0].shape[-1])))
    return np.concatenate(rows)


def predict_pixels(
    trained, pixels: np.ndarray, batch_size: int = 32, views: np.ndarray | None = None
) -> np.ndarray:
    """Returns class probabilities for a batch of already resized pixels.

    Args:
        trained: A `training.types.TrainedModel` (or an `serving.onnx_project.PredictionModel`):
            its ONNX form answers when ONNX Runtime is used (`nets.runtimes.classifier_for`).
        pixels: `(photos, input_size, input_size, 3)` RGB values in 0-255.
        batch_size: How many pictures go through the model at once.
        views: Each photo's test-time views, averaged with it; None for none.

    Returns:
        A `(photos, classes)` float array.
    """
    return model_probabilities(runtimes.classifier_for(trained), pixels, batch_size, views)


def photo_probabilities(
    classifier,
    photos: Sequence[datasets.Photo],
    input_size: int,
    test_time_augmentation: augmentation.AugmentationSettings | None = None,
    batch_size: int = 32,
    on_progress=None,
) -> np.ndarray:
    """Returns a classifier's probabilities for dataset photos, decoded a batch at a time.

    Args:
        classifier: A Keras model from pixels to class probabilities.
        photos: The photos.
        input_size: The square size the model takes.
        test_time_augmentation: The training's augmentation settings, to average each photo
            with its test-time views; None for no test-time augmentation.
        batch_size: How many photos are decoded at once.
        on_progress: Called with (photos done, photos in all) after each batch.

    Returns:
        A `(photos, classes)` float array.

    Raises:
        UnreadableImageError: If a photo can no longer be read.
    """
    rows = []
    for start in range(0, len(photos), batch_size):
        batch = [
            _pixels_and_views(
                photo.read_bytes(), input_size, test_time_augmentation, photo.file_name
            )
            for photo in photos[start : start + batch_size]
        ]
        pixels = np.stack([pixels for pixels, _ in batch])
        views = (
            np.stack([views for _, views in batch]) if test_time_augmentation is not None else None
        )
        rows.append(model_probabilities(classifier, pixels, batch_size, views))
        if on_progress is not None:
            on_progress(start + len(batch), len(photos))
    if not rows:
        return np.zeros((0, int(classifier.outputs[0].shape[-1])))
    return np.concatenate(rows)


def _pixels_and_views(
    source: Source,
    input_size: int,
    test_time_augmentation: augmentation.AugmentationSettings | None,
    file_name: str,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Returns a photo's pixels for the model and, with test-time augmentation, its views.

    Without test-time augmentation a path is decoded as it is read; with it, the photo is read
    once for itself and its views.
    """
    if test_time_augmentation is None:
        return images.load_pixels(source, input_size, file_name=file_name), None
    data = images.read_photo(source, file_name)
    pixels = images.load_pixels(data, input_size, file_name=file_name)
    views = augmentation.test_time_pixels(data, test_time_augmentation, input_size, file_name)
    return pixels, views


def predict(
    trained,
    sources: Sequence[Source],
    top_k: int = 3,
    file_names: Sequence[str] | None = None,
    test_time_augmentation: bool | None = None,
) -> list[Prediction]:
    """Predicts the class of each photo, and whether the model is sure of it.

    A photo that cannot be read gets a prediction with `error` set and no probabilities; the
    others are predicted as usual.

    Args:
        trained: A `training.types.TrainedModel` (freshly trained or loaded from a project file).
        sources: Photos as bytes or paths.
        top_k: How many of the most likely classes to list.
        file_names: A name for each photo; taken from the paths when None.
        test_time_augmentation: Whether to average each photo with its test-time views
            (`data.augmentation.test_time_pixels`); None follows the setting the model was trained
            with.

    Returns:
        One prediction per photo, in order.
    """
    if top_k < 1:
        raise errors.SettingsError("Ask for at least one class per photo.")
    names = list(file_names) if file_names is not None else None
    readable_rows: list[int] = []
    pixel_rows: list[np.ndarray] = []
    failures: dict[int, str] = {}
    if test_time_augmentation is None:
        test_time_augmentation = bool(trained.settings.test_time_augmentation)
    view_settings = trained.settings.augmentation if test_time_augmentation else None
    view_rows: list[np.ndarray] = []
    for index, source in enumerate(sources):
        name = names[index] if names is not None else _default_name(source, index)
        try:
            pixels, views = _pixels_and_views(source, trained.input_size, view_settings, name)
            pixel_rows.append(pixels)
            if views is not None:
                view_rows.append(views)
            readable_rows.append(index)
        except errors.UnreadableImageError as error:
            failures[index] = error.reason

    probabilities = (
        predict_pixels(
            trained, np.stack(pixel_rows), views=np.stack(view_rows) if view_rows else None
        )
        if pixel_rows
        else np.zeros((0, 0))
    )
    threshold = trained.sure_threshold
    by_row = dict(zip(readable_rows, probabilities, strict=True))
    predictions = []
    for index, source in enumerate(sources):
        name = names[index] if names is not None else _default_name(source, index)
        if index in failures:
            predictions.append(
                Prediction(
                    name,
                    list(trained.class_names),
                    [],
                    [],
                    failures[index],
                    is_sure=False,
                    threshold=threshold,
                )
            )
            continue
        predictions.append(_answer(trained, name, by_row[index], top_k))
    return predictions


def _answer(trained, name: str, row: np.ndarray, top_k: int) -> Prediction:
    """Returns the prediction for one photo's probabilities."""
    order = np.argsort(-row)[: min(top_k, len(row))]
    threshold = trained.sure_threshold
    return Prediction(
        file_name=name,
        class_names=list(trained.class_names),
        probabilities=[float(value) for value in row],
        top=[(trained.class_names[i], float(row[i])) for i in order],
        is_sure=bool(float(row[order[0]]) >= threshold),
        threshold=threshold,
    )


def frame_pixels(frame: np.ndarray, input_size: int) -> np.ndarray:
    """Returns a camera picture's pixels resized for the model, as a photo's would be.

    Args:
        frame: `(height, width, 3)` RGB values, 8 bits each, such as a video frame.
        input_size: The square size the model takes.

    Returns:
        A `(input_size, input_size, 3)` uint8 array.

    Raises:
        UnreadableImageError: The array is not an RGB picture with pixels.
    """
    frame = np.asarray(frame)
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.shape[0] < 1 or frame.shape[1] < 1:
        raise errors.UnreadableImageError(
            "camera picture", f"it is not a colour picture (its shape is {frame.shape})"
        )
    if frame.dtype != np.uint8:
        raise errors.UnreadableImageError(
            "camera picture", f"its pixels are not 8-bit values (they are {frame.dtype})"
        )
    return images.image_to_array(Image.fromarray(frame, "RGB"), input_size)


def classify_frames(
    trained, frames: Sequence[np.ndarray], top_k: int = 3, names: Sequence[str] | None = None
) -> list[Prediction]:
    """Classifies camera pictures given as pixels, all in one pass through the model.

    This is the live camera's one call into the model: the pictures are resized like photos
    (`data.images.image_to_array`) and go through `predict_pixels`, without test-time augmentation,
    which would make each answer 9 times slower. A picture that is not an RGB array gets a
    prediction with `error` set, as an unreadable photo does in `predict`.

    Args:
        trained: A `training.types.TrainedModel`.
        frames: Each picture as `(height, width, 3)` uint8 RGB values.
        top_k: How many of the most likely classes to list.
        names: A name for each picture; "camera picture N" when None.

    Returns:
        One prediction per picture, in order.
    """
    if top_k < 1:
        raise errors.SettingsError("Ask for at least one class per picture.")
    names = (
        list(names)
        if names is not None
        else [f"camera picture {i + 1}" for i in range(len(frames))]
    )
    rows: dict[int, np.ndarray] = {}
    failures: dict[int, str] = {}
    for index, frame in enumerate(frames):
        try:
            rows[index] = frame_pixels(frame, trained.input_size)
        except errors.UnreadableImageError as error:
            failures[index] = error.reason
    probabilities = predict_pixels(trained, np.stack(list(rows.values()))) if rows else []
    by_index = dict(zip(rows, probabilities, strict=True))
    return [
        _answer(trained, names[index], by_index[index], top_k)
        if index in by_index
        else Prediction(
            names[index],
            list(trained.class_names),
            [],
            [],
            failures[index],
            False,
            trained.sure_threshold,
        )
        for index in range(len(frames))
    ]
