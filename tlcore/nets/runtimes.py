"""Which runtime runs the networks: ONNX Runtime, or Keras as the fallback.

On a CPU, ONNX Runtime runs MobileNetV2 about three times faster than Keras on TensorFlow,
and it starts in a fraction of a second where importing TensorFlow takes seconds. So the
frozen base (`tlcore.nets.onnx_base`) and the trained classifier (a project file's
`model.onnx`) run through ONNX Runtime when it is installed, and through Keras when it is not,
when their ONNX form fails its check against Keras, or when `TLCORE_RUNTIME=keras` asks for it.

This module never imports TensorFlow or Keras: the command line's `predict` runs through it
without them (`tlcore.serving.onnx_project`).
"""

import dataclasses
import functools
import hashlib
import logging
import os
import threading

import numpy as np

from tlcore import errors

# ONNX Runtime 1.32 collects usage telemetry on Linux unless told not to (it writes a session
# file into the temporary folder at import, and would upload over HTTPS): this app sends
# nothing anywhere, and writes nothing where it was not asked to.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

try:  # ONNX Runtime is optional: without it, everything runs through Keras.
    import onnxruntime  # noqa: E402 - only after telemetry is turned off.
except ImportError:  # pragma: no cover - it is in requirements.txt.
    onnxruntime = None

RUNTIME_VARIABLE = "TLCORE_RUNTIME"
KERAS = "keras"
ONNX = "onnx"
RUNTIMES = (KERAS, ONNX)

OPSET = 17
"""The ONNX operator set tlcore writes; ONNX Runtime 1.17 and later run it."""

TOLERANCE = 1e-4
"""The largest difference allowed between an ONNX model's outputs and the Keras model's, on
real photos, before the ONNX model is used."""

logger = logging.getLogger("tlcore.nets.runtimes")


def onnx_runtime_available() -> bool:
    """Tells whether ONNX Runtime is installed."""
    return onnxruntime is not None


def requested_runtime() -> str | None:
    """Returns the runtime `TLCORE_RUNTIME` asks for, or None when it is not set.

    Raises:
        SettingsError: If it names neither runtime.
    """
    value = os.environ.get(RUNTIME_VARIABLE, "").strip().lower()
    if not value:
        return None
    if value not in RUNTIMES:
        raise errors.SettingsError(f"{RUNTIME_VARIABLE} must be 'keras' or 'onnx', not {value!r}.")
    return value


def onnx_wanted() -> bool:
    """Tells whether ONNX Runtime should be tried: it is installed and not turned off."""
    return onnx_runtime_available() and requested_runtime() != KERAS


def gpu_providers() -> list[str]:
    """Returns ONNX Runtime's GPU providers available here (CUDA), best first."""
    if onnxruntime is None:
        return []
    return [
        name for name in onnxruntime.get_available_providers() if name == "CUDAExecutionProvider"
    ]


@dataclasses.dataclass(frozen=True)
class TensorInfo:
    """The name and shape of a model's input or output; unknown sizes are None."""

    name: str
    shape: tuple


class OnnxModel:
    """An ONNX model run by ONNX Runtime, used like a Keras model (`predict_on_batch`,
    `inputs[0].shape`, `outputs[0].shape`).

    Args:
        model: The `.onnx` file's bytes, or its path.
        use_gpu: Whether to run on ONNX Runtime's CUDA provider when it is available.
        threads: The threads one call uses; None lets ONNX Runtime use every core.

    Raises:
        ValueError: If ONNX Runtime is not installed or cannot read the model.
    """

    def __init__(
        self, model: bytes | str | os.PathLike, use_gpu: bool = False, threads: int | None = None
    ):
        if onnxruntime is None:
            raise ValueError("ONNX Runtime is not installed.")
        options = onnxruntime.SessionOptions()
        if threads is not None:
            options.intra_op_num_threads = threads
        # Warnings about unused initialisers and the like are for whoever wrote the converter.
        options.log_severity_level = 3
        # Idle threads sleep instead of spinning: photo decoding and the server share the few
        # cores (on this 2-core CPU, under load, JPEG to features ran 17-21 photos a second
        # without spinning against 14-15 with it).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        providers = (gpu_providers() if use_gpu else []) + ["CPUExecutionProvider"]
        source = model if isinstance(model, bytes) else os.fspath(model)
        try:
            self.session = onnxruntime.InferenceSession(source, options, providers=providers)
        except Exception as error:  # noqa: BLE001 - ONNX Runtime raises its own many types.
            raise ValueError(f"ONNX Runtime cannot read the model ({first_line(error)})") from None
        self.inputs = [_tensor_info(item) for item in self.session.get_inputs()]
        self.outputs = [_tensor_info(item) for item in self.session.get_outputs()]
        self.providers = self.session.get_providers()
        self.source = source
        self.use_gpu = use_gpu
        self._copies: dict[int, OnnxModel] = {}
        self._copies_lock = threading.Lock()

    def parallel_model(self, threads: int) -> "OnnxModel | None":
        """Returns this model in a session whose calls use `threads` threads each, for
        batches run side by side from several threads (`features.embeddings.embed_photos`); None on
        a GPU, where one call at a time keeps the device busy.

        On this 2-core CPU a call on one thread took 10-20% less CPU time a photo than a call
        spread over both (whose threads wait for each other between the network's layers),
        so two calls side by side, each decoding its own photos, do more a second.
        """
        if self.providers[0] != "CPUExecutionProvider":
            return None
        with self._copies_lock:
            if threads not in self._copies:
                self._copies[threads] = OnnxModel(self.source, self.use_gpu, threads)
            return self._copies[threads]

    def predict_on_batch(self, pixels) -> np.ndarray:
        """Runs the model on one batch (float32; uint8 pixels are converted)."""
        batch = np.asarray(pixels, dtype=np.float32)
        return self.session.run(None, {self.inputs[0].name: batch})[0]

    # The frozen base's extractor is used through the same name as `nets.model.SharedBase`'s.
    embed_batch = predict_on_batch

    def __call__(self, pixels, training: bool = False) -> np.ndarray:
        """Runs the model on one batch, as a Keras model is called (`training` is ignored)."""
        return self.predict_on_batch(pixels)


