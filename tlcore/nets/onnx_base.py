"""The frozen base through ONNX Runtime: converted once, checked against Keras, cached.

The frozen MobileNetV2 base is most of what people wait for on a CPU, and ONNX Runtime runs it
about three times faster than Keras on TensorFlow. `feature_extractor(shared_base)` gives
what every feature computation goes through (training's embedding, embedding on arrival, the
data check, the live camera):

1. The base's feature extractor (resized pixels in, pooled features out, the centre crop and
   pixel scaling inside) is converted to ONNX with tf2onnx, once per backbone, image size,
   weight file and converter version, and cached beside Keras' weight cache
   (`~/.keras/tlcore-onnx`, or `$TLCORE_ONNX_CACHE_DIR`), written atomically with its
   checksum beside it. A damaged file is converted again.
2. Before its first use, its features on the first real photos it is given are compared with
   Keras': they must agree within `nets.runtimes.TOLERANCE`, else Keras is used and the reason
   logged. The result is kept beside the file, so the check runs once.
3. On a machine with a GPU, both are timed on that batch (Keras on the GPU, ONNX Runtime on its
   CUDA provider when `onnxruntime-gpu` is installed, else on the CPU) and the faster is used
   by this process.

Keras stays the fallback for every failure (no ONNX Runtime, a failed conversion or check)
and whenever `TLCORE_RUNTIME=keras`. Features of both agree within the tolerance, so the
embedding cache is shared by both runtimes.

The trained classifier's ONNX form, for project files (`classifier_onnx`), is this base with
the head joined on (written from its weights by `nets.onnx_head`), or, for a fine-tuned model, the
whole model converted.
"""

import contextlib
import hashlib
import importlib.metadata
import json
import logging
import os
import pathlib
import threading
import time

try:
    import fcntl
except ImportError:  # Not on Windows: there each process converts for itself.
    fcntl = None
import numpy as np
import onnx
import onnx.compose

from tlcore import errors, files
from tlcore.data import images
from tlcore.nets import device, onnx_head, runtimes, weights

ONNX_CACHE_VARIABLE = "TLCORE_ONNX_CACHE_DIR"
OPSET = runtimes.OPSET

logger = logging.getLogger("tlcore.nets.onnx_base")

_extractors: dict[tuple[str, str], "OnnxFeatures"] = {}
_extractors_lock = threading.Lock()


def onnx_cache_dir() -> pathlib.Path:
    """Returns where converted bases are kept: `$TLCORE_ONNX_CACHE_DIR`, else the folder
    beside Keras' weight cache (`~/.keras/tlcore-onnx`)."""
    configured = os.environ.get(ONNX_CACHE_VARIABLE)
    if configured:
        return pathlib.Path(configured).expanduser()
    return weights.keras_cache_dir().parent / "tlcore-onnx"


def converter_versions() -> str:
    """Returns the converter's and ONNX Runtime's versions, part of a converted file's name."""
    versions = [f"tf2onnx{importlib.metadata.version('tf2onnx')}"]
    if runtimes.onnx_runtime_available():
        versions.append(f"ort{importlib.metadata.version('onnxruntime')}")
    return "-".join(versions)


def file_sha256(path: str | os.PathLike) -> str:
    """Returns the SHA-256 of a file's content."""
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def converted_base_path(shared_base) -> pathlib.Path:
    """Returns where a shared base's ONNX form is cached: named by the base and size, the
    weight file's content and the converter's version, so new weights convert again."""
    return converted_path_for(shared_base.backbone_id, shared_base.weights_path)


def converted_path_for(backbone_id: str, weights_path: str | os.PathLike) -> pathlib.Path:
    """Returns where the ONNX form of a base and size (`backbone_id`) with these weights is
    cached (`converted_base_path`), without building the Keras base."""
    weights_hash = file_sha256(weights_path)[:16]
    name = f"{backbone_id}-{weights_hash}-{converter_versions()}-opset{OPSET}.onnx"
    return onnx_cache_dir() / name


