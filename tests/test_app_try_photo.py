"""Predict's "Try one of your set-aside photos" (key `try_example_photo`), on a real model."""

import dataclasses
import pathlib

import pytest
from app_fixtures import (  # noqa: F401
    APP_FILE,
    PREDICT_PAGE,
    SLOW_PAGE_TIMEOUT,
    app_workspace_fixture,
    open_page,
    texts,
)
from streamlit.testing.v1 import AppTest

from tlapp.panels import try_photo
from tlcore import store
from tlcore.data import examples
from tlcore.evaluation import metrics
from tlcore.nets import prediction

OWNER = "owner-token-for-try-photo-tests"

pytestmark = pytest.mark.slow


@dataclasses.dataclass
class TrainedProject:
    project: store.Project
    set_aside: dict[str, str]  # content hash -> true class
    learned_from: set[str]  # content hashes of the photos the model learned from


@pytest.fixture
def trained_project(app_workspace, small_photo_folder, small_training) -> TrainedProject:
    """A project holding the small real photo set and the model trained on it."""
    project = store.Workspace(app_workspace).create_project("Groceries", OWNER)
    for class_name in small_training.dataset.class_names:
        project.add_class(class_name)
        folder = pathlib.Path(small_photo_folder) / class_name
        project.add_photos(
            class_name, [(path.name, path.read_bytes()) for path in sorted(folder.glob("*.jpg"))]
        )
    project.save_trained(small_training.trained)
    set_aside = {
        answer.content_hash: answer.true_class
        for answer in small_training.trained.evaluation.predictions
    }
    every_photo = {photo.content_hash for photo in small_training.dataset.photos}
    return TrainedProject(project.refresh(), set_aside, every_photo - set(set_aside))


def shown_photo(app: AppTest, trained_project: TrainedProject) -> tuple[str, str]:
    """Returns the content hash and the true class of the set-aside photo on the page."""
    remembered = app.session_state[try_photo._STATE_KEY][trained_project.project.id]
    content_hash = remembered["shown"]
    return content_hash, trained_project.set_aside[content_hash]


def test_each_press_shows_a_set_aside_photo_of_the_next_class(trained_project):
    app = open_page(trained_project.project, PREDICT_PAGE)
    assert not app.exception
    class_count = len(trained_project.project.class_names)
    seen_classes = []
    for _ in range(class_count + 1):
        app.button(key=try_photo.BUTTON_KEY).click().run()
        assert not app.exception
        content_hash, true_class = shown_photo(app, trained_project)
        # Only photos the model never learned from are tried.
        assert content_hash in trained_project.set_aside
        assert content_hash not in trained_project.learned_from
        seen_classes.append(true_class)
        # The single-photo answer, with the true class next to it, ticked or crossed.
        assert len(app.get("plotly_chart")) == 1
        verdict = texts(app.success) + texts(app.error)
        assert f"It is really: **{true_class}**" in verdict
        answer = texts(app.subheader) + texts(app.markdown)
        right = f"This looks like: {true_class}" in answer or (
            f"Its best guess is **{true_class}**" in answer
        )
        assert ("The model's answer is right" in verdict) == right
        # The heatmap below explains the class the model chose for this photo, not the last one.
        chosen = app.selectbox(key="predict_explain_class").value
        assert f"This looks like: {chosen}" in answer or f"Its best guess is **{chosen}**" in answer
    # One photo of each class in turn, then the first class again.
    assert sorted(seen_classes[:class_count]) == sorted(trained_project.project.class_names)
    assert seen_classes[class_count] == seen_classes[0]
    # The photo stays on the page when the page runs again for another reason.
    before = shown_photo(app, trained_project)
    app.run()
    assert not app.exception
    assert shown_photo(app, trained_project) == before
    assert "It is really:" in texts(app.success) + texts(app.error)


def test_a_deleted_set_aside_photo_is_skipped_or_said(trained_project):
    project = trained_project.project
    app = open_page(project, PREDICT_PAGE)
    app.button(key=try_photo.BUTTON_KEY).click().run()
    content_hash, true_class = shown_photo(app, trained_project)
    project.remove_photo(true_class, content_hash)
    app.run()
    assert not app.exception
    assert "was deleted since" in texts(app.info)
    # It is no longer among the photos offered, and the next press shows another.
    trained = project.refresh().load_trained()
    offered = try_photo.photos_still_there(
        project, try_photo.set_aside_in_turn(trained.evaluation, list(trained.class_names))
    )
    assert len(offered) == len(trained_project.set_aside) - 1
    assert content_hash not in {photo.content_hash for photo in offered}
    app.button(key=try_photo.BUTTON_KEY).click().run()
    assert not app.exception
    assert shown_photo(app, trained_project)[0] != content_hash


def test_a_photo_moved_to_another_class_since_is_judged_by_its_class_now(
    trained_project, small_training
):
    project = trained_project.project
    app = open_page(project, PREDICT_PAGE)
    app.button(key=try_photo.BUTTON_KEY).click().run()
    content_hash, true_class = shown_photo(app, trained_project)
    photo = project.find_photo(content_hash)
    said = prediction.predict(small_training.trained, [photo.path])[0].best_class
    # Its label is corrected to a class the model did not say: the model's answer is now wrong.
    corrected = next(name for name in project.class_names if name not in (true_class, said))
    project.move_photo(content_hash, true_class, corrected)
    app.run()
    assert not app.exception
    assert f"It is really: **{corrected}**. The model's answer is wrong." in texts(app.error)


def test_a_model_without_its_set_aside_photos_says_so(app_workspace, small_training):
    # An imported model: the project holds none of the photos it was checked on.
    project = store.Workspace(app_workspace).create_project("Imported", OWNER)
    for class_name in small_training.dataset.class_names:
        project.add_class(class_name)
    project.save_trained(small_training.trained)
    app = open_page(project.refresh(), PREDICT_PAGE)
    app.button(key=try_photo.BUTTON_KEY).click().run()
    assert not app.exception
    assert "no set-aside photo left to try" in texts(app.info)
    assert not app.get("plotly_chart")


def test_own_photos_come_first(trained_project):
    app = open_page(trained_project.project, PREDICT_PAGE)
    app.button(key=try_photo.BUTTON_KEY).click().run()
    photo = sorted(examples.PHOTOS_FOLDER.glob("*/*.jpg"))
    app.file_uploader(key="predict_upload").set_value(
        (photo[0].name, photo[0].read_bytes(), "image/jpeg")
    ).run()
    assert not app.exception
    assert app.button(key=try_photo.BUTTON_KEY).disabled
    assert "It is really:" not in texts(app.success) + texts(app.error)


def test_set_aside_photos_are_taken_class_after_class():
    def answer(name: str, true_class: str) -> metrics.PhotoPrediction:
        return metrics.PhotoPrediction(name, true_class, true_class, 0.9, f"hash-{name}")

    scores = metrics.Evaluation(
        accuracy=1.0,
        class_names=["Lime", "Banana"],
        per_class=[],
        confusion_matrix=[[3, 0], [0, 1]],
        misclassified=[],
        photo_count=4,
        predictions=[
            answer("b1", "Banana"),
            answer("l1", "Lime"),
            answer("l2", "Lime"),
            answer("l3", "Lime"),
        ],
    )
    in_turn = try_photo.set_aside_in_turn(scores, ["Lime", "Banana"])
    assert [item.file_name for item in in_turn] == ["l1", "b1", "l2", "l3"]
    assert try_photo.set_aside_in_turn(None, ["Lime"]) == []
