"""Near-duplicates: pairs of photos whose features point the same way.

Pairs above a cosine similarity, within a class (they make the checking photos too easy when
one of them lands in each set) and across classes (the same picture under two labels). Exact
copies never reach a project: it keeps one photo per content hash. `tlcore.checks.quality` runs it
with the other checks.
"""

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np

from tlcore.checks.photo_references import PhotoReference
from tlcore.features import cosine


@dataclasses.dataclass(frozen=True)
class NearDuplicate:
    """Two photos that look almost the same to the model.

    Args:
        first: One photo.
        second: The other.
        similarity: The cosine similarity of their features, up to 1.
    """

    first: PhotoReference
    second: PhotoReference
    similarity: float

    @property
    def same_class(self) -> bool:
        """Whether both photos are labelled with the same class."""
        return self.first.class_name == self.second.class_name


def near_duplicates(
    features: np.ndarray,
    photos: Sequence[PhotoReference],
    threshold: float = 0.9,
    most_listed: int = 100,
    normalised: np.ndarray | None = None,
    on_block: Callable[[], None] | None = None,
) -> list[NearDuplicate]:
    """Lists the pairs of photos whose features are nearly the same.

    Args:
        features: `(photos, feature_count)` pooled features.
        photos: Each photo's reference.
        threshold: The least cosine similarity (of the centred features) of a pair.
        most_listed: The most pairs returned.
        normalised: `features.cosine.normalise(features)`, when the caller has it already.
        on_block: Called after each block of photos is compared with all
            (`features.cosine.similar_pairs`).

    Returns:
        The pairs: those across classes first (the same picture under two labels is the worse
        problem), each group the most similar first. Two entries with the same content hash
        are the same photo and never a pair.
    """
    vectors = cosine.normalise(features) if normalised is None else normalised
    found = [
        NearDuplicate(photos[first], photos[second], min(similarity, 1.0))
        for first, second, similarity in cosine.similar_pairs(vectors, threshold, on_block)
        if photos[first].content_hash != photos[second].content_hash
    ]
    found.sort(key=lambda pair: (pair.same_class, -pair.similarity))
    return found[:most_listed]
