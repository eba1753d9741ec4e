"""Project files: saved atomically, reloaded identically, and refused when not safe."""

import io
import json
import zipfile

import keras
import numpy as np
import pytest

from tlcore import errors
from tlcore.nets import prediction
from tlcore.serving import project_file

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def saved_project(small_training, tmp_path_factory):
    path = tmp_path_factory.mktemp("project") / "groceries.zip"
    project_file.save_project(small_training.trained, path)
    return path


def test_a_saved_project_reloads_and_predicts_the_same_probabilities(small_training, saved_project):
    loaded = project_file.load_project(saved_project)
    assert loaded.class_names == small_training.trained.class_names
    assert loaded.settings == small_training.trained.settings
    assert loaded.evaluation == small_training.trained.evaluation
    photos = [photo.path for photo in small_training.dataset.photos[::7]]
    before = prediction.predict(small_training.trained, photos)
    after = prediction.predict(loaded, photos)
    np.testing.assert_allclose(
        [item.probabilities for item in before],
        [item.probabilities for item in after],
        rtol=1e-5,
        atol=1e-6,
    )


def test_the_project_file_holds_model_and_description(saved_project):
    with zipfile.ZipFile(saved_project) as archive:
        assert set(archive.namelist()) == {"model.keras", "model.onnx", "project.json"}
        metadata = json.loads(archive.read("project.json"))
    assert metadata["format"] == "tlcore-project"
    assert metadata["backbone_id"] == "mobilenet_v2_1.0-96"
    assert {"tlcore_version", "settings", "evaluation", "history"} <= set(metadata)
    # Nothing half-written is left next to the file.
    assert [path.name for path in saved_project.parent.iterdir()] == ["groceries.zip"]


def test_the_plain_keras_model_runs_with_keras_alone(small_training, tmp_path):
    path = project_file.export_keras_model(small_training.trained, tmp_path / "model.keras")
    plain = keras.models.load_model(path)
    size = small_training.trained.input_size
    pixels = np.zeros((1, size, size, 3), dtype="float32")
    np.testing.assert_allclose(
        plain.predict_on_batch(pixels),
        small_training.trained.model.predict_on_batch(pixels),
        rtol=1e-5,
        atol=1e-6,
    )


def _rewritten(saved_project, replace: dict[str, bytes | None]) -> bytes:
    """Returns the project's zip with some entries replaced (None removes one)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(saved_project) as source, zipfile.ZipFile(buffer, "w") as target:
        for name in source.namelist():
            if name in replace:
                continue
            target.writestr(name, source.read(name))
        for name, data in replace.items():
            if data is not None:
                target.writestr(name, data)
    return buffer.getvalue()


def test_a_file_that_is_not_a_zip_is_refused(tmp_path):
    path = tmp_path / "notes.zip"
    path.write_text("hello")
    with pytest.raises(errors.ProjectFileError, match="not a zip"):
        project_file.load_project(path)
    with pytest.raises(errors.ProjectFileError):
        project_file.load_project(b"")


def test_a_zip_without_the_model_is_refused(saved_project):
    with pytest.raises(errors.ProjectFileError, match="model.keras"):
        project_file.load_project(_rewritten(saved_project, {"model.keras": None}))


def test_a_class_list_that_disagrees_with_the_model_is_refused(saved_project):
    with zipfile.ZipFile(saved_project) as archive:
        metadata = json.loads(archive.read("project.json"))
    metadata["class_names"] = metadata["class_names"][:3]
    data = _rewritten(saved_project, {"project.json": json.dumps(metadata).encode()})
    with pytest.raises(errors.ProjectFileError, match="5 classes"):
        project_file.load_project(data)


def test_a_zip_of_something_else_is_refused(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("project.json", json.dumps({"format": "other"}))
        archive.writestr("model.keras", b"x")
    with pytest.raises(errors.ProjectFileError, match="not a project"):
        project_file.load_project(buffer.getvalue())