def _tensor_info(node) -> TensorInfo:
    shape = tuple(size if isinstance(size, int) else None for size in node.shape)
    return TensorInfo(node.name, shape)


def first_line(error: BaseException) -> str:
    """Returns the first line of an error's message, shortened, for a log line."""
    text = str(error).strip().splitlines()
    return text[0][:200] if text else type(error).__name__


def model_fingerprint(keras_model) -> str:
    """Returns a short hash of the last weights of a Keras model's last layer (its head).

    An ONNX classifier records the fingerprint of the Keras model it was made from, so a model
    whose head was trained again is never answered for by the old ONNX file.
    """
    # The head's last weights alone (its output bias): training again changes them, and one
    # read costs far less than all of the head's, on every prediction of the live camera.
    last_weights = np.asarray(keras_model.layers[-1].weights[-1], dtype=np.float32)
    return hashlib.sha256(np.ascontiguousarray(last_weights).tobytes()).hexdigest()[:16]


@dataclasses.dataclass(frozen=True)
class OnnxClassifier:
    """A trained classifier in ONNX form, with how it compared with its Keras model.

    Args:
        data: The `.onnx` file's bytes: RGB pixels (0-255) in, class probabilities out, like the
            Keras model.
        max_difference: The largest difference from the Keras model's probabilities on the
            photos it was checked on.
        photos_checked: How many real photos it was checked on.
        keras_fingerprint: `model_fingerprint` of the Keras model it was made from.
    """

    data: bytes
    max_difference: float
    photos_checked: int
    keras_fingerprint: str

    @functools.cached_property
    def sha256(self) -> str:
        """The SHA-256 of the file, recorded in `project.json` to catch a damaged entry."""
        return hashlib.sha256(self.data).hexdigest()

    def to_metadata(self) -> dict:
        """Returns what `project.json` records about the file."""
        return {
            "sha256": self.sha256,
            "max_difference": self.max_difference,
            "photos_checked": self.photos_checked,
            "keras_fingerprint": self.keras_fingerprint,
        }

    @classmethod
    def from_entry(cls, data: bytes, metadata) -> "OnnxClassifier":
        """Rebuilds the record from a project file's entry and its description.

        Raises:
            ValueError: If the description is missing or incomplete, or the file's checksum is
                not the one recorded (the entry is damaged).
        """
        if not isinstance(metadata, dict):
            raise ValueError("the project file does not describe its ONNX model")
        if hashlib.sha256(data).hexdigest() != metadata.get("sha256"):
            raise ValueError("its ONNX model is damaged (its checksum does not match)")
        try:
            return cls(
                data=data,
                max_difference=float(metadata["max_difference"]),
                photos_checked=int(metadata["photos_checked"]),
                keras_fingerprint=str(metadata["keras_fingerprint"]),
            )
        except (KeyError, TypeError, ValueError):
            raise ValueError("its ONNX model's description is incomplete") from None


@functools.lru_cache(maxsize=16)
def _session_for(data: bytes) -> OnnxModel:
    # Bytes hash by content, so one session serves every copy of the same model.
    return OnnxModel(data, use_gpu=bool(gpu_providers()))


def classifier_for(trained):
    """Returns what a trained model's predictions go through: its ONNX form when ONNX Runtime
    is wanted and the ONNX form was made from this very Keras model, else the Keras model.

    Args:
        trained: A `training.types.TrainedModel`, or an `serving.onnx_project.PredictionModel`.

    Returns:
        An object with `predict_on_batch(pixels)` and `outputs[0].shape`.
    """
    keras_model = trained.model
    onnx_form = getattr(trained, "onnx", None)
    if isinstance(keras_model, OnnxModel) or onnx_form is None or not onnx_wanted():
        return keras_model
    # Checked on every call (about a millisecond): a head trained again in place must never be
    # answered for by the ONNX file of the head before.
    if model_fingerprint(keras_model) != onnx_form.keras_fingerprint:
        logger.warning("The ONNX model was made from other weights; predicting with Keras.")
        return keras_model
    try:
        return _session_for(onnx_form.data)
    except ValueError as error:
        logger.warning("%s; predicting with Keras.", error)
        return keras_model
