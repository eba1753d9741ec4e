"""Outliers: photos much less like their own class than its other photos are.

Measured by each photo's similarity to the average feature vector of its class's other photos.
`tlcore.checks.quality` runs it with the other checks.
"""

import dataclasses
from collections.abc import Sequence

import numpy as np

from tlcore.checks.photo_references import PhotoReference
from tlcore.features import cosine


@dataclasses.dataclass(frozen=True)
class Outlier:
    """A photo far less like its class than the class's other photos are.

    Args:
        photo: The photo.
        similarity: Its cosine similarity to the average of its class.
        typical_similarity: The median similarity of the class's photos to that average.
        deviations: How many robust standard deviations below the median it lies.
    """

    photo: PhotoReference
    similarity: float
    typical_similarity: float
    deviations: float


def outliers(
    features: np.ndarray,
    labels: Sequence[int],
    photos: Sequence[PhotoReference],
    deviations: float = 5.0,
    most_listed: int = 100,
    normalised: np.ndarray | None = None,
) -> list[Outlier]:
    """Lists the photos much less like their own class than its other photos are.

    Each photo is compared with the average of its class's other photos (leaving itself out,
    so that an odd photo in a small class does not pull the average towards itself). A photo
    is an outlier when that similarity lies more than `deviations` robust standard deviations
    below its class's median. The spread (1.4826 times the median absolute deviation from each
    class's median) is pooled over all classes: ten photos are too few to measure a class's
    own spread, and an odd photo or two would inflate it. Classes with fewer than 5 photos have
    no reliable median and are left out.

    Args:
        features: `(photos, feature_count)` pooled features.
        labels: Each photo's class index.
        photos: Each photo's reference.
        deviations: How far below the median a photo must lie.
        most_listed: The most photos returned.
        normalised: `features.cosine.normalise(features)`, when the caller has it already.

    Returns:
        The outliers, the farthest below their class first.
    """
    vectors = cosine.normalise(features) if normalised is None else normalised
    labels = np.asarray(labels, dtype=np.int64)
    rows_of_classes, similarities, medians = [], [], []
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        if len(rows) < 5:
            continue
        members = vectors[rows]
        total = members.sum(axis=0)
        others = (total[None, :] - members) / (len(rows) - 1)
        lengths = np.maximum(np.linalg.norm(others, axis=1), 1e-12)
        similarity = (members * others).sum(axis=1) / lengths
        rows_of_classes.append(rows)
        similarities.append(similarity)
        medians.append(np.full(len(rows), np.median(similarity)))
    if not rows_of_classes:
        return []
    rows = np.concatenate(rows_of_classes)
    similarity = np.concatenate(similarities)
    median = np.concatenate(medians)
    # A floor on the spread keeps a dataset of near-identical photos from calling the
    # slightest difference an outlier.
    spread = max(1.4826 * float(np.median(np.abs(similarity - median))), 0.02)
    distances = (median - similarity) / spread
    found = [
        Outlier(photos[row], float(value), float(typical), float(distance))
        for row, value, typical, distance in zip(rows, similarity, median, distances, strict=True)
        if distance > deviations
    ]
    found.sort(key=lambda item: -item.deviations)
    return found[:most_listed]
