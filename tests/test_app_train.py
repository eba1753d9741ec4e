"""Train, Evaluate, Predict and Export on a real small training, driven through the pages."""

import dataclasses
import io
import pathlib
import time
import zipfile

import pytest
from app_fixtures import (  # noqa: F401
    APP_CLASSES,
    APP_EPOCHS,
    APP_FILE,
    APP_IMAGE_SIZE,
    SLOW_PAGE_TIMEOUT,
    app_workspace_fixture,
    grocery_photos,
    open_page,
    texts,
)
from job_fixtures import finish_import
from streamlit.testing.v1 import AppTest

from tlcore import store
from tlcore.training import types

OWNER = "owner-token-for-training-tests"


@dataclasses.dataclass
class TrainedProject:
    folder: pathlib.Path
    project: store.Project
    page_after_training: AppTest
    page_right_after_click: AppTest


@pytest.fixture(scope="module")
def trained(tmp_path_factory, engine_environment):
    """One project of three real grocery classes, trained once through the Train page."""
    folder = tmp_path_factory.mktemp("app_workspace")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TLCORE_WORKSPACE", str(folder))
        project = store.Workspace(folder).create_project("Groceries", OWNER)
        for class_name in APP_CLASSES:
            project.add_class(class_name)
            project.add_photos(class_name, grocery_photos(class_name, 8))
        app = open_page(project, "pages/2_Train.py")
        assert not app.exception
        app.select_slider(key="setting_image_size").set_value(APP_IMAGE_SIZE)
        app.slider(key="setting_epochs").set_value(APP_EPOCHS)
        app.button(key="train_button").click().run()
        right_after_click = app
        from tlapp.jobs import trainings

        job = trainings.get_job(project.id)
        assert job is not None, texts(app.error)
        assert job.wait(timeout=600), "The training did not finish in 10 minutes."
        assert job.state == "finished", job.error
        after = open_page(project, "pages/2_Train.py")
        yield TrainedProject(folder, project.refresh(), after, right_after_click)


pytestmark = pytest.mark.slow


@pytest.fixture
def in_workspace(trained, monkeypatch):
    monkeypatch.setenv("TLCORE_WORKSPACE", str(trained.folder))
    return trained


def test_training_shows_progress_then_the_charts(in_workspace):
    during = in_workspace.page_right_after_click
    assert not during.exception
    # Right after the click the page shows the training (or, on a very fast machine, its end).
    assert "Training…" in texts(during.subheader) or "Training finished" in texts(during.success)
    after = in_workspace.page_after_training
    assert not after.exception
    assert "Last training" in texts(after.subheader)
    assert "On new photos, expect it to name the right class" in texts(after.markdown)
    charts = after.get("plotly_chart")
    assert len(charts) == 1
    assert in_workspace.project.has_trained_model
    record = in_workspace.project.training_record()
    assert len(record.history["val_accuracy"]) == APP_EPOCHS
    assert record.settings["image_size"] == APP_IMAGE_SIZE


def test_the_model_learned_far_better_than_chance(in_workspace):
    record = in_workspace.project.training_record()
    # Chance is one in three.
    assert record.evaluation["accuracy"] >= 0.6


def test_a_second_training_of_the_same_project_is_refused_while_one_runs(in_workspace):
    from tlapp.jobs import trainings

    job = trainings.start_training(
        in_workspace.project, types.TrainingSettings(epochs=5, image_size=APP_IMAGE_SIZE)
    )
    try:
        with pytest.raises(store.WorkspaceError, match="training already"):
            trainings.start_training(in_workspace.project, types.TrainingSettings())
    finally:
        assert job.wait(timeout=300)
        trainings.forget_job(in_workspace.project.id)


def test_evaluate_shows_the_headline_the_charts_and_the_mistakes(in_workspace):
    app = open_page(in_workspace.project, "pages/3_Evaluate.py")
    assert not app.exception
    record = in_workspace.project.training_record()
    assert app.metric[0].value == f"{record.evaluation['accuracy']:.0%}"
    assert len(app.get("plotly_chart")) == 2
    assert "The photos it got wrong" in texts(app.subheader)
    mistakes = record.evaluation["misclassified"]
    if mistakes:
        assert f"**Model said:** {mistakes[0]['predicted_class']}" in texts(app.markdown)
    else:
        assert "it recognised every set-aside photo" in texts(app.success)


