"""Teach by correction and embed on arrival: the engine, the jobs, the Predict page, a browser.

The project is three real grocery classes of 8 photos at 96 px, trained once; a `val` photo
of one class is taught to it, and the new model's answer for it is checked. The retrain runs
on a real worker process (`python -m tlcore worker`), as a job; the web server (AppTest's
process, or a real Streamlit server) never imports TensorFlow.
"""

import io
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time
import zipfile

import keras
import numpy as np
import pytest
from app_fixtures import (  # noqa: F401
    APP_CLASSES,
    APP_FILE,
    APP_IMAGE_SIZE,
    PREDICT_PAGE,
    SLOW_PAGE_TIMEOUT,
    app_workspace_fixture,
    grocery_photos,
    open_page,
    texts,
    tiny_photo,
)
from job_fixtures import WorkerProcess, run_after_jobs, wait_for
from server_fixtures import (
    chromium,
    new_page,
    running_app,
    screenshot,
    settle,
    write_photos,
)

from tlapp.panels import teach
from tlcore import errors, store
from tlcore.data import images, names
from tlcore.features import embeddings
from tlcore.jobs import explanation_files, records, teaching
from tlcore.jobs import queue as job_queue
from tlcore.nets import model, prediction
from tlcore.serving import project_file, project_models
from tlcore.store import corrections
from tlcore.training import heads, trainer, types

OWNER = "owner-token-for-teaching-tests"
PHOTOS_PER_CLASS = 8
TAUGHT_CLASS = APP_CLASSES[1]


def make_project(folder: pathlib.Path, trained: bool = True) -> store.Project:
    """A project of the three app classes, 8 real photos each, trained at 96 px when asked."""
    project = store.Workspace(folder).create_project("Groceries", OWNER)
    for class_name in APP_CLASSES:
        project.add_class(class_name)
        project.add_photos(class_name, grocery_photos(class_name, PHOTOS_PER_CLASS))
    if trained:
        settings = types.TrainingSettings(epochs=10, image_size=APP_IMAGE_SIZE, seed=0)
        project.save_trained(
            trainer.train(
                project.to_dataset(), settings, cache_dir=project.workspace.embedding_cache_dir
            )
        )
    return project.refresh()


@pytest.fixture(scope="module")
def trained_folder(tmp_path_factory, engine_environment) -> pathlib.Path:
    """A workspace holding one trained project; each test copies what it changes."""
    folder = tmp_path_factory.mktemp("teach_workspace")
    make_project(folder)
    return folder


@pytest.fixture
def project(trained_folder, tmp_path) -> store.Project:
    """A fresh copy of the trained project, so each test changes its own."""
    copy = tmp_path / "workspace"
    shutil.copytree(trained_folder, copy)
    space = store.Workspace(copy)
    (only,) = [item for item in copy.iterdir() if store.is_project_id(item.name)]
    return space.open_project(only.name)


def taught_photo() -> tuple[str, bytes]:
    return grocery_photos(TAUGHT_CLASS, 1, split="val")[0]


def test_a_lent_head_learns_exactly_as_a_new_one():
    """The compiled heads kept between trainings change nothing in the training math."""
    generator = np.random.default_rng(0)
    features = generator.normal(size=(60, 32)).astype("float32")
    labels = generator.integers(0, 3, size=60)
    settings = types.TrainingSettings(epochs=4, seed=3)
    data = ((features[:45], labels[:45]), (features[45:], labels[45:]))
    keras.utils.set_random_seed(settings.seed)
    fresh = model.build_head(32, 3, 128, settings.dropout, settings.seed, 0.003)
    model.compile_head(fresh, settings.learning_rate)
    expected = heads.fit_head(fresh, *data, settings, []).history
    for _ in range(2):  # The first run makes the kept head, the second reuses it.
        head, history = heads.train_heads(32, 3, *data, settings, lambda progress: None)
        np.testing.assert_allclose(history["val_loss"], expected["val_loss"], rtol=1e-5)
        np.testing.assert_allclose(head.get_weights()[0], fresh.get_weights()[0], rtol=1e-5)