def checked_base_model(backbone_id: str, weights_path) -> runtimes.OnnxModel | None:
    """Returns the base's converted form when it was converted and passed its check against
    Keras on this machine before, so features can be computed before TensorFlow is even
    imported (the command line's `train`); None when ONNX Runtime is not wanted, the form is
    missing, damaged or failed its check, or an NVIDIA GPU may make Keras the faster (that
    is measured once TensorFlow is there). The session is the one training then uses.
    """
    path = checked_base_path(backbone_id, weights_path)
    if path is None:
        return None
    try:
        return _session_at(path, use_gpu=bool(runtimes.gpu_providers()))
    except (OSError, ValueError):
        return None


def checked_base_path(backbone_id: str, weights_path) -> pathlib.Path | None:
    """Returns the path of the base's converted form when `checked_base_model` would use it
    (converted, intact and checked against Keras on this machine, ONNX Runtime wanted, no
    NVIDIA GPU that may make Keras the faster), without loading it; else None."""
    if not runtimes.onnx_wanted() or (runtimes.requested_runtime() is None and _gpu_device_seen()):
        return None
    path = converted_path_for(backbone_id, weights_path)
    try:
        record = json.loads(path.with_suffix(".json").read_text("utf-8"))
        if not (record.get("check") or {}).get("passed") or record.get("sha256") != file_sha256(
            path
        ):
            return None
    except (OSError, ValueError, AttributeError):
        return None
    return path


def _gpu_device_seen() -> bool:
    """Tells, without TensorFlow, whether the machine shows an NVIDIA GPU's device file."""
    return pathlib.Path("/dev/nvidia0").exists() or bool(runtimes.gpu_providers())


_sessions: dict[tuple[str, bool], runtimes.OnnxModel] = {}
_sessions_lock = threading.Lock()


def _session_at(path: pathlib.Path, use_gpu: bool) -> runtimes.OnnxModel:
    """Returns this process's session of a converted file, loading it once (a fraction of a
    second for the base)."""
    key = (str(path), use_gpu)
    with _sessions_lock:
        if key not in _sessions:
            _sessions[key] = runtimes.OnnxModel(path, use_gpu)
        return _sessions[key]


def keras_to_onnx(keras_model, input_shape: tuple, input_name: str, output_name: str) -> bytes:
    """Converts a Keras model (TensorFlow backend) to ONNX through a `tf.function`.

    Args:
        keras_model: The model; it is called with `training=False`.
        input_shape: Its input's shape without the batch, such as `(256, 256, 3)`.
        input_name: The ONNX input's name.
        output_name: The ONNX output's name.

    Returns:
        The `.onnx` file's bytes.
    """
    # Imported here: the converter imports TensorFlow, which only conversion needs, and a
    # machine converts each base once.
    import tensorflow as tf
    import tf2onnx

    signature = (tf.TensorSpec((None, *input_shape), tf.float32, name=input_name),)

    @tf.function(input_signature=signature)
    def call(inputs):
        return {output_name: keras_model(inputs, training=False)}

    proto, _ = tf2onnx.convert.from_function(call, input_signature=signature, opset=OPSET)
    return proto.SerializeToString()


