"""How alike photos are: cosine similarity of their centred features, and the pairs above one.

Pooled features after ReLU are all positive, so any two photos have a high cosine similarity;
centring them on their mean first makes the similarity tell photos apart (`normalise`).
`similar_pairs` finds every pair at or above a similarity, a block of rows at a time. The split
of training photos (`features.splitting.near_copy_groups`), the headline (`headline`) and the data
check's near-duplicates (`quality`) all measure likeness this way, so none of them depends on
another for it.
"""

from collections.abc import Callable, Iterator, Sequence

import numpy as np

#: Similar pairs are looked for this many photos at a time, so 10,000 photos never need a
#: 10,000-square matrix of similarities.
SIMILARITY_BLOCK = 1024


def normalise(features: np.ndarray) -> np.ndarray:
    """Centres features on their mean and scales each row to unit length.

    Pooled features after ReLU are all positive, so any two photos have a high cosine
    similarity; centring first makes the similarity tell photos apart.

    Args:
        features: `(photos, feature_count)`.

    Returns:
        A float32 array of the same shape whose rows have length 1 (or 0 for a row equal to
        the mean).
    """
    features = np.asarray(features, dtype=np.float32)
    if len(features) == 0:
        return features
    centred = features - features.mean(axis=0, keepdims=True)
    lengths = np.linalg.norm(centred, axis=1, keepdims=True)
    return centred / np.maximum(lengths, 1e-12)


def similar_pairs(
    vectors: np.ndarray, threshold: float, on_block: Callable[[], None] | None = None
) -> Iterator[tuple[int, int, float]]:
    """Yields every pair of rows whose cosine similarity is at least `threshold`.

    Rows are compared with all the others a block at a time, so the whole similarity matrix is
    never in memory.

    Args:
        vectors: `(photos, dimensions)` rows of length one (`normalise`).
        threshold: The least similarity of a pair.
        on_block: Called after each block of rows is compared with all.

    Yields:
        `(first, second, similarity)` with `first < second`, each pair once.
    """
    for start in range(0, len(vectors), SIMILARITY_BLOCK):
        similarities = vectors[start : start + SIMILARITY_BLOCK] @ vectors.T
        for offset, row in enumerate(similarities):
            first = start + offset
            for second in np.flatnonzero(row[first + 1 :] >= threshold) + first + 1:
                yield first, int(second), float(row[second])
        if on_block is not None:
            on_block()


def nearest_other_rows(vectors: np.ndarray, rows: Sequence[int]) -> np.ndarray:
    """Returns, for each of `rows`, the row of the most similar other photo.

    Args:
        vectors: `(photos, dimensions)` rows of length one (`normalise`).
        rows: The photos to find the nearest other photo of (a few hundred at most: the
            candidates for a flag), compared with all.

    Returns:
        The nearest other row of each, in the order of `rows`.
    """
    rows = np.asarray(rows, dtype=np.int64)
    nearest = np.empty(len(rows), dtype=np.int64)
    for start in range(0, len(rows), SIMILARITY_BLOCK):
        block = rows[start : start + SIMILARITY_BLOCK]
        similarities = vectors[block] @ vectors.T
        similarities[np.arange(len(block)), block] = -np.inf
        nearest[start : start + len(block)] = similarities.argmax(axis=1)
    return nearest
