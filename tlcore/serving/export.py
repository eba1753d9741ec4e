"""Exporting a trained model for phones, browsers and servers, each export checked.

Besides the `.keras` file (`tlcore.serving.project_file.export_keras_model`), a trained model can be
exported as:

- **TensorFlow Lite, float** (`.tflite`): the same model for Android, iOS and small devices,
  with 32-bit weights; its answers match the Keras model's to within 1e-4.
- **TensorFlow Lite, int8** (`.tflite`): full-integer quantisation, about a quarter of the
  size and faster on phones' integer units. Weights and activations are 8-bit integers; their
  ranges are calibrated on the person's own photos (the representative dataset). The model's
  input and output stay float32, so it is used exactly like the float model (pixels 0-255 in,
  probabilities out) and the interpreter converts at both ends. Rounding moves probabilities a
  little, so the check asks only that it names the same class as the Keras model on most photos.
- **TensorFlow SavedModel** (a folder, zipped for download): for TensorFlow Serving and
  TensorFlow.js's converter; Keras 3's `model.export(..., format="tf_saved_model")`, with one
  `serve` endpoint.
- **ONNX** (`.onnx`): for ONNX Runtime on servers, phones and in browsers; the project file's
  own `model.onnx` (`tlcore.nets.onnx_base`), or the model converted with tf2onnx when the
  project has none. Input `pixels`, output `probabilities`.

Every export is loaded back (`tf.lite.Interpreter`, `tf.saved_model.load`,
`onnxruntime.InferenceSession`) and its answers on
real photos compared with the Keras model's before it is handed out; `ExportCheck` says how it
went. Every format takes photos resized to the model's input size (`TrainedModel.input_size`,
256 pixels for an image size of 224) and crops their centre itself, like the Keras model.

These exports need the TensorFlow backend of Keras.
"""

import dataclasses
import io
import os
import pathlib
import tempfile
import warnings
import zipfile
from collections.abc import Sequence

import numpy as np

from tlcore import errors, files
from tlcore.data import images
from tlcore.nets import onnx_base, runtimes

Source = bytes | str | os.PathLike

FLOAT_TOLERANCE = 1e-4
"""The largest difference allowed between a float export's probabilities and the Keras
model's."""

INT8_AGREEMENT = 0.8
"""The least share of photos on which the int8 model must name the Keras model's class."""

REPRESENTATIVE_PHOTOS = 100
"""The most photos used to calibrate the int8 model's ranges."""

CHECK_PHOTOS = 20
"""The most photos each export is checked on."""

QUANTIZATIONS = ("float", "int8")


class ExportError(errors.TlcoreError):
    """An export that cannot be made, or that does not give the Keras model's answers."""


@dataclasses.dataclass(frozen=True)
class ExportCheck:
    """How an export's answers compared with the Keras model's on real photos.

    Args:
        format_name: "tflite-float", "tflite-int8", "saved-model" or "onnx".
        photo_count: How many photos were compared; 0 when there were none to compare on.
        max_difference: The largest difference between two probabilities of the same photo
            and class.
        agreement: The share of photos on which both name the same class.
        passed: Whether the export met its bar: `FLOAT_TOLERANCE` for float exports,
            `INT8_AGREEMENT` for int8.
    """

    format_name: str
    photo_count: int
    max_difference: float
    agreement: float
    passed: bool

    @property
    def summary(self) -> str:
        """One sentence for a person about the check."""
        if self.photo_count == 0:
            return "Not checked: there are no photos in this project to check it on."
        photos = f"{self.photo_count} of your photos"
        if self.format_name == "tflite-int8":
            return (
                f"Checked on {photos}: it names the same class as the original model on "
                f"{self.agreement:.0%} of them (probabilities differ by up to "
                f"{self.max_difference:.3f})."
            )
        if self.max_difference == 0:
            return f"Checked on {photos}: exactly the same answers as the original model."
        return (
            f"Checked on {photos}: the same answers as the original model (largest "
            f"difference {self.max_difference:.1e})."
        )


