"""Each photo's features, computed once and kept on disk.

The base is frozen, so a photo's pooled features never change for one base and input size.
They are computed in batches (through ONNX Runtime when it is usable, `nets.onnx_base`, else Keras;
on the GPU when there is one) and stored under the photo's content hash, so retraining with
other settings, or adding a few photos, embeds only what is new. Both runtimes' features agree
within 1e-4 (checked before ONNX Runtime is used), so the cache serves both.

A photo can also be embedded as a variant: augmented view k (`augmentation`), always the same
picture for one photo, view and augmentation settings; test-time views are augmented views
under the settings without mirroring. Each variant is cached under its own key.
"""

import collections
import concurrent.futures
import dataclasses
import io
import os
import pathlib
import re
from collections.abc import Callable, Sequence

import numpy as np

from tlcore import errors, files
from tlcore.data import augmentation, datasets, images
from tlcore.nets import onnx_base

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

    def path_for(self, content_hash: str, backbone_id: str, variant_key: str = "") -> pathlib.Path:
        """Returns where one photo's features for one base, size and variant are stored.

        Args:
            content_hash: The photo's content hash.
            backbone_id: The base and input size.
            variant_key: `Variant.key`: empty for the photo itself.

        Returns:
            The path of the `.npy` file.
        """
        if not content_hash.isalnum():
            raise ValueError(f"A content hash holds only letters and digits, not {content_hash!r}.")
        if variant_key and not _VARIANT_KEY.fullmatch(variant_key):
            raise ValueError(f"A variant key holds letters, digits and '-', not {variant_key!r}.")
        file_name = f"{content_hash}-{variant_key}.npy" if variant_key else f"{content_hash}.npy"
        return self.folder / f"{backbone_id}-{EMBEDDING_VERSION}" / content_hash[:2] / file_name

    def get(self, content_hash: str, backbone_id: str, variant_key: str = "") -> np.ndarray | None:
        """Returns the stored features, or None when they are missing or unreadable."""
        path = self.path_for(content_hash, backbone_id, variant_key)
        try:
            return np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            # A missing file is the usual case; a damaged one is simply computed again.
            return None

    def put(
        self, content_hash: str, backbone_id: str, features: np.ndarray, variant_key: str = ""
    ) -> None:
        """Stores features atomically, so a crash never leaves half a file behind."""
        buffer = io.BytesIO()
        np.save(buffer, np.asarray(features, dtype=np.float32), allow_pickle=False)
        # Not forced to the disk: a file a crash damaged is simply computed again (`get`).
        files.write_atomically(
            self.path_for(content_hash, backbone_id, variant_key),
            buffer.getvalue(),
            what="photo features",
            durable=False,
        )


_VARIANT_KEY = re.compile(r"[A-Za-z0-9-]+")


@dataclasses.dataclass(frozen=True)
class Variant:
    """How a photo is changed before the base sees it.

    Args:
        augmentation_settings: The settings of an augmented view; None for the photo itself.
        view: The augmented view's number, from 0.
    """

    augmentation_settings: augmentation.AugmentationSettings | None = None
    view: int = 0

    @property
    def key(self) -> str:
        """The name of this variant in the cache: empty for the photo itself."""
        if self.augmentation_settings is None:
            return ""
        return f"{self.augmentation_settings.cache_key()}-view{self.view}"


ORIGINAL = Variant()


def augmented_view(settings: augmentation.AugmentationSettings, view: int) -> Variant:
    """Returns the variant that is augmented view `view` of a photo under `settings`."""
    return Variant(augmentation_settings=settings, view=view)


def test_time_view(settings: augmentation.AugmentationSettings, view: int) -> Variant:
    """Returns the variant that is test-time view `view` of a photo whose model was trained
    with `settings` (`data.augmentation.test_time_pixels`)."""
    return augmented_view(augmentation.test_time_settings(settings), view)


def decode_batch(
    photos: Sequence[datasets.Photo],
    input_size: int,
    variants: Sequence[Variant] | None = None,
    dtype=np.uint8,
) -> np.ndarray:
    """Decodes and resizes photos into one batch of shape `(photos, size, size, 3)`.

    Args:
        photos: The photos.
        input_size: The side of the square each becomes.
        variants: How each photo is changed; None for not at all. A photo that comes several
            times in a row (its augmented views) is read and decoded once.
        dtype: The batch's type: uint8, or float32 for a network that takes floats (the
            pixels are converted as they are gathered, with no second copy).

    Returns:
        The batch.
    """
    variants = variants or [ORIGINAL] * len(photos)
    rows: list[np.ndarray] = []
    start = 0
    while start < len(photos):
        photo, variant = photos[start], variants[start]
        if variant.augmentation_settings is None:
            rows.append(
                images.load_pixels(photo.read_bytes(), input_size, file_name=photo.file_name)
            )
            start += 1
            continue
        # The run of this photo's augmented views under the same settings, decoded once.
        end = start
        while (
            end < len(photos)
            and photos[end].content_hash == photo.content_hash
            and variants[end].augmentation_settings == variant.augmentation_settings
        ):
            end += 1
        seeds = [
            augmentation.view_seed(photo.content_hash, variants[index].view)
            for index in range(start, end)
        ]
        rows.extend(
            augmentation.augmented_pixels(
                photo.read_bytes(),
                variant.augmentation_settings,
                seeds,
                input_size,
                photo.file_name,
            )
        )
        start = end
    return np.stack(rows, dtype=dtype)