class OnnxFeatures:
    """The frozen base's features through ONNX Runtime, checked against Keras on first use.

    Args:
        shared_base: The `nets.model.SharedBase` it stands in for (and falls back to).
        onnx_model: Its converted form, loaded.
        record_path: The `.json` beside the converted `.onnx` file: its checksum and check.
        record: That file's content.
    """

    def __init__(self, shared_base, onnx_model: runtimes.OnnxModel, record_path, record: dict):
        self.shared_base = shared_base
        self.path = pathlib.Path(record_path).with_suffix(".onnx")
        self.onnx_model = onnx_model
        self.record_path = pathlib.Path(record_path)
        self.record = record
        self.use_keras = bool(record.get("check") and not record["check"]["passed"])
        # On a GPU machine: whether Keras was the faster on this process's first batch.
        self.keras_faster = False
        # Whether this process has checked it (or found it checked) and chosen the runtime.
        self.ready = False
        self.lock = threading.Lock()

    @property
    def checked(self) -> bool:
        """Whether the features were compared with Keras' on real photos."""
        return bool(self.record.get("check"))

    def embed_batch(self, pixels) -> np.ndarray:
        """Returns the pooled features of a batch of resized pixels (0-255)."""
        if not self.ready:
            with self.lock:
                if not self.ready:
                    self._prepare(np.asarray(pixels))
        # `TLCORE_RUNTIME=onnx` asks for ONNX Runtime even where Keras was the faster (the
        # benchmark's comparison on a GPU); a failed check always means Keras.
        if self.use_keras or (self.keras_faster and runtimes.requested_runtime() != runtimes.ONNX):
            return np.asarray(self.shared_base.embed_batch(pixels), dtype=np.float32)
        return self.onnx_model.predict_on_batch(pixels)

    def parallel_model(self, threads: int) -> runtimes.OnnxModel | None:
        """Returns the ONNX model for batches run side by side (`OnnxModel.parallel_model`)
        once ONNX Runtime is chosen: checked against Keras before, on a machine without a
        GPU, or after this process's first batch (`embed_batch`) chose it. None while the
        choice waits for a first batch, or when Keras answers."""
        if not self.ready and self.checked and not _has_gpu():
            with self.lock:
                self.ready = True  # Nothing to choose: `_prepare` would do nothing more.
        if not self.ready or self.use_keras or self.keras_faster:
            return None
        return self.onnx_model.parallel_model(threads)

    def _prepare(self, pixels: np.ndarray) -> None:
        """On first use in this process: the check against Keras, unless an earlier process
        made it; on a machine with a GPU, the choice of the faster runtime."""
        if not self.checked:
            self._check(pixels)
        if not self.use_keras and _has_gpu():
            self._choose_faster(pixels)
        self.ready = True

    def _check(self, pixels: np.ndarray) -> None:
        """Compares the features of real photos with Keras', keeping the result on disk."""
        keras_features = np.asarray(self.shared_base.embed_batch(pixels), dtype=np.float32)
        difference = float(np.abs(keras_features - self.onnx_model.predict_on_batch(pixels)).max())
        passed = difference <= runtimes.TOLERANCE
        self.record["check"] = {
            "max_difference": difference,
            "photos": len(pixels),
            "passed": passed,
        }
        _write_record(self.record_path, self.record)
        if not passed:
            logger.warning(
                "ONNX Runtime's features differ from Keras' by up to %.1e on %d photos (at "
                "most %.0e allowed); features are computed with Keras.",
                difference,
                len(pixels),
                runtimes.TOLERANCE,
            )
            self.use_keras = True

    def _choose_faster(self, pixels: np.ndarray) -> None:
        """Times both runtimes on a batch and keeps the faster. Keras runs on the GPU; ONNX
        Runtime on its CUDA provider when `onnxruntime-gpu` is installed, else on the CPU."""
        for function in (self.shared_base.embed_batch, self.onnx_model.predict_on_batch):
            function(pixels)  # The first call of each includes its start-up.
        keras_seconds = _timed(self.shared_base.embed_batch, pixels)
        onnx_seconds = _timed(self.onnx_model.predict_on_batch, pixels)
        self.keras_faster = keras_seconds < onnx_seconds
        logger.warning(
            "On this GPU machine, %d photos took %.1f ms with ONNX Runtime (%s), %.1f ms with "
            "Keras: features are computed with %s.",
            len(pixels),
            onnx_seconds * 1000,
            self.onnx_model.providers[0],
            keras_seconds * 1000,
            "Keras" if self.keras_faster else "ONNX Runtime",
        )


def _timed(function, pixels) -> float:
    started = time.perf_counter()
    function(pixels)
    return time.perf_counter() - started


def _write_record(path: pathlib.Path, record: dict) -> None:
    _write_cache_file(path, json.dumps(record, indent=2).encode("utf-8"))