@pytest.mark.slow
def test_a_corrected_photo_is_kept_and_learned(project):
    file_name, data = taught_photo()
    before = project.model_path.stat().st_mtime_ns
    stored = corrections.store_photo(project, TAUGHT_CLASS, file_name, data)
    assert stored.class_name == TAUGHT_CLASS and not stored.created_class
    assert project.find_photo(images.content_hash(data)).class_name == TAUGHT_CLASS
    phases = []
    result = teaching.retrain(project, file_name, data, on_progress=phases.append)
    print(f"\nQuick retrain of {result.trained.photo_count} photos: {result.seconds:.2f} s")
    assert result.trained.photo_count == len(APP_CLASSES) * PHOTOS_PER_CLASS + 1
    assert result.trained.settings.image_size == APP_IMAGE_SIZE
    assert result.trained.settings.epochs == 10
    # Only the new photo had no cached features.
    embedding = [progress for progress in phases if progress.phase == "embedding"]
    assert embedding[0].done == embedding[0].total - 1
    assert project.model_path.stat().st_mtime_ns != before
    assert project.load_trained().class_names == list(APP_CLASSES)
    assert result.answer.class_names == list(APP_CLASSES)
    assert result.answer.best_class == TAUGHT_CLASS
    assert not result.dropped_fine_tuning


@pytest.mark.slow
def test_a_new_class_keeps_its_photo_and_says_it_needs_another(project):
    file_name, data = taught_photo()
    stored = corrections.store_photo(project, "  Oat drink ", file_name, data, new_class=True)
    assert stored.created_class and stored.class_name == "Oat drink"
    assert project.photo_counts()["Oat drink"] == 1
    with pytest.raises(errors.DatasetError, match="at least 2 photos"):
        teaching.retrain(project, file_name, data)


def test_bad_corrections_give_messages_and_change_nothing(app_workspace):
    project = store.Workspace(app_workspace).create_project("Groceries", OWNER)
    project.add_class("Apple")
    photo = tiny_photo((200, 30, 30))
    project.add_photos("Apple", [("apple.jpg", photo)])
    with pytest.raises(errors.UnreadableImageError):
        corrections.store_photo(project, "Pear", "notes.jpg", b"not a photo", new_class=True)
    with pytest.raises(errors.ClassNameError):
        corrections.store_photo(project, "   ", "pear.jpg", tiny_photo((0, 200, 0)), new_class=True)
    with pytest.raises(store.WorkspaceError, match="in the class 'Apple'"):
        corrections.store_photo(project, "Pear", "again.jpg", photo, new_class=True)
    with pytest.raises(errors.ClassNameError):
        corrections.store_photo(project, "Plum", "plum.jpg", tiny_photo((90, 0, 90)))
    assert project.refresh().photo_counts() == {"Apple": 1}
    assert names.comparison_key("Apple") in [names.comparison_key(n) for n in project.class_names]


@pytest.mark.slow
def test_photos_are_embedded_as_they_arrive(app_workspace, engine_environment):
    from tlapp.jobs import arrivals

    project = store.Workspace(app_workspace).create_project("Arrivals", OWNER)
    project.add_class(APP_CLASSES[0])
    photos = grocery_photos(APP_CLASSES[0], 6)
    project.add_photos(APP_CLASSES[0], photos)
    arrivals.photos_added(project)
    assert arrivals.wait_until_idle(timeout=300)
    arrival = arrivals.arrival_of(project.id)
    assert (arrival.state, arrival.done, arrival.total) == ("finished", 6, 6), arrival.error
    cache = embeddings.EmbeddingCache(project.workspace.embedding_cache_dir)
    backbone_id = model.get_base().backbone_id  # Never trained: the default size.
    for photo in project.to_dataset().photos:
        assert cache.get(photo.content_hash, backbone_id) is not None
    # Adding nothing new embeds nothing.
    arrivals.photos_added(project)
    assert arrivals.wait_until_idle(timeout=60)
    assert arrivals.arrival_of(project.id).total == 0


def submit(project: store.Project, kind: str, payload: dict) -> records.JobRecord:
    """Queues a job of the project, as a page does."""
    config = job_queue.QueueConfig.from_environment(project.workspace.root)
    return job_queue.submit(
        config, job_queue.make_queue(config), kind, project.id, project.owner, payload
    )


def ended(project: store.Project, job_id: str, timeout: float = 240) -> records.JobRecord:
    """Waits for a job to end; returns its record."""
    jobs_store = job_queue.QueueConfig.from_environment(project.workspace.root).store()

    def finished():
        record = jobs_store.get(job_id)
        return None if record.is_active else record

    return wait_for(finished, timeout, f"job {job_id} to end on the worker")