def _require_tensorflow():
    import keras

    if keras.backend.backend() != "tensorflow":
        raise ExportError(
            "Exporting to TensorFlow Lite or SavedModel needs the TensorFlow backend of Keras "
            f"(KERAS_BACKEND=tensorflow); this process uses '{keras.backend.backend()}'."
        )
    import tensorflow as tf

    return tf


def load_photo_pixels(trained, sources: Sequence[Source], limit: int | None = None) -> np.ndarray:
    """Reads photos and resizes them for the model, skipping the unreadable ones.

    Args:
        trained: A `training.types.TrainedModel`.
        sources: Photos as bytes or paths.
        limit: The most photos to read; all when None.

    Returns:
        `(photos, input_size, input_size, 3)` uint8 pixels.
    """
    rows = []
    for source in sources:
        if limit is not None and len(rows) >= limit:
            break
        try:
            rows.append(images.load_pixels(source, trained.input_size))
        except errors.UnreadableImageError:
            continue
    size = trained.input_size
    return np.stack(rows) if rows else np.zeros((0, size, size, 3), dtype=np.uint8)


def compare(format_name: str, expected: np.ndarray, actual: np.ndarray) -> ExportCheck:
    """Compares an export's probabilities with the Keras model's.

    Args:
        format_name: The export's format, as in `ExportCheck.format_name`.
        expected: The Keras model's `(photos, classes)` probabilities.
        actual: The export's probabilities for the same photos.

    Returns:
        The check.
    """
    expected = np.asarray(expected, dtype=np.float64)
    actual = np.asarray(actual, dtype=np.float64)
    if expected.shape != actual.shape:
        raise ExportError(
            f"The exported model gives answers of shape {actual.shape}, not {expected.shape}."
        )
    if len(expected) == 0:
        return ExportCheck(format_name, 0, 0.0, 1.0, True)
    difference = float(np.abs(expected - actual).max())
    agreement = float((expected.argmax(axis=1) == actual.argmax(axis=1)).mean())
    if format_name == "tflite-int8":
        passed = agreement >= INT8_AGREEMENT
    else:
        passed = difference < FLOAT_TOLERANCE
    return ExportCheck(format_name, len(expected), difference, agreement, passed)


def _keras_probabilities(trained, pixels: np.ndarray) -> np.ndarray:
    from tlcore.nets import prediction

    # The Keras model itself, never its ONNX form, is what every export is compared with.
    return prediction.model_probabilities(trained.model, pixels)


def _save_for_tensorflow(trained, folder: pathlib.Path) -> None:
    """Writes the Keras model as a SavedModel with one `serve` endpoint."""
    trained.model.export(str(folder), format="tf_saved_model", verbose=False)


def tflite_bytes(trained, quantize: str = "float", representative_pixels=None) -> bytes:
    """Converts a trained model to TensorFlow Lite.

    Args:
        trained: A `training.types.TrainedModel`.
        quantize: "float" for 32-bit weights, "int8" for full-integer quantisation.
        representative_pixels: For "int8": `(photos, input_size, input_size, 3)` pixels of the
            person's own photos, which set the ranges of the 8-bit values.

    Returns:
        The `.tflite` file's bytes.

    Raises:
        ExportError: For an unknown `quantize`, int8 without photos, or a failed conversion.
    """
    if quantize not in QUANTIZATIONS:
        raise ExportError(
            f"Quantisation must be one of {', '.join(QUANTIZATIONS)}, not {quantize!r}."
        )
    if quantize == "int8" and (representative_pixels is None or len(representative_pixels) == 0):
        raise ExportError(
            "The int8 model is calibrated on your own photos, and this project has none. Add "
            "photos on the Collect page, or export the float model."
        )
    tf = _require_tensorflow()
    with tempfile.TemporaryDirectory() as folder:
        saved_model = pathlib.Path(folder) / "saved_model"
        _save_for_tensorflow(trained, saved_model)
        converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model))
        if quantize == "int8":
            calibration = np.asarray(representative_pixels, dtype=np.float32)

            def representative_dataset():
                for row in calibration:
                    yield [row[None]]

            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.representative_dataset = representative_dataset
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return converter.convert()
            except Exception as error:  # noqa: BLE001 - the converter raises many types.
                detail = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
                raise ExportError(
                    f"The model could not be converted to TensorFlow Lite ({detail})."
                ) from None