def _write_cache_file(path: pathlib.Path, data: bytes) -> None:
    """Writes a file of the cache atomically; a cache that cannot be written (a read-only home,
    a full disk) costs only the next process's conversion or check."""
    try:
        files.write_atomically(path, data, what="the converted network")
    except (OSError, errors.DiskFullError) as error:
        logger.warning("The converted network cannot be kept in %s (%s).", path.parent, error)


@contextlib.contextmanager
def _conversion_turn(path: pathlib.Path):
    """One process of the machine at a time converts a base: workers that start together on a
    new machine wait for the first one's file rather than each spending seconds of CPU on it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path.with_suffix(".lock"), "a")
    except OSError:
        yield  # A cache that cannot be written keeps nothing to wait for either.
        return
    with handle:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _load_cached(shared_base, path: pathlib.Path, use_gpu: bool) -> OnnxFeatures | None:
    """Loads the cached ONNX form of a base; None when it is missing or damaged."""
    record_path = path.with_suffix(".json")
    try:
        record = json.loads(record_path.read_text("utf-8"))
        if record.get("sha256") != file_sha256(path):
            raise ValueError("the converted file does not match its checksum")
        return OnnxFeatures(shared_base, _session_at(path, use_gpu), record_path, record)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        logger.warning("The converted base at %s is unusable (%s); converting again.", path, error)
        return None


def _load_or_convert(shared_base) -> OnnxFeatures:
    """Loads the cached ONNX form of a base, converting it when missing or damaged.

    Raises:
        Exception: Whatever the converter or ONNX Runtime raises; the caller falls back.
    """
    path = converted_base_path(shared_base)
    use_gpu = bool(runtimes.gpu_providers()) and _has_gpu()
    cached = _load_cached(shared_base, path, use_gpu)
    if cached is not None:
        return cached
    with _conversion_turn(path):
        # Another process may have converted it while this one waited for its turn.
        cached = _load_cached(shared_base, path, use_gpu)
        if cached is not None:
            return cached
        started = time.perf_counter()
        data = keras_to_onnx(
            shared_base.feature_extractor,
            (shared_base.input_size, shared_base.input_size, 3),
            "pixels",
            "features",
        )
        _write_cache_file(path, data)
        record = {"sha256": hashlib.sha256(data).hexdigest(), "check": None}
        record_path = path.with_suffix(".json")
        _write_record(record_path, record)
    logger.info(
        "Converted %s to ONNX in %.1f s.", shared_base.backbone_id, time.perf_counter() - started
    )
    return OnnxFeatures(shared_base, runtimes.OnnxModel(data, use_gpu), record_path, record)


def _has_gpu() -> bool:
    return bool(device.configure_gpu())


def onnx_features(shared_base) -> OnnxFeatures | None:
    """Returns the base's ONNX form for this process, converting it once; None (with the
    reason logged) when it cannot be made or failed its check."""
    key = (shared_base.backbone_id, str(shared_base.weights_path))
    with _extractors_lock:
        if key not in _extractors:
            try:
                _extractors[key] = _load_or_convert(shared_base)
            except Exception as error:  # noqa: BLE001 - any failure means "use Keras".
                logger.warning(
                    "The pretrained network could not be converted for ONNX Runtime (%s); "
                    "features are computed with Keras.",
                    runtimes.first_line(error),
                )
                _extractors[key] = None
        extractor = _extractors[key]
    if extractor is None or (extractor.checked and extractor.use_keras):
        return None
    return extractor


def feature_extractor(shared_base):
    """Returns what computes a base's features: its ONNX form when ONNX Runtime is wanted and
    the form is usable, else the Keras base itself. Both have `embed_batch(pixels)`."""
    if not runtimes.onnx_wanted():
        return shared_base
    return onnx_features(shared_base) or shared_base


CHECK_PHOTOS = 8
"""How many real photos a new classifier's ONNX form is compared with Keras on."""


