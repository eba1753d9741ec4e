"""The hold-out split: which photos train the model and which check it.

Photos taken in one sitting are often near-copies of each other: the same product, the same
light, the camera moved a little. If one of them trains the model and its near-copy checks it,
the check says little about new photos: on the grocery photos, `train` photos held out at
random were 94% right while `val` photos, taken on another day, were 72% right. So
`grouped_split` keeps each group of near-copies (`near_copy_groups`) on one side of the split
where it can, and the validation figures, early stopping and the "not sure" threshold are
measured on photos less like those the model learned from (85% right there, against 71% on
`val`: closer, though photos of another day still differ more).
"""

from collections.abc import Sequence

import numpy as np

from tlcore import errors
from tlcore.features import cosine

# Two photos of one class are near-copies when the cosine similarity of their centred features
# (`features.cosine.normalise`) is at least this. Measured on the grocery photos: a `train` photo's
# nearest other `train` photo of its class has a median similarity of 0.79, a `val` photo's
# nearest `train` photo (taken on another day) 0.55.
NEAR_COPY_SIMILARITY = 0.75


def stratified_split(
    labels: Sequence[int],
    validation_split: float = 0.2,
    seed: int = 0,
    class_names: Sequence[str] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Splits photo indices into training and validation, class by class, at random.

    Each class holds out `validation_counts` photos. The same labels and seed always give the
    same split.

    Args:
        labels: The class index of each photo.
        validation_split: The share of each class held out, from 0 (none) to 0.9.
        seed: Seeds the shuffle.
        class_names: Names for the messages; class indices are used when None.

    Returns:
        Two sorted index arrays: training photos and validation photos.

    Raises:
        SettingsError: If the share is outside [0, 0.9].
        DatasetError: If a class has no photo, or too few to hold one out.
    """
    labels = np.asarray(labels, dtype=np.int64)
    held_out_counts = validation_counts(labels, validation_split, class_names)
    rng = np.random.default_rng(seed)
    training: list[int] = []
    validation: list[int] = []
    for class_index, held_out in enumerate(held_out_counts):
        members = rng.permutation(np.flatnonzero(labels == class_index))
        validation.extend(members[:held_out].tolist())
        training.extend(members[held_out:].tolist())
    return np.array(sorted(training), dtype=np.int64), np.array(sorted(validation), dtype=np.int64)


def validation_counts(
    labels: Sequence[int],
    validation_split: float = 0.2,
    class_names: Sequence[str] | None = None,
) -> list[int]:
    """Returns how many photos of each class the split holds out, checking that it can.

    Each class gives about `validation_split` of its photos, rounded, but keeps at least one
    for training; a class of two or more photos also gives at least one, so every class is
    checked. Both splits hold out these counts, so they are known before any photo is seen.

    Args:
        labels: The class index of each photo.
        validation_split: The share of each class held out, from 0 (none) to 0.9.
        class_names: Names for the messages; class indices are used when None.

    Returns:
        The number of validation photos of each class, by class index.

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
    counts = []
    for class_index in range(class_count):
        size = int((labels == class_index).sum())
        name = class_names[class_index] if class_names is not None else str(class_index)
        if size == 0:
            raise errors.DatasetError(f"The class '{name}' has no photos. Add some or remove it.")
        if validation_split > 0 and size < 2:
            raise errors.DatasetError(
                f"The class '{name}' has only one photo. Add at least one more, so that one can "
                "train the model and one can check it."
            )
        held_out = 0
        if validation_split > 0:
            held_out = min(max(1, round(size * validation_split)), size - 1)
        counts.append(held_out)
    return counts


def near_copy_groups(
    features: np.ndarray,
    labels: Sequence[int],
    similarity: float = NEAR_COPY_SIMILARITY,
) -> np.ndarray:
    """Groups each class's photos into near-copies of each other.

    Two photos of the same class are linked when the cosine similarity of their centred
    features is at least `similarity`; a group is every photo reachable through links, so a
    run of photos each a little further turned lands in one group.

    Args:
        features: `(photos, feature_count)` features of the photos as they are (no views).
        labels: The class index of each photo.
        similarity: The least similarity that links two photos.

    Returns:
        A group number for each photo; photos of different classes never share one.
    """
    labels = np.asarray(labels, dtype=np.int64)
    vectors = cosine.normalise(features)
    parent = np.arange(len(labels))

    def root(row: int) -> int:
        while parent[row] != row:
            parent[row] = parent[parent[row]]
            row = parent[row]
        return row

    for class_index in np.unique(labels):
        members = np.flatnonzero(labels == class_index)
        for first, second, _ in cosine.similar_pairs(vectors[members], similarity):
            parent[root(members[first])] = root(members[second])
    return np.array([root(row) for row in range(len(labels))], dtype=np.int64)


def grouped_split(
    labels: Sequence[int],
    groups: Sequence[int],
    validation_split: float = 0.2,
    seed: int = 0,
    class_names: Sequence[str] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Splits photo indices into training and validation, keeping near-copies together.

    Each class holds out as many photos as `stratified_split` would (`validation_counts`).
    Whole groups are held out, in a seeded random order, while they fit; when the class's
    groups are too big for that (every photo of the class taken in one sitting, say), the
    rest are taken from its smallest remaining groups, so as few groups as possible straddle
    the split.

    Args:
        labels: The class index of each photo.
        groups: The near-copy group of each photo (`near_copy_groups`).
        validation_split: The share of each class held out, from 0 (none) to 0.9.
        seed: Seeds the order of the groups.
        class_names: Names for the messages; class indices are used when None.

    Returns:
        Two sorted index arrays: training photos and validation photos.

    Raises:
        SettingsError: If the share is outside [0, 0.9].
        DatasetError: If a class has no photo, or too few to hold one out.
    """
    labels = np.asarray(labels, dtype=np.int64)
    groups = np.asarray(groups, dtype=np.int64)
    if groups.shape != labels.shape:
        raise ValueError("There must be one group for each photo.")
    held_out_counts = validation_counts(labels, validation_split, class_names)
    rng = np.random.default_rng(seed)
    validation: list[int] = []
    for class_index, held_out in enumerate(held_out_counts):
        members = np.flatnonzero(labels == class_index)
        class_groups = [
            rng.permutation(members[groups[members] == group])
            for group in rng.permutation(np.unique(groups[members]))
        ]
        chosen: list[int] = []
        remaining = []
        for group in class_groups:
            if len(chosen) + len(group) <= held_out:
                chosen.extend(group.tolist())
            else:
                remaining.append(group)
        # A stable sort keeps the seeded order among groups of the same size.
        remaining.sort(key=len)
        for group in remaining:
            chosen.extend(group[: held_out - len(chosen)].tolist())
        validation.extend(chosen)
    validation_rows = np.array(sorted(validation), dtype=np.int64)
    training_rows = np.setdiff1d(np.arange(len(labels)), validation_rows)
    return training_rows.astype(np.int64), validation_rows
