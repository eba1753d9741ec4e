"""Each photo's features, computed once and kept on disk.

The base is frozen, so a photo's pooled features never change for one base and input size.
They are computed in batches (on the GPU when there is one) and stored under the photo's
content hash, so retraining with other settings, or adding a few photos, embeds only what is
new.
"""

import concurrent.futures
import os
import pathlib
import tempfile
from collections.abc import Callable, Sequence

import numpy as np

from tlcore import datasets, images

CACHE_DIR_VARIABLE = "TLCORE_CACHE_DIR"
# Bumped whenever the way photos become features changes, so old features are not reused.
EMBEDDING_VERSION = "v2"


def default_cache_dir() -> pathlib.Path:
    """Returns the cache folder: `$TLCORE_CACHE_DIR`, else `~/.cache/tlcore/embeddings`."""
    configured = os.environ.get(CACHE_DIR_VARIABLE)
    if configured:
        return pathlib.Path(configured).expanduser()
    return pathlib.Path("~/.cache/tlcore/embeddings").expanduser()


class EmbeddingCache:
    """Feature vectors on disk, one small `.npy` file per photo, base and input size.

    Args:
        folder: Where to keep them; `default_cache_dir()` when None.
    """

    def __init__(self, folder: str | os.PathLike | None = None):
        self.folder = pathlib.Path(folder) if folder is not None else default_cache_dir()

    def path_for(self, content_hash: str, backbone_id: str) -> pathlib.Path:
        """Returns where one photo's features for one base and size are stored."""
        if not content_hash.isalnum():
            raise ValueError(f"A content hash holds only letters and digits, not {content_hash!r}.")
        return (
            self.folder
            / f"{backbone_id}-{EMBEDDING_VERSION}"
            / content_hash[:2]
            / f"{content_hash}.npy"
        )

    def get(self, content_hash: str, backbone_id: str) -> np.ndarray | None:
        """Returns the stored features, or None when they are missing or unreadable."""
        path = self.path_for(content_hash, backbone_id)
        try:
            return np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            # A missing file is the usual case; a damaged one is simply computed again.
            return None

    def put(self, content_hash: str, backbone_id: str, features: np.ndarray) -> None:
        """Stores features atomically, so a crash never leaves half a file behind."""
        path = self.path_for(content_hash, backbone_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                np.save(file, np.asarray(features, dtype=np.float32), allow_pickle=False)
            os.replace(temporary, path)
        except BaseException:
            pathlib.Path(temporary).unlink(missing_ok=True)
            raise


def decode_batch(photos: Sequence[datasets.Photo], input_size: int) -> np.ndarray:
    """Decodes and resizes photos into one uint8 batch of shape `(photos, size, size, 3)`."""
    return np.stack(
        [
            images.load_pixels(photo.read_bytes(), input_size, file_name=photo.file_name)
            for photo in photos
        ]
    )


def embed_photos(
    photos: Sequence[datasets.Photo],
    shared_base,
    cache: EmbeddingCache | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    batch_size: int = 32,
) -> np.ndarray:
    """Returns the pooled features of every photo, computing only those not cached.

    Args:
        photos: The photos, in the order the rows of the result follow.
        shared_base: A `model.SharedBase` (the frozen base at one input size).
        cache: Where features are kept between runs; None keeps nothing.
        on_progress: Called with (photos done, photos in all) after each batch.
        batch_size: How many photos go through the base at once.

    Returns:
        A float32 array of shape `(len(photos), feature_count)`.

    Raises:
        UnreadableImageError: If a photo can no longer be read.
    """
    backbone_id = shared_base.backbone_id
    feature_count = shared_base.backbone.feature_count
    features = np.zeros((len(photos), feature_count), dtype=np.float32)
    missing: list[int] = []
    for index, photo in enumerate(photos):
        stored = cache.get(photo.content_hash, backbone_id) if cache is not None else None
        if stored is not None and stored.shape == (feature_count,):
            features[index] = stored
        else:
            missing.append(index)

    total = len(photos)
    done = total - len(missing)
    if on_progress is not None:
        on_progress(done, total)
    batches = [missing[start : start + batch_size] for start in range(0, len(missing), batch_size)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as executor:
        # While the base works on one batch, the next one is decoded: Pillow releases the GIL.
        next_pixels = (
            executor.submit(decode_batch, [photos[i] for i in batches[0]], shared_base.input_size)
            if batches
            else None
        )
        for batch_number, batch_indices in enumerate(batches):
            pixels = next_pixels.result()
            if batch_number + 1 < len(batches):
                following = [photos[i] for i in batches[batch_number + 1]]
                next_pixels = executor.submit(decode_batch, following, shared_base.input_size)
            batch_features = np.asarray(shared_base.embed_batch(pixels), dtype=np.float32)
            for index, row in zip(batch_indices, batch_features, strict=True):
                features[index] = row
                if cache is not None:
                    cache.put(photos[index].content_hash, backbone_id, row)
            done += len(batch_indices)
            if on_progress is not None:
                on_progress(done, total)
    return features