def tflite_probabilities(model_bytes: bytes, pixels: np.ndarray) -> np.ndarray:
    """Runs a `.tflite` model on photos, one at a time, with TensorFlow's interpreter.

    Args:
        model_bytes: The `.tflite` file's bytes.
        pixels: `(photos, input_size, input_size, 3)` pixels in 0-255.

    Returns:
        `(photos, classes)` probabilities.
    """
    tf = _require_tensorflow()
    with warnings.catch_warnings():
        # TensorFlow 2.20 and later warn that its interpreter moves to the LiteRT package; it
        # runs the same files.
        warnings.simplefilter("ignore")
        interpreter = tf.lite.Interpreter(model_content=model_bytes)
    interpreter.allocate_tensors()
    input_detail = interpreter.get_input_details()[0]
    output_detail = interpreter.get_output_details()[0]
    rows = []
    for row in np.asarray(pixels, dtype=np.float32):
        interpreter.set_tensor(input_detail["index"], row[None].astype(input_detail["dtype"]))
        interpreter.invoke()
        rows.append(np.array(interpreter.get_tensor(output_detail["index"])[0], dtype=np.float64))
    classes = int(output_detail["shape"][-1])
    return np.stack(rows) if rows else np.zeros((0, classes))


def export_tflite(
    trained,
    path: str | os.PathLike,
    quantize: str = "float",
    photos: Sequence[Source] = (),
) -> ExportCheck:
    """Exports a trained model to a `.tflite` file, checked on the person's photos.

    Args:
        trained: A `training.types.TrainedModel`.
        path: The file to write; it should end in `.tflite`.
        quantize: "float" or "int8" (see the module's description).
        photos: The person's photos as bytes or paths: the first `REPRESENTATIVE_PHOTOS`
            calibrate int8, the first `CHECK_PHOTOS` check the export. Spread them over the
            classes (see `sample_photos`).

    Returns:
        The check. The file is written only when the check passed.

    Raises:
        ExportError: If the conversion fails, int8 has no photos, or the check fails.
    """
    model_bytes, check = tflite_export_bytes(trained, quantize, photos)
    files.write_atomically(path, model_bytes, what="the exported model")
    return check


def tflite_export_bytes(
    trained, quantize: str = "float", photos: Sequence[Source] = ()
) -> tuple[bytes, ExportCheck]:
    """Converts and checks a trained model, returning the `.tflite` bytes (for a download).

    Args:
        trained: A `training.types.TrainedModel`.
        quantize: "float" or "int8".
        photos: The person's photos, as for `export_tflite`.

    Returns:
        The `.tflite` file's bytes and its check.

    Raises:
        ExportError: If the conversion fails, int8 has no photos, or the check fails.
    """
    limit = max(REPRESENTATIVE_PHOTOS, CHECK_PHOTOS) if quantize == "int8" else CHECK_PHOTOS
    pixels = load_photo_pixels(trained, photos, limit)
    model_bytes = tflite_bytes(trained, quantize, pixels if quantize == "int8" else None)
    checked = pixels[:CHECK_PHOTOS]
    check = compare(
        f"tflite-{quantize}",
        _keras_probabilities(trained, checked),
        tflite_probabilities(model_bytes, checked),
    )
    _raise_unless_passed(check)
    return model_bytes, check


def export_saved_model(
    trained, folder: str | os.PathLike, photos: Sequence[Source] = ()
) -> ExportCheck:
    """Exports a trained model as a TensorFlow SavedModel folder, checked on real photos.

    Args:
        trained: A `training.types.TrainedModel`.
        folder: The folder to create; it must not exist yet or be empty.
        photos: The person's photos as bytes or paths; the first `CHECK_PHOTOS` check it.

    Returns:
        The check.

    Raises:
        ExportError: If the folder is not empty, or the check fails.
    """
    tf = _require_tensorflow()
    folder = pathlib.Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise ExportError(f"The folder '{folder}' is not empty; choose a new one.")
    _save_for_tensorflow(trained, folder)
    pixels = load_photo_pixels(trained, photos, CHECK_PHOTOS)
    loaded = tf.saved_model.load(str(folder))
    exported = (
        np.asarray(loaded.serve(tf.constant(pixels.astype(np.float32))))
        if len(pixels)
        else np.zeros((0, len(trained.class_names)))
    )
    check = compare("saved-model", _keras_probabilities(trained, pixels), exported)
    _raise_unless_passed(check)
    return check