def classifier_onnx(classifier, shared_base, head=None) -> bytes:
    """Returns a trained classifier in ONNX form: pixels (0-255) in, probabilities out.

    Args:
        classifier: The Keras classifier (`nets.model.build_classifier`, or a fine-tuned one).
        shared_base: The shared frozen base it was built on.
        head: Its head, when its base is the shared frozen one: the converted base is reused
            and only the small head is converted (a fraction of a second). None converts the
            whole classifier (a fine-tuned base).

    Raises:
        Exception: Whatever the converter raises, or ValueError when the base has no checked
            ONNX form.
    """
    if head is None:
        input_shape = tuple(classifier.inputs[0].shape[1:])
        return keras_to_onnx(classifier, input_shape, "pixels", "probabilities")
    features = onnx_features(shared_base)
    if features is None:
        raise ValueError("the pretrained network has no checked ONNX form")
    base_model = onnx.load_model(features.path)
    try:
        head_data = onnx_head.head_onnx(head)
    except onnx_head.UnsupportedHeadError:
        feature_shape = (shared_base.backbone.feature_count,)
        head_data = keras_to_onnx(head, feature_shape, "features", "probabilities")
    head_model = onnx.load_model_from_string(head_data)
    head_model.ir_version = base_model.ir_version
    # The head's inner names are prefixed so that none clashes with the base's; its input
    # keeps the name of the base's output, which feeds it.
    head_model = onnx.compose.add_prefix(
        head_model, "head/", rename_inputs=False, rename_outputs=False
    )
    joined = onnx.compose.merge_models(base_model, head_model, io_map=[("features", "features")])
    return joined.SerializeToString()


def project_classifier(
    classifier, shared_base, photos, head=None, head_features=None
) -> runtimes.OnnxClassifier | None:
    """Makes a trained classifier's ONNX form for its project file and checks it on photos.

    Args:
        classifier: The Keras classifier.
        shared_base: The shared frozen base.
        photos: Real photos (`data.datasets.Photo`) to check it on; the first `CHECK_PHOTOS` are.
        head: The head, when the base is the shared frozen one (see `classifier_onnx`).
        head_features: With `head`, the photos' features the head was validated on: the ONNX
            model's probabilities are compared with the Keras head's on them. Without a head,
            with the Keras classifier's on the photos' pixels.

    Returns:
        The checked ONNX form, or None (the reason logged) when ONNX Runtime is not wanted, the
        conversion failed, or its answers differ from Keras' by more than `nets.runtimes.TOLERANCE`.
    """
    if not runtimes.onnx_wanted() or not photos:
        return None
    photos = list(photos)[:CHECK_PHOTOS]
    pixels = np.stack(
        [
            images.load_pixels(photo.read_bytes(), shared_base.input_size, photo.file_name)
            for photo in photos
        ]
    )
    try:
        data = classifier_onnx(classifier, shared_base, head)
        actual = runtimes.OnnxModel(data).predict_on_batch(pixels)
    except Exception as error:  # noqa: BLE001 - any failure means "predict with Keras".
        logger.warning("The model could not be converted to ONNX (%s).", runtimes.first_line(error))
        return None
    if head is not None:
        expected = np.asarray(head(np.asarray(head_features)[: len(photos)], training=False))
    else:
        expected = np.asarray(classifier.predict_on_batch(pixels))
    difference = float(np.abs(expected - actual).max())
    if difference > runtimes.TOLERANCE:
        logger.warning(
            "The model's ONNX form differs from Keras by up to %.1e; it is not saved.", difference
        )
        return None
    return runtimes.OnnxClassifier(
        data, difference, len(photos), runtimes.model_fingerprint(classifier)
    )


def runtime_name(shared_base) -> str:
    """Names what computes a base's features in this process, for reports: "ONNX Runtime" or
    "Keras"."""
    extractor = feature_extractor(shared_base)
    if extractor is shared_base or (
        extractor.keras_faster and runtimes.requested_runtime() != runtimes.ONNX
    ):
        return "Keras"
    return "ONNX Runtime"
