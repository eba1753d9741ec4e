"""Predicting the class of new photos with a trained model."""

import dataclasses
import os
from collections.abc import Sequence

import numpy as np

from tlcore import errors, images

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
    """

    file_name: str
    class_names: list[str]
    probabilities: list[float]
    top: list[tuple[str, float]]
    error: str | None = None

    @property
    def best_class(self) -> str | None:
        """The most likely class, or None for a photo that could not be read."""
        return self.top[0][0] if self.top else None

    def to_dict(self) -> dict:
        """Returns the prediction as plain JSON-ready data."""
        data = {
            "file": self.file_name,
            "top": [{"class": name, "probability": round(p, 6)} for name, p in self.top],
        }
        if self.error is not None:
            data["error"] = self.error
        return data


def _default_name(source: Source, index: int) -> str:
    if isinstance(source, (bytes, bytearray)):
        return f"photo {index + 1}"
    return os.path.basename(os.fspath(source))


def predict_pixels(trained, pixels: np.ndarray, batch_size: int = 32) -> np.ndarray:
    """Returns class probabilities for a batch of already resized pixels.

    Args:
        trained: A `training.TrainedModel`.
        pixels: `(photos, input_size, input_size, 3)` RGB values in 0-255.
        batch_size: How many photos go through the model at once.

    Returns:
        A `(photos, classes)` float array.
    """
    rows = [
        np.asarray(trained.model.predict_on_batch(pixels[start : start + batch_size]))
        for start in range(0, len(pixels), batch_size)
    ]
    return np.concatenate(rows) if rows else np.zeros((0, len(trained.class_names)))


def predict(
    trained,
    sources: Sequence[Source],
    top_k: int = 3,
    file_names: Sequence[str] | None = None,
) -> list[Prediction]:
    """Predicts the class of each photo.

    A photo that cannot be read gets a prediction with `error` set and no probabilities; the
    others are predicted as usual.

    Args:
        trained: A `training.TrainedModel` (freshly trained or loaded from a project file).
        sources: Photos as bytes or paths.
        top_k: How many of the most likely classes to list.
        file_names: A name for each photo; taken from the paths when None.

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
        predict_pixels(trained, np.stack(pixel_rows)) if pixel_rows else np.zeros((0, 0))
    )
    by_row = dict(zip(readable_rows, probabilities, strict=True))
    predictions = []
    for index, source in enumerate(sources):
        name = names[index] if names is not None else _default_name(source, index)
        if index in failures:
            predictions.append(Prediction(name, list(trained.class_names), [], [], failures[index]))
            continue
        row = by_row[index]
        order = np.argsort(-row)[: min(top_k, len(row))]
        predictions.append(
            Prediction(
                file_name=name,
                class_names=list(trained.class_names),
                probabilities=[float(value) for value in row],
                top=[(trained.class_names[i], float(row[i])) for i in order],
            )
        )
    return predictions
