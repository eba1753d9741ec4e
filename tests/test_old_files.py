"""Files written by tlcore 0.1.0, the version before the engine moved into rooms, still open.

`fixtures/workspace-0.1.0.zip` is a whole workspace made by that version (commit 0176eb8): its
database, one project "Groceries" of 3 real grocery classes with 6 training photos and 1 test
photo each, a view-only share link, and its trained model (96 px, 8 epochs) as a project file
at `<project>/model.zip`. Nothing in these files may depend on where the engine's code lives.
"""

import json
import pathlib
import zipfile

import pytest

from tlcore import store
from tlcore.evaluation import metrics
from tlcore.nets import prediction
from tlcore.serving import onnx_project, project_file

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "workspace-0.1.0.zip"
OWNER = "owner-token-0123456789"
CLASSES = ["Banana", "Lime", "Oatly-Oat-Milk"]


@pytest.fixture(scope="module")
def old_workspace(tmp_path_factory) -> store.Workspace:
    root = tmp_path_factory.mktemp("old_workspace")
    with zipfile.ZipFile(FIXTURE) as archive:
        archive.extractall(root)
    return store.Workspace(root)


@pytest.fixture(scope="module")
def old_project(old_workspace) -> store.Project:
    (project,) = old_workspace.list_projects(OWNER)
    return project


def test_the_old_database_lists_the_project_with_its_classes_and_photos(old_project):
    assert old_project.name == "Groceries"
    assert old_project.class_names == CLASSES
    assert old_project.photo_counts() == dict.fromkeys(CLASSES, 6)
    assert old_project.test_photo_counts() == dict.fromkeys(CLASSES, 1)
    assert len(old_project.to_dataset().photos) == 18
    assert old_project.has_trained_model


def test_the_old_share_link_still_opens_the_project_for_viewing(old_workspace, old_project):
    (link,) = old_project.share_links
    assert link.role == "view"
    seen = old_workspace.open_as(old_project.id, "someone-else", share_token=link.token)
    assert seen.name == "Groceries"
    with pytest.raises(Exception, match="(?i)view|change|owner"):
        seen.add_class("Carrots")


def old_test_photos(project) -> list[bytes]:
    return [
        pathlib.Path(photo.path).read_bytes()
        for class_name in CLASSES
        for photo in project.photos(class_name, test=True)
    ]


def test_the_old_model_answers_through_onnx_and_keras_alike(old_project, engine_environment):
    onnx_model, reason = onnx_project.load_for_prediction(old_project.model_path)
    assert reason is None and onnx_model is not None
    keras_model = old_project.load_trained()
    assert keras_model.class_names == CLASSES
    photos = old_test_photos(old_project)
    through_onnx = prediction.predict(onnx_model, photos)
    through_keras = prediction.predict(keras_model, photos)
    for onnx_answer, keras_answer in zip(through_onnx, through_keras, strict=True):
        assert onnx_answer.error is None
        assert onnx_answer.best_class == keras_answer.best_class
        assert (
            max(
                abs(a - b)
                for a, b in zip(onnx_answer.probabilities, keras_answer.probabilities, strict=True)
            )
            < 1e-3
        )
    # Six photos a class of things this unlike: the old model names most test photos right.
    right = sum(
        answer.best_class == class_name
        for answer, class_name in zip(through_onnx, CLASSES, strict=True)
    )
    assert right >= 2


def test_the_old_project_file_reads_with_its_description(old_project):
    contents = project_file.read_archive(old_project.model_path)
    description = project_file.read_description(contents.metadata)
    assert description["class_names"] == CLASSES


def test_the_old_evaluations_load_in_the_training_summary_and_the_project_file(old_project):
    # training.json, as the pages read it, and the same file read as it lies on disk.
    saved = old_project.training_record().evaluation
    on_disk = json.loads(
        (pathlib.Path(old_project.model_path).parent / "training.json").read_text()
    )
    assert saved == on_disk["evaluation"]
    from_summary = metrics.Evaluation.from_dict(saved)
    contents = project_file.read_archive(old_project.model_path)
    from_file = project_file.read_description(contents.metadata)["evaluation"]
    assert from_summary == from_file
    assert from_file.class_names == CLASSES and from_file.photo_count == 3
    assert [answer.true_class for answer in from_file.predictions] == CLASSES
    for true_class in CLASSES:
        (answer,) = from_file.photos_in_cell(true_class, true_class)
        assert isinstance(answer, metrics.PhotoPrediction) and answer.content_hash
        assert old_project.find_photo(answer.content_hash) is not None
    assert from_file.to_dict() == saved