def without_onnx_form(model_path: pathlib.Path) -> None:
    """Rewrites a project file as an earlier version saved it: no `model.onnx`."""
    with zipfile.ZipFile(model_path) as archive:
        metadata = json.loads(archive.read(project_file.METADATA_ENTRY))
        keras_model = archive.read(project_file.MODEL_ENTRY)
    metadata.pop("onnx", None)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(project_file.METADATA_ENTRY, json.dumps(metadata))
        archive.writestr(project_file.MODEL_ENTRY, keras_model)
    model_path.write_bytes(buffer.getvalue())


def test_corrections_and_heat_maps_go_ahead_of_trainings_in_the_queue(app_workspace):
    space = store.Workspace(app_workspace)
    trained, corrected = (space.create_project(name, OWNER) for name in ("One", "Two"))
    jobs_store = job_queue.QueueConfig.from_environment(app_workspace).store()
    training_job = jobs_store.create(job_queue.KIND_TRAINING, trained.id, OWNER, {})
    teach_job = jobs_store.create(job_queue.KIND_TEACH, corrected.id, OWNER, {})
    # Queued after the training, by the same owner: still next in line, in the records and
    # in Huey's own queue, which a worker takes the next message from.
    assert jobs_store.queue_position(teach_job.id) == 1
    assert jobs_store.queue_position(training_job.id) == 2
    queue = job_queue.make_queue(job_queue.QueueConfig.from_environment(app_workspace))
    for record in (training_job, teach_job):
        job_queue.send(queue, record)
    assert [queue.huey.dequeue().args[0] for _ in range(2)] == [teach_job.id, training_job.id]
    # A heat map of a project that is training is made beside it; a correction is not.
    heat_map = jobs_store.create(job_queue.KIND_EXPLANATION, trained.id, OWNER, {})
    assert heat_map.priority > training_job.priority
    with pytest.raises(records.JobError, match="training already"):
        jobs_store.create(job_queue.KIND_TEACH, trained.id, OWNER, {})
    with pytest.raises(records.JobError, match="learning a correction"):
        jobs_store.create(job_queue.KIND_TRAINING, corrected.id, OWNER, {})


@pytest.mark.slow
def test_a_worker_learns_a_correction_explains_a_photo_and_readies_an_old_file(project, tmp_path):
    root = project.workspace.root
    worker = WorkerProcess(root, tmp_path / "worker.log")
    try:
        file_name, data = taught_photo()
        corrections.store_photo(project, TAUGHT_CLASS, file_name, data)
        before = project.model_path.stat().st_mtime_ns
        photo_hash = images.content_hash(data)
        record = ended(
            project, submit(project, job_queue.KIND_TEACH, {"photo_hash": photo_hash}).id
        )
        assert record.state == records.FINISHED, (record.error, worker.log_tail())
        answer = prediction.Prediction.from_record(record.result["answer"])
        print(f"\nTeach job, queued to ended: {record.finished_at - record.created_at:.2f} s")
        assert answer.best_class == TAUGHT_CLASS
        assert record.result["photo_count"] == len(APP_CLASSES) * PHOTOS_PER_CLASS + 1
        # The saved file answers the same without TensorFlow (the web server's way).
        assert project.model_path.stat().st_mtime_ns != before
        trained, reason = project_models.load_project_model(project.model_path)
        assert reason is None
        (again,) = prediction.predict(trained, [data], file_names=[file_name])
        assert again.best_class == TAUGHT_CLASS
        # A heat map of the photo, written where every web server reads it.
        key = explanation_files.explanation_key("stamp", photo_hash, None, 64)
        photo_path = explanation_files.save_photo(root, project.id, photo_hash, data)
        payload = {"photo": str(photo_path), "class_name": None, "overlay_size": 64, "key": key}
        record = ended(project, submit(project, job_queue.KIND_EXPLANATION, payload).id)
        assert record.state == records.FINISHED, record.error
        made = explanation_files.read(root, project.id, key)
        assert made["predicted_class"] == TAUGHT_CLASS and made["explained_class"] == TAUGHT_CLASS
        assert made["overlay"][:2] == b"\xff\xd8"  # A JPEG.
        # A file of an earlier version, without an ONNX form, is given one by the worker.
        without_onnx_form(project.model_path)
        assert project_models.load_project_model(project.model_path)[0] is None
        record = ended(project, submit(project, job_queue.KIND_MODEL_PREPARATION, {}).id)
        assert record.state == records.FINISHED and record.result == {"made": True}
        trained, reason = project_models.load_project_model(project.model_path)
        assert reason is None
        assert prediction.predict(trained, [data])[0].best_class == TAUGHT_CLASS
    finally:
        worker.stop()


