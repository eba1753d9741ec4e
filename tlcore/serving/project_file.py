"""Project files: a trained model with everything needed to use it again, in one zip.

A project file holds `model.keras` (base and head together, raw pixels in) and `project.json`
(class names, settings, history, validation figures, base id, tlcore version), and, since
ONNX Runtime runs predictions, `model.onnx`: the same classifier in ONNX form, checked against
the Keras model when it was written, with its checksum in `project.json`
(`tlcore.serving.onnx_project` predicts with it without TensorFlow). It is written atomically, and
read back with Keras' safe mode, so an uploaded file never runs code.

Keras and the training types are imported only by the functions that need them: reading a
project file's entries (`read_archive`) must not pay for importing TensorFlow.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import pathlib
import tempfile
import typing
import zipfile

import tlcore
from tlcore import errors, files
from tlcore.evaluation import headline, metrics
from tlcore.nets import runtimes

if typing.TYPE_CHECKING:
    import keras

    from tlcore.training import types

FORMAT_NAME = "tlcore-project"
FORMAT_VERSION = 1
MODEL_ENTRY = "model.keras"
METADATA_ENTRY = "project.json"
ONNX_ENTRY = "model.onnx"
MAX_MODEL_BYTES = 512 * 1024 * 1024


def keras_model_bytes(trained: types.TrainedModel) -> bytes:
    """Returns the trained model as the bytes of a `.keras` file."""
    with tempfile.TemporaryDirectory() as folder:
        model_path = pathlib.Path(folder) / MODEL_ENTRY
        trained.model.save(model_path)
        return model_path.read_bytes()


def project_metadata(trained: types.TrainedModel) -> dict:
    """Returns what `project.json` holds for a trained model."""
    import keras

    onnx_form = getattr(trained, "onnx", None)
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "tlcore_version": tlcore.__version__,
        "keras_version": keras.__version__,
        "class_names": list(trained.class_names),
        "settings": trained.settings.to_dict(),
        "history": trained.history,
        "evaluation": trained.evaluation.to_dict(),
        "backbone_id": trained.backbone_id,
        "created_at": trained.created_at,
        "photo_count": trained.photo_count,
        "unknown_threshold": trained.unknown_threshold,
        "fine_tuning": trained.fine_tuning,
        "headline": trained.headline.to_dict() if trained.headline is not None else None,
        "onnx": onnx_form.to_metadata() if onnx_form is not None else None,
    }


def project_bytes(trained: types.TrainedModel) -> bytes:
    """Returns a whole project file as bytes, ready to download or write."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(METADATA_ENTRY, json.dumps(project_metadata(trained), indent=2))
        # Stored as it is: the float weights shrink by only 12% compressed, and compressing
        # them took most of a second of every save, a third of a correction's wait on Predict.
        archive.writestr(MODEL_ENTRY, keras_model_bytes(trained), compress_type=zipfile.ZIP_STORED)
        if getattr(trained, "onnx", None) is not None:
            # Stored as it is too, for the same reason: a second of compressing at every save.
            archive.writestr(ONNX_ENTRY, trained.onnx.data, compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()


def save_project(trained: types.TrainedModel, path: str | os.PathLike) -> pathlib.Path:
    """Saves a trained model as one project file, atomically.

    Args:
        trained: The trained model.
        path: The project file to write, usually ending in `.zip`.

    Returns:
        The path written.
    """
    return files.write_atomically(path, project_bytes(trained), what="the project file")


def export_keras_model(trained: types.TrainedModel, path: str | os.PathLike) -> pathlib.Path:
    """Saves only the Keras model (`.keras`), which runs anywhere with Keras alone.

    Args:
        trained: The trained model.
        path: The file to write; it should end in `.keras`.

    Returns:
        The path written.
    """
    return files.write_atomically(path, keras_model_bytes(trained), what="the model")


def _not_a_project(detail: str) -> errors.ProjectFileError:
    return errors.ProjectFileError(
        f"This file is not a project saved by this tool ({detail}). Choose a .zip file that "
        "was downloaded from the Export page or written by 'python -m tlcore train'."
    )


@dataclasses.dataclass(frozen=True)
class ProjectArchive:
    """A project file's entries, read but not yet loaded.

    Args:
        metadata: `project.json`, checked to be a tlcore project's description.
        model_data: The bytes of `model.keras`.
        onnx_data: The bytes of `model.onnx`; None in files written before it.
    """

    metadata: dict
    model_data: bytes
    onnx_data: bytes | None


def read_archive(source: bytes | str | os.PathLike) -> ProjectArchive:
    """Reads a project file's entries, refusing anything that is not a project file.

    Args:
        source: The project file, as bytes or a path.

    Returns:
        Its entries.

    Raises:
        ProjectFileError: If the file is not a readable project.
    """
    try:
        if isinstance(source, (bytes, bytearray)):
            archive = zipfile.ZipFile(io.BytesIO(source))
        else:
            archive = zipfile.ZipFile(source)
    except FileNotFoundError:
        raise errors.ProjectFileError(f"There is no project file at '{source}'.") from None
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _not_a_project("it is not a zip file") from None

    with archive:
        names = set(archive.namelist())
        if METADATA_ENTRY not in names:
            raise _not_a_project(f"it has no {METADATA_ENTRY}")
        if MODEL_ENTRY not in names:
            raise _not_a_project(f"it has no {MODEL_ENTRY} inside")
        for name in (MODEL_ENTRY, ONNX_ENTRY):
            if name in names and archive.getinfo(name).file_size > MAX_MODEL_BYTES:
                raise _not_a_project("its model is far larger than any this tool writes")
        try:
            metadata = json.loads(archive.read(METADATA_ENTRY).decode("utf-8"))
            model_data = archive.read(MODEL_ENTRY)
            onnx_data = archive.read(ONNX_ENTRY) if ONNX_ENTRY in names else None
        except (
            zipfile.BadZipFile,
            UnicodeDecodeError,
            json.JSONDecodeError,
            RecursionError,
            OSError,
        ):
            # JSON nested deeper than Python's recursion limit raises RecursionError.
            raise _not_a_project("it is damaged") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT_NAME:
        raise _not_a_project("its description is not a tlcore project's")
    return ProjectArchive(metadata, model_data, onnx_data)


def load_project(source: bytes | str | os.PathLike) -> types.TrainedModel:
    """Loads a project file, refusing anything that is not one or that would run code.

    Its ONNX form comes with it when the file has one whose checksum matches; a damaged or
    missing one leaves predictions to Keras (`nets.runtimes.classifier_for`).

    Args:
        source: The project file, as bytes or a path.

    Returns:
        The trained model, ready to predict.

    Raises:
        ProjectFileError: If the file is not a readable project, its model uses layers that
            could run code (such as `Lambda`) or unknown custom objects, or its class list does
            not match its model.
    """
    from tlcore.training import types

    contents = read_archive(source)
    description = read_description(contents.metadata)
    class_names = description["class_names"]
    classifier = _load_keras_model_safely(contents.model_data)
    output_count = classifier.outputs[0].shape[-1]
    if output_count != len(class_names):
        raise errors.ProjectFileError(
            f"This project file is inconsistent: its model tells {output_count} classes apart "
            f"but it lists {len(class_names)} class names. It may have been edited by hand."
        )
    input_shape = tuple(classifier.inputs[0].shape[1:])
    if len(input_shape) != 3 or input_shape[2] != 3 or input_shape[0] != input_shape[1]:
        raise errors.ProjectFileError(
            f"This project file's model does not take square colour photos ({input_shape})."
        )
    return types.TrainedModel(model=classifier, onnx=read_onnx_entry(contents)[0], **description)


def read_description(metadata: dict) -> dict:
    """Reads what `project.json` says of a trained model, without loading the model.

    Args:
        metadata: `project.json`, as `read_archive` gives it.

    Returns:
        `TrainedModel`'s fields other than `model` and `onnx`, by name.

    Raises:
        ProjectFileError: If the description is incomplete or has values of the wrong type.
    """
    from tlcore.training import types

    try:
        fine_tuning = metadata.get("fine_tuning")
        if fine_tuning is not None and not isinstance(fine_tuning, dict):
            raise ValueError("The fine-tuning summary is not an object.")
        return {
            "class_names": [str(name) for name in metadata["class_names"]],
            "settings": types.TrainingSettings.from_dict(metadata["settings"]),
            "evaluation": metrics.Evaluation.from_dict(metadata["evaluation"]),
            "history": {key: list(values) for key, values in metadata.get("history", {}).items()},
            "unknown_threshold": read_threshold(metadata.get("unknown_threshold")),
            "fine_tuning": fine_tuning,
            "headline": headline.Headline.from_dict(metadata.get("headline")),
            "backbone_id": str(metadata.get("backbone_id", "")),
            "created_at": str(metadata.get("created_at", "")),
            "photo_count": int(metadata.get("photo_count", 0)),
        }
    except (KeyError, TypeError, ValueError, RecursionError):
        raise _not_a_project("its description is incomplete") from None


def read_onnx_entry(contents: ProjectArchive):
    """Returns a project file's checked ONNX form and, when it cannot be used, why not.

    Args:
        contents: The file's entries.

    Returns:
        `(runtimes.OnnxClassifier or None, reason or None)`: the reason is None for a usable
        entry, and a sentence for a person when the entry is missing or damaged.
    """
    if contents.onnx_data is None:
        return None, "This project file has no ONNX model (it was saved by an earlier version)."
    try:
        return runtimes.OnnxClassifier.from_entry(
            contents.onnx_data, contents.metadata.get("onnx")
        ), None
    except ValueError as error:
        return None, f"This project file's ONNX model cannot be used: {error}."


def read_threshold(value) -> float | None:
    """Returns the "not sure" threshold of a project file: None for files saved before it.

    Raises:
        ValueError: If it is not a probability.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"The threshold {value!r} is not a probability.")
    return float(value)


def _load_keras_model_safely(model_data: bytes) -> keras.Model:
    """Loads `.keras` bytes with safe mode on; any failure is the file's fault."""
    import keras

    with tempfile.TemporaryDirectory() as folder:
        model_path = pathlib.Path(folder) / MODEL_ENTRY
        model_path.write_bytes(model_data)
        try:
            return keras.models.load_model(model_path, compile=False, safe_mode=True)
        except Exception:  # noqa: BLE001 - Keras raises many types for a bad file.
            raise errors.ProjectFileError(
                "The model inside this project file cannot be loaded safely: "
                f"{_refusal_reason(model_data)}."
            ) from None


# Keras' own layers live in these packages; a class from anywhere else is someone's code.
_KERAS_PACKAGES = ("keras", "keras_hub", "keras_cv", "keras_nlp")

_NEVER_RUN = "code inside a project file is never run, for your safety"


def _refusal_reason(model_data: bytes) -> str:
    """Says in plain words why Keras refused a model.

    Keras' own messages are written for programmers (and suggest turning safe mode off), so
    the reason is read from the model's description, `config.json` in the `.keras` file.

    Args:
        model_data: The bytes of the `.keras` file that Keras refused.

    Returns:
        The reason, starting in lower case, without a final full stop.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(model_data)) as archive:
            config = json.loads(archive.read("config.json").decode("utf-8"))
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, ValueError, RecursionError, OSError):
        return "it is damaged, or it was made by another tool"
    has_lambda = False
    custom_names = set()
    # The description nests layers in layers; it is walked without recursion, since its depth
    # is chosen by whoever wrote the file.
    pending = [config]
    while pending:
        item = pending.pop()
        if isinstance(item, list):
            pending.extend(item)
            continue
        if not isinstance(item, dict):
            continue
        pending.extend(item.values())
        class_name = item.get("class_name")
        if not isinstance(class_name, str):
            continue
        package = str(item.get("module") or "").split(".")[0]
        if class_name in ("Lambda", "__lambda__"):
            has_lambda = True
        elif package and package not in _KERAS_PACKAGES:
            custom_names.add("".join(filter(str.isprintable, class_name))[:40])
    if has_lambda:
        return f"it contains a Lambda layer, which holds code, and {_NEVER_RUN}"
    if custom_names:
        listed = ", ".join(sorted(custom_names)[:3])
        return f"it uses parts this tool does not know ({listed}), and {_NEVER_RUN}"
    return "it is damaged, or it was made by another tool or another version of Keras"
