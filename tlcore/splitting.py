"""The hold-out split: which photos train the model and which check it."""

from collections.abc import Sequence

import numpy as np

from tlcore import errors


def stratified_split(
    labels: Sequence[int],
    validation_split: float = 0.2,
    seed: int = 0,
    class_names: Sequence[str] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Splits photo indices into training and validation, class by class.

    Each class gives about `validation_split` of its photos to validation, rounded, but keeps at
    least one for training; a class of two or more photos also gives at least one to validation,
    so every class is checked. The same labels and seed always give the same split.

    Args:
        labels: The class index of each photo.
        validation_split: The share of each class held out, from 0 (none) to below 1.
        seed: Seeds the shuffle.
        class_names: Names for the messages; class indices are used when None.

    Returns:
        Two sorted index arrays: training photos and validation photos.

    Raises:
        SettingsError: If the share is outside [0, 0.9].
        DatasetError: If a class has no photo, or too few to hold one out.
    """
    if not 0.0 <= validation_split <= 0.9:
        raise errors.SettingsError(
            "The share of photos kept for checking must be between 0% and 90%."
        )
    labels = np.asarray(labels, dtype=np.int64)
    class_count = int(labels.max()) + 1 if labels.size else 0
    rng = np.random.default_rng(seed)
    training: list[int] = []
    validation: list[int] = []
    for class_index in range(class_count):
        members = np.flatnonzero(labels == class_index)
        name = class_names[class_index] if class_names is not None else str(class_index)
        if members.size == 0:
            raise errors.DatasetError(f"The class '{name}' has no photos. Add some or remove it.")
        if validation_split > 0 and members.size < 2:
            raise errors.DatasetError(
                f"The class '{name}' has only one photo. Add at least one more, so that one can "
                "train the model and one can check it."
            )
        members = rng.permutation(members)
        held_out = 0
        if validation_split > 0:
            held_out = min(max(1, round(members.size * validation_split)), members.size - 1)
        validation.extend(members[:held_out].tolist())
        training.extend(members[held_out:].tolist())
    return np.array(sorted(training), dtype=np.int64), np.array(sorted(validation), dtype=np.int64)
