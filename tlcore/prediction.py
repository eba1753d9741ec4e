"""Predicting the class of new photos with a trained model.

Each answer says whether the model is sure: below the confidence measured on the validation
photos when it was trained (`TrainedModel.unknown_threshold`), a photo may show something the
model was never taught, and the answer reads "not sure" instead of forcing it into a class.
With test-time augmentation, each photo's probabilities are the average over the photo and
its mirror image.
"""

import dataclasses
import os
from collections.abc import Sequence

import numpy as np

from tlcore import augmentation, errors, images

Source = bytes | str | os.PathLike


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
    classifier, pixels: np.ndarray, batch_size: int = 32, test_time_augmentation: bool = False
) -> np.ndarray:
    """Returns a Keras classifier's probabilities for already resized pixels.

    Args:
        classifier: A Keras model from pixels to class probabilities.
        pixels: `(photos, input_size, input_size, 3)` RGB values in 0-255.
        batch_size: How many photos go through the model at once.
        test_time_augmentation: Whether to average each photo's probabilities with its
            mirror image's. Both go through the model in one batch.

    Returns:
        A `(photos, classes)` float array.
    """
    rows = []
    for start in range(0, len(pixels), batch_size):
        batch = pixels[start : start + batch_size]
        if not test_time_augmentation:
            rows.append(np.asarray(classifier.predict_on_batch(batch)))
            continue
        views = augmentation.test_time_views(batch)
        probabilities = np.asarray(classifier.predict_on_batch(np.concatenate(views)))
        rows.append(probabilities.reshape(len(views), len(batch), -1).mean(axis=0))
    if rows:
        return np.concatenate(rows)
    return np.zeros((0, int(classifier.outputs[0].shape[-1])))


def predict_pixels(
    trained,
    pixels: np.ndarray,
    batch_size: int = 32,
    test_time_augmentation: bool | None = None,
) -> np.ndarray:
    """Returns class probabilities for a batch of already resized pixels.

    Args:
        trained: A `training.TrainedModel`.
        pixels: `(photos, input_size, input_size, 3)` RGB values in 0-255.
        batch_size: How many photos go through the model at once.
        test_time_augmentation: Whether to average over each photo and its mirror image; None
            follows the setting the model was trained with.

    Returns:
        A `(photos, classes)` float array.
    """
    if test_time_augmentation is None:
        test_time_augmentation = bool(trained.settings.test_time_augmentation)
    return model_probabilities(trained.model, pixels, batch_size, test_time_augmentation)


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
        trained: A `training.TrainedModel` (freshly trained or loaded from a project file).
        sources: Photos as bytes or paths.
        top_k: How many of the most likely classes to list.
        file_names: A name for each photo; taken from the paths when None.
        test_time_augmentation: Whether to average over each photo and its mirror image; None
            follows the setting the model was trained with.

    Returns:
        One prediction per photo, in order.
    """
    if top_k < 1:
        raise errors.SettingsError("Ask for at least one class per photo.")
    names = list(file_names) if file_names is not None else None
    readable_rows: list[int] = []
    pixel_rows: list[np.ndarray] = []
    failures: dict[int, str] = {}
    for index, source in enumerate(sources):
        name = names[index] if names is not None else _default_name(source, index)
        try:
            pixel_rows.append(images.load_pixels(source, trained.input_size, file_name=name))
            readable_rows.append(index)
        except errors.UnreadableImageError as error:
            failures[index] = error.reason

    probabilities = (
        predict_pixels(trained, np.stack(pixel_rows), test_time_augmentation=test_time_augmentation)
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
        row = by_row[index]
        order = np.argsort(-row)[: min(top_k, len(row))]
        predictions.append(
            Prediction(
                file_name=name,
                class_names=list(trained.class_names),
                probabilities=[float(value) for value in row],
                top=[(trained.class_names[i], float(row[i])) for i in order],
                is_sure=bool(float(row[order[0]]) >= threshold),
                threshold=threshold,
            )
        )
    return predictions