BATCH_SIZE = 16
"""How many photos go through the base at once in the calling thread (Keras, a GPU, a first
batch): on this 2-core CPU, ONNX Runtime spread over both cores needed less CPU time a photo
in batches of 16 than of 32 or 64 (about 85 photos per CPU-second against 80 and 75)."""

SIDE_BY_SIDE_BATCH_SIZE = 4
"""How many photos each of the calls side by side (`_embed_side_by_side`) takes. Measured in
turns on this 2-core CPU, nearly quiet (load 2.1-2.2), 256 photos: batches of 4 ran at 102
photos per CPU-second, of 8 at 98-99, of 12 at 90-96, of 16 at about 90; the peak memory
grows with the batch (256 photos: 409 MiB with batches of 8, 669 MiB with 16)."""


def default_decode_workers() -> int:
    """Returns how many threads decode photos ahead of the base: one per spare core, up to 8."""
    return max(1, min(8, (os.cpu_count() or 2) - 1))


def embed_photos(
    photos: Sequence[datasets.Photo],
    shared_base,
    cache: EmbeddingCache | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    batch_size: int | None = None,
    variants: Sequence[Variant] | None = None,
    decode_workers: int | None = None,
    extractor=None,
) -> np.ndarray:
    """Returns the pooled features of every photo, computing only those not cached.

    Args:
        photos: The photos, in the order the rows of the result follow. A photo may come
            several times, as several variants.
        shared_base: A `nets.model.SharedBase` (the frozen base at one input size).
        cache: Where features are kept between runs; None keeps nothing.
        on_progress: Called with (photos done, photos in all) after each batch.
        batch_size: How many photos go through the base at once; None for
            `SIDE_BY_SIDE_BATCH_SIZE` side by side, else `BATCH_SIZE`.
        variants: How each photo is changed before the base sees it, one per photo; None
            embeds every photo as it is.
        decode_workers: Threads decoding batches ahead of the base;
            `default_decode_workers()` when None.
        extractor: What computes the features (`embed_batch(pixels)`);
            `nets.onnx_base.feature_extractor(shared_base)` when None. With one, `shared_base`
            need only name the base (`backbone_id`, `backbone`, `input_size`).

    Returns:
        A float32 array of shape `(len(photos), feature_count)`.

    Raises:
        UnreadableImageError: If a photo can no longer be read.
    """
    backbone_id = shared_base.backbone_id
    feature_count = shared_base.backbone.feature_count
    variants = list(variants) if variants is not None else [ORIGINAL] * len(photos)
    if len(variants) != len(photos):
        raise ValueError(f"{len(photos)} photos need {len(photos)} variants, not {len(variants)}.")
    features = np.zeros((len(photos), feature_count), dtype=np.float32)
    missing: list[int] = []
    for index, photo in enumerate(photos):
        key = variants[index].key
        stored = cache.get(photo.content_hash, backbone_id, key) if cache is not None else None
        if stored is not None and stored.shape == (feature_count,):
            features[index] = stored
        else:
            missing.append(index)

    if on_progress is not None:
        on_progress(len(photos) - len(missing), len(photos))
    if missing:
        store = _FeatureStore(cache, backbone_id, photos, variants)
        # The runtime is chosen (and the base converted, once) only when there is work for it.
        extractor = extractor or onnx_base.feature_extractor(shared_base)
        _embed_batches(
            photos,
            variants,
            missing,
            batch_size,
            shared_base.input_size,
            extractor,
            features,
            store,
            on_progress,
            decode_workers,
        )
    return features


class _FeatureStore:
    """Writes computed features to the cache, from the decoding threads; after a failed
    write (a full disk), none is tried again: the features are in memory, and are computed
    again next time."""

    def __init__(self, cache, backbone_id, photos, variants):
        self.cache = cache
        self.backbone_id = backbone_id
        self.photos = photos
        self.variants = variants

    def put_rows(self, rows: list[int], rows_features: np.ndarray) -> None:
        """Stores the features of the given rows of the photo list."""
        for row, row_features in zip(rows, rows_features, strict=True):
            if self.cache is None:
                return
            try:
                self.cache.put(
                    self.photos[row].content_hash,
                    self.backbone_id,
                    row_features,
                    self.variants[row].key,
                )
            except (OSError, errors.DiskFullError):
                self.cache = None


def _decode_rows(photos, variants, rows: list[int], input_size: int) -> np.ndarray:
    """Decodes the given rows of the photo list into one float32 batch, in a pool thread."""
    return decode_batch(
        [photos[row] for row in rows], input_size, [variants[row] for row in rows], np.float32
    )