def test_predict_names_a_held_back_photo(in_workspace):
    app = open_page(in_workspace.project, "pages/4_Predict.py")
    assert not app.exception
    assert "Add a photo above" in texts(app.info)
    file_name, data = grocery_photos("Banana", 1, split="val")[0]
    app.file_uploader(key="predict_upload").set_value((file_name, data, "image/jpeg"))
    app.run()
    assert not app.exception
    # The answer's speed is the benchmark's to measure (`python -m benchmarks.bench`), not a test's.
    # Sure, it names the class; below its "not sure" threshold, it names its best guess.
    answer = texts(app.subheader)
    assert answer == "This looks like: Banana" or (
        answer.startswith("Not sure") and "Its best guess is **Banana**" in texts(app.markdown)
    )
    assert len(app.get("plotly_chart")) == 1


def test_many_photos_give_a_table_and_a_csv(in_workspace):
    app = open_page(in_workspace.project, "pages/4_Predict.py")
    uploads = [
        (f"{class_name}-{name}", data, "image/jpeg")
        for class_name in APP_CLASSES
        for name, data in grocery_photos(class_name, 1, split="val")
    ]
    uploads.append(("broken.jpg", b"this is not a photo", "image/jpeg"))
    app.file_uploader(key="predict_upload").set_value(uploads)
    app.run()
    assert not app.exception
    table = app.dataframe[0].value
    assert list(table["Photo"]) == [upload[0] for upload in uploads]
    assert "**broken.jpg**" in texts(app.warning)
    assert app.get("download_button")


def test_a_single_bad_photo_on_predict_gives_a_message(in_workspace):
    app = open_page(in_workspace.project, "pages/4_Predict.py")
    app.file_uploader(key="predict_upload").set_value(("bad.jpg", b"nope", "image/jpeg"))
    app.run()
    assert not app.exception
    assert "'bad.jpg' cannot be used as a photo" in texts(app.error)


def test_export_offers_both_downloads_and_the_snippet(in_workspace):
    app = open_page(in_workspace.project, "pages/5_Export.py")
    assert not app.exception
    assert len(app.get("download_button")) == 2
    snippet = app.code[0].value
    assert "keras.saving.load_model" in snippet
    assert "target_size=model.input_shape[1:3]" in snippet
    keras_bytes = in_workspace.project.model_path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(keras_bytes)) as archive:
        assert "model.keras" in archive.namelist()


def test_the_snippet_runs_on_the_downloaded_keras_model(in_workspace, tmp_path):
    import keras
    import numpy as np

    from tlapp import engine

    model_file = tmp_path / "Groceries.keras"
    model_file.write_bytes(engine.keras_file_bytes(in_workspace.project.model_path))
    photo_file = tmp_path / "photo.jpg"
    photo_file.write_bytes(grocery_photos("Banana", 1, split="val")[0][1])
    model = keras.saving.load_model(model_file)
    # The same three lines as the snippet on the Export page.
    photo = keras.utils.load_img(
        photo_file, target_size=model.input_shape[1:3], interpolation="bilinear"
    )
    probabilities = model.predict(np.array([photo]), verbose=0)
    assert probabilities.shape == (1, len(APP_CLASSES))
    assert np.isclose(probabilities.sum(), 1.0, atol=1e-4)


def test_a_downloaded_project_file_opens_again_and_predicts(in_workspace):
    app = open_page(in_workspace.project, "pages/5_Export.py")
    data = in_workspace.project.model_path.read_bytes()
    uploader = next(item for item in app.file_uploader if item.key.startswith("project_file_"))
    uploader.set_value(("Groceries.zip", data, "application/zip"))
    finish_import(app.run())  # A worker loads it.
    assert not app.exception
    assert app.title[0].value == "4 · Predict"
    assert "Opened **Groceries (2)** with its trained model" in texts(app.success)
    reopened = store.Workspace(in_workspace.folder).open_project(app.query_params["project"])
    assert reopened.owner == OWNER and reopened.class_names == sorted(APP_CLASSES)
    # AppTest goes back to the page it was last told to switch to, so name Predict again.
    app.switch_page("pages/4_Predict.py").run()
    file_name, photo = grocery_photos("Red-Bell-Pepper", 1, split="val")[0]
    app.file_uploader(key="predict_upload").set_value((file_name, photo, "image/jpeg"))
    app.run()
    assert not app.exception
    assert "Red-Bell-Pepper" in texts(app.subheader) + texts(app.markdown)


def test_a_file_that_is_not_a_project_gives_a_message_and_keeps_the_project(in_workspace):
    app = open_page(in_workspace.project, "pages/5_Export.py")
    uploader = next(item for item in app.file_uploader if item.key.startswith("project_file_"))
    uploader.set_value(("holiday.zip", b"PK not really a zip", "application/zip"))
    app.run()
    assert not app.exception
    assert "not a project saved by this tool" in texts(app.error)
    assert app.query_params["project"] == in_workspace.project.id