@pytest.mark.slow
def test_the_correction_loop_on_the_predict_page(project, monkeypatch, tmp_path):
    root = project.workspace.root
    monkeypatch.setenv("TLCORE_WORKSPACE", str(root))
    monkeypatch.setenv("TLCORE_WORKERS", "0")
    worker = WorkerProcess(root, tmp_path / "worker.log")
    file_name, data = taught_photo()
    try:
        app = open_page(project, PREDICT_PAGE)
        # Many photos: a row of the table is chosen to teach it, and nothing is taught before.
        uploads = [(name, photo, "image/jpeg") for name, photo in grocery_photos(TAUGHT_CLASS, 2)]
        app.file_uploader(key="predict_upload").set_value(uploads)
        app.run()
        assert not app.exception
        assert "Choose a row" in texts(app.caption)
        assert not any(button.key == "teach_button" for button in app.button)
        app.file_uploader(key="predict_upload").set_value((file_name, data, "image/jpeg"))
        app.run()
        assert not app.exception
        app.button(key="teach_button").click().run()
        assert "Choose the class the photo shows first." in texts(app.warning)
        app.selectbox(key="teach_class").set_value(TAUGHT_CLASS)
        app.button(key="teach_button").click().run()
        assert not app.exception, app.exception
        assert f"Learning that it is {TAUGHT_CLASS}" in texts(app.markdown)
        run_after_jobs(app, root)
        assert not app.exception, worker.log_tail()
        print(
            f"\nClick to updated model on the page: {app.session_state['teach_job'].seconds:.2f} s"
        )
        assert "Before" in texts(app.markdown) and "Now" in texts(app.markdown)
        assert f"Now: This looks like {TAUGHT_CLASS}" in texts(app.markdown)
        assert f"Kept in **{TAUGHT_CLASS}**" in texts(app.success)
        assert project.refresh().photo_counts()[TAUGHT_CLASS] == PHOTOS_PER_CLASS + 1
        # Teaching the same photo again says where it is.
        app.session_state["teach_job"] = None
        app.run()
        app.selectbox(key="teach_class").set_value(APP_CLASSES[0])
        app.button(key="teach_button").click().run()
        assert f"in the class '{TAUGHT_CLASS}'" in texts(app.error)
        # A new class of one photo: the photo is kept, and the worker's reason is told.
        other_name, other = grocery_photos(TAUGHT_CLASS, 2, split="val")[1]
        app.file_uploader(key="predict_upload").set_value((other_name, other, "image/jpeg"))
        app.run()
        app.selectbox(key="teach_class").set_value(teach.NEW_CLASS_OPTION).run()
        app.text_input(key="teach_new_class").input("Oat drink")
        app.button(key="teach_button").click().run()
        run_after_jobs(app, root)
        assert "did not learn it" in texts(app.warning)
        assert "Teach it another photo of Oat drink" in texts(app.warning)
        assert project.refresh().photo_counts()["Oat drink"] == 1
    finally:
        worker.stop()


# Run in a fresh process: the pages, as AppTest runs them, then what was imported.
PAGES_SCRIPT = """
import json, sys
from streamlit.testing.v1 import AppTest

app_file, owner, project_id, photo = sys.argv[1:5]
shown = {}
app = AppTest.from_file(app_file, default_timeout=120)
app.query_params.update({"owner": owner, "project": project_id})
app.run()
for page in ("pages/1_Collect.py", "pages/2_Train.py", "pages/3_Evaluate.py",
             "pages/6_Check_data.py", "pages/4_Predict.py"):
    app.switch_page(page).run()
    shown[page] = [str(error.value) for error in app.exception]
with open(photo, "rb") as file:
    app.file_uploader(key="predict_upload").set_value(("photo.jpg", file.read(), "image/jpeg"))
app.run()
shown["answer"] = [str(header.value) for header in app.subheader]
shown["tensorflow"] = "tensorflow" in sys.modules or "keras" in sys.modules
import tlcore.training.trainer  # The same check, once TensorFlow is imported: it must see it.
shown["tensorflow_after_training_import"] = "tensorflow" in sys.modules
print(json.dumps(shown))
"""