def saved_model_zip(
    trained, photos: Sequence[Source] = (), folder_name: str = "saved_model"
) -> tuple[bytes, ExportCheck]:
    """Exports and checks a SavedModel, returning it as the bytes of a zip (for a download).

    Args:
        trained: A `training.types.TrainedModel`.
        photos: The person's photos, as for `export_saved_model`.
        folder_name: The name of the folder inside the zip.

    Returns:
        The zip's bytes and the check.

    Raises:
        ExportError: If the check fails.
    """
    with tempfile.TemporaryDirectory() as temporary:
        folder = pathlib.Path(temporary) / folder_name
        check = export_saved_model(trained, folder, photos)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    archive.write(path, pathlib.Path(folder_name) / path.relative_to(folder))
        return buffer.getvalue(), check


def onnx_bytes(trained) -> bytes:
    """Returns a trained model in ONNX form: the project's own `model.onnx` when it was made
    from this very model, else the model converted with tf2onnx.

    Raises:
        ExportError: If ONNX Runtime is not installed or the conversion fails.
    """
    if not runtimes.onnx_runtime_available():
        raise ExportError(
            "Exporting to ONNX needs ONNX Runtime to check it (pip install onnxruntime)."
        )
    onnx_form = getattr(trained, "onnx", None)
    if onnx_form is not None and onnx_form.keras_fingerprint == runtimes.model_fingerprint(
        trained.model
    ):
        return onnx_form.data
    _require_tensorflow()
    try:
        input_shape = tuple(trained.model.inputs[0].shape[1:])
        return onnx_base.keras_to_onnx(trained.model, input_shape, "pixels", "probabilities")
    except Exception as error:  # noqa: BLE001 - the converter raises many types.
        raise ExportError(
            f"The model could not be converted to ONNX ({runtimes.first_line(error)})."
        ) from None


def onnx_export_bytes(trained, photos: Sequence[Source] = ()) -> tuple[bytes, ExportCheck]:
    """Makes and checks a trained model's ONNX form, returning its bytes (for a download).

    Args:
        trained: A `training.types.TrainedModel`.
        photos: The person's photos as bytes or paths; the first `CHECK_PHOTOS` check it.

    Returns:
        The `.onnx` file's bytes and its check against the Keras model.

    Raises:
        ExportError: If it cannot be made, or its answers differ from the Keras model's.
    """
    model_bytes = onnx_bytes(trained)
    pixels = load_photo_pixels(trained, photos, CHECK_PHOTOS)
    try:
        exported = runtimes.OnnxModel(model_bytes).predict_on_batch(pixels)
    except ValueError as error:
        raise ExportError(f"The ONNX model cannot be run: {error}.") from None
    check = compare("onnx", _keras_probabilities(trained, pixels), exported)
    _raise_unless_passed(check)
    return model_bytes, check


def sample_photos(photos_by_class: dict[str, Sequence], count: int) -> list:
    """Takes photos from each class in turn, so a sample covers every class.

    Args:
        photos_by_class: Each class's photos (anything: paths, bytes, records).
        count: The most photos to take.

    Returns:
        Up to `count` photos: the first of each class, then the second of each, and so on.
    """
    queues = [list(photos) for photos in photos_by_class.values()]
    sample = []
    depth = 0
    while len(sample) < count and any(depth < len(queue) for queue in queues):
        for queue in queues:
            if depth < len(queue) and len(sample) < count:
                sample.append(queue[depth])
        depth += 1
    return sample


def _raise_unless_passed(check: ExportCheck) -> None:
    if check.passed:
        return
    if check.format_name == "tflite-int8":
        raise ExportError(
            f"The int8 model names the same class as the original on only {check.agreement:.0%} "
            f"of {check.photo_count} photos, so it is not offered. Use the float model."
        )
    raise ExportError(
        f"The exported model's answers differ from the original's by up to "
        f"{check.max_difference:.1e}, so it is not offered."
    )