def test_training_without_photos_or_with_one_class_is_explained(app_workspace):
    space = store.Workspace(app_workspace)
    empty = space.create_project("Empty", OWNER)
    app = open_page(empty, "pages/2_Train.py")
    assert not app.exception
    assert "Training needs at least 2 classes" in texts(app.warning)
    assert not [button for button in app.button if button.key == "train_button"]
    single = space.create_project("Single", OWNER)
    single.add_class("Banana")
    single.add_photos("Banana", grocery_photos("Banana", 3))
    app = open_page(single, "pages/2_Train.py")
    assert "there are 1 ('Banana')" in texts(app.warning)
    too_few = space.create_project("Too few", OWNER)
    for class_name in ("Banana", "Carrots"):
        too_few.add_class(class_name)
    too_few.add_photos("Banana", grocery_photos("Banana", 3))
    too_few.add_photos("Carrots", grocery_photos("Carrots", 1))
    app = open_page(too_few, "pages/2_Train.py")
    assert "'Carrots' (1)" in texts(app.warning)


def test_evaluate_and_predict_before_training_say_to_train_first(app_workspace):
    project = store.Workspace(app_workspace).create_project("Untrained", OWNER)
    for page in ("pages/3_Evaluate.py", "pages/4_Predict.py"):
        app = open_page(project, page)
        assert not app.exception
        assert "Train a model first" in texts(app.info)


def test_another_training_on_the_server_shows_the_place_in_the_queue(in_workspace):
    from tlapp.jobs import trainings

    # Someone else's long training holds the one worker; it is cancelled once seen.
    other = store.Workspace(in_workspace.folder).create_project("Theirs", "someone-else")
    for class_name in APP_CLASSES:
        other.add_class(class_name)
        other.add_photos(class_name, grocery_photos(class_name, 8))
    theirs = trainings.start_training(
        other, types.TrainingSettings(epochs=1000, image_size=APP_IMAGE_SIZE)
    )
    try:
        deadline = time.monotonic() + 240
        while theirs.refresh().state != "running" and time.monotonic() < deadline:
            time.sleep(0.2)
        app = open_page(in_workspace.project, "pages/2_Train.py")
        assert "Someone else is training on this server right now" in texts(app.info)
        app.select_slider(key="setting_image_size").set_value(APP_IMAGE_SIZE)
        app.slider(key="setting_epochs").set_value(5)
        app.button(key="train_button").click().run()
        job = trainings.get_job(in_workspace.project.id)
        assert job.progress.queue_position == 1
        app = open_page(in_workspace.project, "pages/2_Train.py")
        assert not app.exception
        assert "You are number 1 in the queue" in texts(app.info)
        assert app.get("progress")[0].value == 0
    finally:
        trainings.cancel(theirs)
    assert theirs.wait(timeout=120) and theirs.state == "cancelled"
    assert not other.refresh().has_trained_model
    assert job.wait(timeout=300) and job.state == "finished", job.error
    trainings.forget_job(in_workspace.project.id)


def test_only_other_trainings_are_told_as_someone_else_training(app_workspace, monkeypatch):
    from tlcore.jobs import queue, records

    # No worker: the jobs below are records only, as a busy server's table holds them.
    monkeypatch.setenv("TLCORE_WORKERS", "0")
    space = store.Workspace(app_workspace)
    mine = space.create_project("Mine", OWNER)
    for class_name in APP_CLASSES[:2]:
        mine.add_class(class_name)
        mine.add_photos(class_name, grocery_photos(class_name, 5))
    jobs_store = records.JobStore(app_workspace)
    theirs = [space.create_project(f"Theirs {number}", f"someone-{number}") for number in range(4)]
    # Other people's work that is not a training: an export running, photos and a check waiting.
    export, _ = jobs_store.create_shared(queue.KIND_EXPORT, theirs[0].id, "someone-0", {}, {})
    jobs_store.claim(export.id, "worker-1")
    jobs_store.create_shared(queue.KIND_PHOTO_EMBEDDING, theirs[1].id, "someone-1", {}, {})
    jobs_store.create(queue.KIND_DATA_CHECK, theirs[2].id, "someone-2", {})
    app = open_page(mine, "pages/2_Train.py")
    assert not app.exception
    assert "Someone else is training" not in texts(app.info)

    running = jobs_store.create(queue.KIND_TRAINING, theirs[3].id, "someone-3", {})
    jobs_store.claim(running.id, "worker-2")
    waiting = jobs_store.create(queue.KIND_TRAINING, theirs[1].id, "someone-1", {})
    app = open_page(mine, "pages/2_Train.py")
    assert not app.exception
    told = texts(app.info)
    assert "Someone else is training on this server right now, and 1 more is waiting." in told
    jobs_store.request_cancel(waiting.id)
    app = open_page(mine, "pages/2_Train.py")
    assert "Someone else is training on this server right now. You can press" in texts(app.info)
