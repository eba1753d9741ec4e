"""Short jobs a worker runs on a project's trained model: a correction, a heat map, an ONNX form.

The web server never imports TensorFlow; what needs Keras runs here, on a worker, as a job
someone waits for on a page (`jobs.records.URGENT_KINDS`: queued ahead of trainings):

- `teach`: the head retrained with the photo a person corrected (kept in its class by the web
  server already, `store.corrections.store_photo`), saved, and its new answer for the photo.
- `explain`: a Grad-CAM heat map of one photo (`serving.explanations.grad_cam`), written into the
  workspace (`jobs.explanation_files`), where every web server finds it.
- `make_onnx_form`: the ONNX form written into a project file saved before there was one,
  checked on the project's photos like at training time, so the web server can predict.

A worker keeps what makes these quick between jobs: the pretrained network (`nets.model.get_base`),
the traced head-fitting functions (`training.head_fitting`), and the last Keras models it loaded.
"""

import io
import threading
from pathlib import Path

from tlcore import errors, files, store
from tlcore.jobs import explanation_files, teaching
from tlcore.nets import model, onnx_base
from tlcore.serving import explanations, project_file
from tlcore.training import types

# How many loaded Keras models a worker keeps for heat maps (each a few megabytes and a base).
_MODELS_KEPT = 4
_models: dict[tuple[str, int], types.TrainedModel] = {}
_models_lock = threading.Lock()

_PHOTO_GONE = (
    "The photo to learn from is no longer in the project (it was deleted meanwhile). Choose "
    "another photo and teach it again."
)
_NO_ONNX_FORM = (
    "This model, trained by an earlier version of the app, could not be made ready to use "
    "here. Your photos are safe: train it again on the Train page."
)


def teach(project: store.Project, payload: dict, on_progress: types.ProgressCallback) -> dict:
    """Retrains the project's head with a corrected photo; returns what the job records.

    Args:
        project: The project; the photo is in it already.
        payload: `photo_hash`, the photo's content hash.
        on_progress: Called with each `training.types.Progress`.

    Returns:
        `answer` (the new model's, `Prediction.as_record`), `photo_count`, `seconds` and
        `dropped_fine_tuning`.

    Raises:
        DatasetError: A class has too few photos to learn from (a class just made holds one).
        WorkspaceError: The photo or the project was deleted meanwhile.
    """
    photo = project.find_photo(payload["photo_hash"])
    if photo is None:
        raise errors.WorkspaceError(_PHOTO_GONE)
    result = teaching.retrain(project, photo.file_name, photo.path.read_bytes(), on_progress)
    return {
        "answer": result.answer.as_record(),
        "photo_count": result.trained.photo_count,
        "seconds": result.seconds,
        "dropped_fine_tuning": result.dropped_fine_tuning,
    }


def explain(project: store.Project, payload: dict) -> dict:
    """Makes a heat map of a photo with the project's model, written for the web servers.

    Args:
        project: The project.
        payload: `photo` (the photo's file), `class_name` (None: the predicted class),
            `overlay_size` and `key` (`jobs.explanation_files.explanation_key`).

    Returns:
        The heat map's description (`jobs.explanation_files.read`), without the overlay.

    Raises:
        UnreadableImageError: The photo cannot be read.
        ClassNameError: The model does not know the class.
        ProjectFileError: The project's model cannot be loaded.
    """
    explanation = explanations.grad_cam(
        _trained_model(project),
        Path(payload["photo"]),
        class_name=payload.get("class_name"),
        overlay_size=int(payload["overlay_size"]),
    )
    description = {
        "predicted_class": explanation.predicted_class,
        "probability": float(explanation.probability),
        "explained_class": explanation.explained_class,
    }
    buffer = io.BytesIO()
    explanation.overlay.save(buffer, format="JPEG", quality=88)
    explanation_files.write(
        project.workspace.root, project.id, payload["key"], buffer.getvalue(), description
    )
    return description


def _trained_model(project: store.Project) -> types.TrainedModel:
    """The project's Keras model, loaded once per version of its file in this worker."""
    path = project.model_path
    key = (str(path), path.stat().st_mtime_ns)
    with _models_lock:
        if key in _models:
            return _models[key]
    trained = project_file.load_project(path)
    with _models_lock:
        _models[key] = trained
        while len(_models) > _MODELS_KEPT:
            _models.pop(next(iter(_models)))
    return trained


def make_onnx_form(project: store.Project) -> dict:
    """Writes the ONNX form into a project file saved before there was one.

    The Keras model is converted and checked on the project's own photos, like at training
    time (`nets.onnx_base.project_classifier`); only `model.zip` is rewritten.

    Returns:
        `made`: whether a form was written (False when the file had one already).

    Raises:
        TlcoreError: The form cannot be made or differs from the Keras model.
    """
    trained = project_file.load_project(project.model_path)
    if trained.onnx is not None:
        return {"made": False}
    shared_base = model.get_base(trained.settings.backbone, trained.settings.image_size)
    photos = project.to_dataset().photos[: onnx_base.CHECK_PHOTOS]
    trained.onnx = onnx_base.project_classifier(trained.model, shared_base, photos)
    if trained.onnx is None:
        raise errors.TlcoreError(_NO_ONNX_FORM)
    files.write_atomically(project.model_path, project_file.project_bytes(trained), "the model")
    return {"made": True}