def parallel_layout() -> tuple[int, int]:
    """Returns how batches run side by side through ONNX Runtime on a CPU: (calls at once,
    threads a call). Two calls on one thread each on two cores; at most four calls, sharing
    the cores of a bigger machine."""
    cores = os.cpu_count() or 2
    calls = max(1, min(4, cores))
    return calls, max(1, cores // calls)


def _embed_batches(
    photos,
    variants,
    missing,
    batch_size,
    input_size,
    extractor,
    features,
    store,
    on_progress,
    workers,
):
    """Embeds batches of rows into `features`, side by side where the extractor allows it.

    Where the extractor has yet to choose its runtime (and check it against Keras, once), the
    first batch runs alone in the calling thread. Then, through ONNX Runtime on a CPU, each of
    `parallel_layout()` threads decodes a batch, runs the base on it and writes its features
    to the cache, side by side (`_embed_side_by_side`); with Keras or on a GPU, the base
    runs in the calling thread while a pool decodes ahead (`_embed_pipelined`).
    """
    done = len(photos) - len(missing)
    calls, threads = parallel_layout()
    model = side_by_side_model(extractor, threads)
    if model is None:
        # The first batch alone: an extractor not yet checked chooses its runtime on it.
        first_size = batch_size or BATCH_SIZE
        first, missing = missing[:first_size], missing[first_size:]
        pixels = _decode_rows(photos, variants, first, input_size)
        features[first] = np.asarray(extractor.embed_batch(pixels), dtype=np.float32)
        store.put_rows(first, features[first])
        done += len(first)
        if on_progress is not None:
            on_progress(done, len(photos))
        model = side_by_side_model(extractor, threads)
    if not missing:
        return
    if model is not None and calls > 1:
        batches = _split(missing, batch_size or SIDE_BY_SIDE_BATCH_SIZE)
        _embed_side_by_side(
            photos, variants, batches, input_size, model, features, store, on_progress, calls, done
        )
    else:
        batches = _split(missing, batch_size or BATCH_SIZE)
        _embed_pipelined(
            photos, variants, batches, input_size, extractor, features, store, on_progress, workers
        )


def _split(rows: list[int], size: int) -> list[list[int]]:
    """Returns the rows in batches of `size` (the last one shorter)."""
    return [rows[start : start + size] for start in range(0, len(rows), size)]


def side_by_side_model(extractor, threads: int):
    """Returns the extractor's model for calls side by side, or None (Keras, a GPU, or a
    choice of runtime still to make)."""
    if not hasattr(extractor, "parallel_model"):
        return None
    return extractor.parallel_model(threads)


def _embed_rows(photos, variants, rows, input_size, model, features, store) -> int:
    """Decodes, embeds and caches one batch of rows, in a pool thread; returns its size."""
    pixels = _decode_rows(photos, variants, rows, input_size)
    features[rows] = model.predict_on_batch(pixels)
    store.put_rows(rows, features[rows])
    return len(rows)


def _embed_side_by_side(
    photos, variants, batches, input_size, model, features, store, on_progress, calls, done
):
    """Runs `calls` batches at once, each decoded, embedded and cached by one pool thread.

    Progress is reported from the calling thread (a page's progress bar may only be drawn
    from its own thread). Pillow and ONNX Runtime release the GIL, so the threads share the
    cores; the first failure (an unreadable photo) cancels the batches not yet started.
    """
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=calls)
    try:
        futures = [
            executor.submit(_embed_rows, photos, variants, rows, input_size, model, features, store)
            for rows in batches
        ]
        for future in concurrent.futures.as_completed(futures):
            done += future.result()
            if on_progress is not None:
                on_progress(done, len(photos))
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _embed_pipelined(
    photos, variants, batches, input_size, extractor, features, store, on_progress, workers
):
    """Embeds batches of rows into `features`, decoding ahead and writing behind in a pool.

    The base runs in the calling thread, and nothing else does: while it works on one batch,
    the next ones are decoded (and turned into floats) and the last one's features are
    written to the cache by the pool. Pillow and NumPy release the GIL, so on two cores the
    base keeps both busy and decoding fits in its gaps.
    """
    workers = workers or default_decode_workers()
    done = len(photos) - sum(len(rows) for rows in batches)
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as executor:

        def decode(rows):
            return executor.submit(_decode_rows, photos, variants, rows, input_size)

        pending = collections.deque(decode(rows) for rows in batches[:workers])
        writes = []
        for batch_number, rows in enumerate(batches):
            pixels = pending.popleft().result()
            if batch_number + workers < len(batches):
                pending.append(decode(batches[batch_number + workers]))
            features[rows] = np.asarray(extractor.embed_batch(pixels), dtype=np.float32)
            writes.append(executor.submit(store.put_rows, rows, features[rows]))
            done += len(rows)
            if on_progress is not None:
                on_progress(done, len(photos))
        for write in writes:
            write.result()
