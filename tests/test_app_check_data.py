"""The pages of explanations, data checks and exports, on a real small trained project.

The project holds the session's small real training (5 grocery classes, 96 pixels), saved into
a workspace the way the Train page saves it, so no test here trains again.
"""

import dataclasses
import pathlib

import pytest
from app_fixtures import (  # noqa: F401
    APP_FILE,
    SLOW_PAGE_TIMEOUT,
    app_workspace_fixture,
    grocery_photos,
    open_page,
    texts,
)
from job_fixtures import check_data_on_a_worker, run_after_jobs, wait_for

from tlapp.charts import evaluation
from tlcore import store
from tlcore.jobs import exports

OWNER = "owner-token-for-check-data-tests"


def test_the_confusion_matrix_has_a_clickable_square_over_each_cell():
    figure = evaluation.clickable_confusion_matrix_figure(["Apple", "Milk"], [[3, 1], [0, 4]])
    right, wrong, squares = figure.data
    assert right.hoverinfo == "skip" and wrong.hoverinfo == "skip"
    assert list(zip(squares.y, squares.x, strict=True)) == [
        ("Apple", "Apple"),
        ("Apple", "Milk"),
        ("Milk", "Apple"),
        ("Milk", "Milk"),
    ]
    assert list(squares.text) == [
        "3 of 4 photos (75%, likely 30%–95%)",
        "1 of 4 photos (25%, likely 5%–70%)",
        "0 of 4 photos (0%, likely 0%–49%)",
        "4 of 4 photos (100%, likely 51%–100%)",
    ]
    assert figure.layout.clickmode == "event+select"
    click = {"selection": {"points": [{"x": "Milk", "y": "Apple", "curve_number": 2}]}}
    assert evaluation.selected_cell(click) == ("Apple", "Milk")
    assert evaluation.selected_cell({"selection": {"points": []}}) is None
    assert evaluation.selected_cell(None) is None


@dataclasses.dataclass
class CheckedProject:
    folder: pathlib.Path
    project: store.Project
    moved_photo: str


@pytest.fixture(scope="module")
def checked(tmp_path_factory, small_training):
    """The small training's photos and model in a workspace, with one banana filed as carrots."""
    folder = tmp_path_factory.mktemp("check_data_workspace")
    project = store.Workspace(folder).create_project("Groceries", OWNER)
    project.add_dataset(small_training.dataset)
    project.save_trained(small_training.trained)
    banana = project.photos("Banana")[0]
    project.move_photo(banana.content_hash, "Banana", "Carrots")
    return CheckedProject(folder, project.refresh(), banana.content_hash)


@pytest.fixture
def in_workspace(checked, monkeypatch):
    monkeypatch.setenv("TLCORE_WORKSPACE", str(checked.folder))
    return checked


@pytest.mark.slow
def test_a_square_of_the_confusion_matrix_shows_its_photos_and_their_heatmaps(in_workspace):
    app = open_page(in_workspace.project, "pages/3_Evaluate.py")
    assert not app.exception
    assert len(app.get("plotly_chart")) == 2
    square = app.selectbox(key="evaluate_cell")
    assert square.value is None
    scores = in_workspace.project.training_record().evaluation
    right_answers = [
        item for item in scores["predictions"] if item["true_class"] == item["predicted_class"]
    ]
    chosen = (right_answers[0]["true_class"], right_answers[0]["true_class"])
    square.set_value(chosen).run()
    assert not app.exception
    assert f"**Really:** {chosen[0]}" in texts(app.markdown)
    switch = app.toggle(key=f"cell_explain_{right_answers[0]['content_hash']}")
    switch.set_value(True).run()
    assert not app.exception
    # A worker makes the heat map (the web server has no TensorFlow); the page shows it after.
    assert "Working out what the model looked at…" in texts(app.caption)
    run_after_jobs(app, in_workspace.folder)
    assert not app.exception
    assert f"What made it say {chosen[0]}" in texts(app.caption)


@pytest.mark.slow
def test_predict_shows_what_the_model_looked_at(in_workspace):
    app = open_page(in_workspace.project, "pages/4_Predict.py")
    file_name, data = grocery_photos("Watermelon", 1, split="val")[0]
    app.file_uploader(key="predict_upload").set_value((file_name, data, "image/jpeg"))
    app.run()
    assert not app.exception
    assert "What the model looked at" in texts(app.markdown)
    run_after_jobs(app, in_workspace.folder)
    assert "made the model choose" in texts(app.markdown)
    explained = app.selectbox(key="predict_explain_class")
    assert explained.value == explained.options[explained.index]
    explained.set_value("Banana").run()
    assert not app.exception
    run_after_jobs(app, in_workspace.folder)
    assert "choose **Banana**" in texts(app.markdown)


@pytest.mark.slow
def test_check_your_data_finds_the_banana_among_the_carrots_and_moves_it_back(in_workspace):
    project = in_workspace.project
    app = open_page(project, "pages/6_Check_data.py")
    assert not app.exception
    assert "Check my photos" in texts(app.info)
    check_data_on_a_worker(app, project)
    assert not app.exception
    assert app.metric[0].value == str(project.photo_count())
    assert len(app.get("plotly_chart")) == 1
    tab_labels = [tab.label for tab in app.tabs]
    assert tab_labels == [
        "Data health",
        "Maybe in the wrong class",
        "Nearly the same",
        "Unlike their class",
        "Map of your photos",
    ]
    move = app.button(key=f"mislabelled_{in_workspace.moved_photo}_move")
    assert move.label == "Move to Banana"
    move.click().run()
    assert not app.exception
    assert "to **Banana**" in texts(app.success)
    assert project.refresh().find_photo(in_workspace.moved_photo).class_name == "Banana"
    # The photo has left the list; the rest of the report stays until the next check.
    keys = [button.key for button in app.button]
    assert f"mislabelled_{in_workspace.moved_photo}_move" not in keys
    assert "You moved or removed 1 photo" in texts(app.caption)
    # The report is kept in the project: a new session (a reload, another server) shows it,
    # the fix included, without checking again.
    again = open_page(project, "pages/6_Check_data.py")
    assert not again.exception
    assert again.metric[0].value == str(project.photo_count())
    assert "You moved or removed 1 photo" in texts(again.caption)
    assert not again.warning
    assert f"mislabelled_{in_workspace.moved_photo}_move" not in [b.key for b in again.button]
    # Photos changed elsewhere make it out of date.
    project.add_photos("Banana", grocery_photos("Banana", 1, split="val"))
    again.run()
    assert "Check again" in texts(again.warning)


def test_check_your_data_asks_for_two_classes_first(app_workspace):
    project = store.Workspace(app_workspace).create_project("Empty", OWNER)
    app = open_page(project, "pages/6_Check_data.py")
    assert not app.exception
    assert "at least 2 classes" in texts(app.info)


@pytest.mark.slow
def test_export_prepares_a_checked_tflite_model(in_workspace):
    app = open_page(in_workspace.project, "pages/5_Export.py")
    assert not app.exception
    assert len(app.get("download_button")) == 2
    app.button(key="prepare_tflite-float").click().run()
    assert not app.exception
    # A worker (started by the page) converts and checks it; the page then offers the file.
    project = in_workspace.project
    stamp = exports.model_stamp(project)
    wait_for(
        lambda: exports.prepared(project.workspace.root, project.id, stamp, "tflite-float"),
        300,
        "the TensorFlow Lite export",
    )
    app.run()
    assert not app.exception
    downloads = app.get("download_button")
    assert len(downloads) == 3
    assert "the same answers as the original model" in texts(app.caption)