@pytest.mark.slow
def test_the_pages_import_no_tensorflow(project, tmp_path):
    script = tmp_path / "pages.py"
    script.write_text(PAGES_SCRIPT)
    (photo_path,) = write_photos(tmp_path / "photos", [taught_photo()])
    environment = {
        **os.environ,
        "TLCORE_WORKSPACE": str(project.workspace.root),
        "TLCORE_WORKERS": "0",
    }
    finished = subprocess.run(
        [sys.executable, str(script), str(APP_FILE), OWNER, project.id, str(photo_path)],
        env=environment,
        cwd=APP_FILE.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    shown = json.loads(finished.stdout.strip().splitlines()[-1])
    for page in ("pages/1_Collect.py", "pages/2_Train.py", "pages/3_Evaluate.py"):
        assert shown[page] == [], shown[page]
    assert shown["pages/6_Check_data.py"] == [] and shown["pages/4_Predict.py"] == []
    assert f"This looks like: {TAUGHT_CLASS}" in shown["answer"]
    assert shown["tensorflow"] is False
    assert shown["tensorflow_after_training_import"] is True


def test_old_heat_maps_are_forgotten_beyond_the_limit(app_workspace, monkeypatch):
    monkeypatch.setattr(explanation_files, "KEPT_PER_PROJECT", 3)
    for index in range(5):
        key = explanation_files.explanation_key("stamp", f"photo-{index}", None, 64)
        explanation_files.write(app_workspace, "project", key, b"jpeg", {"index": index})
        time.sleep(0.01)  # Distinct modification times, oldest first.
    folder = explanation_files.folder_of(app_workspace, "project")
    kept = sorted(json.loads(path.read_text())["index"] for path in folder.glob("*.json"))
    assert kept == [2, 3, 4]
    assert len(list(folder.glob("*.jpg"))) == 3


def choose_option(page, selectbox: str, option: str, tries: int = 4) -> None:
    """Chooses an option of a selectbox; a page redrawn meanwhile (the live camera's box
    settling in above) closes an open list, so it is opened again."""
    for attempt in range(tries):
        page.locator(selectbox).scroll_into_view_if_needed()
        page.locator(selectbox).click()
        try:
            page.get_by_role("option", name=option).click(timeout=10_000)
            return
        except Exception:  # noqa: BLE001 - Playwright's timeout; the last one is raised.
            if attempt == tries - 1:
                raise


def loads_tensorflow(pid: int) -> bool:
    """Whether a process has TensorFlow's library mapped (it is, once `tensorflow` is imported)."""
    return "libtensorflow" in pathlib.Path(f"/proc/{pid}/maps").read_text()


@pytest.mark.slow
@pytest.mark.browser
def test_the_correction_loop_in_a_real_browser(project, tmp_path):
    (photo_path,) = write_photos(tmp_path / "photos", [taught_photo()])
    root = project.workspace.root
    worker = WorkerProcess(root, tmp_path / "worker.log")
    try:
        with (
            running_app(root, tmp_path, {"TLCORE_WORKERS": "0"}) as server,
            chromium() as browser,
        ):
            page = new_page(browser, 1280, 1100, timeout_milliseconds=120_000)
            page.goto(f"{server.address}/Predict?owner={OWNER}&project={project.id}")
            page.get_by_text("Add a photo above").wait_for()
            page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(photo_path)
            page.get_by_text("Teach it", exact=True).first.wait_for()
            # The heat map, made by the worker, is drawn before the correction.
            page.get_by_text("made the model choose").wait_for()
            settle(page)
            screenshot(page, "teach-before")
            choose_option(page, ".st-key-teach_class", TAUGHT_CLASS)
            started = time.perf_counter()
            page.locator(".st-key-teach_button button").click()
            page.get_by_text(f"Now: This looks like {TAUGHT_CLASS}").wait_for()
            print(f"\nClick to the new answer in Chromium: {time.perf_counter() - started:.2f} s")
            settle(page)
            screenshot(page, "teach-after")
            # The other pages that show the model, in the same server.
            for name, text in (
                ("Evaluate", "The photos behind a square"),
                ("Train", "Last training"),
            ):
                page.goto(f"{server.address}/{name}?owner={OWNER}&project={project.id}")
                page.get_by_text(text).first.wait_for()
            # The worker trained and explained, with TensorFlow; the web server never loaded it.
            assert loads_tensorflow(worker.process.pid)
            assert not loads_tensorflow(server.process.pid), "The web server imported TensorFlow."
    finally:
        worker.stop()
    assert project.refresh().photo_counts()[TAUGHT_CLASS] == PHOTOS_PER_CLASS + 1
