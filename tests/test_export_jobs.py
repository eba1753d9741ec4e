"""Exports made by a real worker: Prepare queues a job, the worker keeps a checked file in the
workspace, and the Export page offers it, with no TensorFlow in the web server's process."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from app_fixtures import ROOT, open_page, texts
from job_fixtures import WorkerProcess, wait_for

from tlcore import errors, store
from tlcore.jobs import exports, imports
from tlcore.jobs import queue as job_queue
from tlcore.nets import runtimes
from tlcore.serving import export

OWNER = "owner-of-the-export-jobs-tests"


@pytest.fixture(name="trained_workspace")
def trained_workspace_fixture(tmp_path, small_training, monkeypatch):
    """The session's small real model in a workspace; the pages start no worker of their own."""
    root = tmp_path / "workspace"
    project = store.Workspace(root).create_project("Groceries", OWNER)
    project.add_dataset(small_training.dataset)
    project.save_trained(small_training.trained)
    monkeypatch.setenv("TLCORE_WORKSPACE", str(root))
    monkeypatch.setenv("TLCORE_WORKERS", "0")
    return project.refresh()


def test_an_export_is_named_by_its_model_and_format(tmp_path):
    project = store.Workspace(tmp_path).create_project("Untrained", OWNER)
    assert exports.model_stamp(project) is None
    config = job_queue.QueueConfig(tmp_path)
    with pytest.raises(export.ExportError, match="Train a model first"):
        exports.queue_export(config, job_queue.make_queue(config), project, "onnx", "x")
    path = exports.export_path(tmp_path, "p1", "abc", "onnx")
    assert path.name == "abc-onnx" and exports.EXPORTS_FOLDER in path.parts
    assert exports.prepared(tmp_path, "p1", "abc", "onnx") is None


def run_page(app):
    app.run()
    assert not app.exception, app.exception
    return app


@pytest.mark.slow
def test_exports_and_project_files_are_made_by_a_worker_and_the_page_offers_them(
    trained_workspace, small_training, tmp_path
):
    project = trained_workspace
    app = open_page(project, "pages/5_Export.py")
    assert not app.exception
    assert [button.key for button in app.get("download_button")] == [
        "download_project_file",
        "download_keras_model",
    ]
    # Queued with no worker running: the card shows the job and its Cancel, which works.
    app.button(key="prepare_tflite-float").click()
    run_page(app).button(key="cancel_export_button_tflite-float").click()
    run_page(app)
    assert "Cancelled." in texts(app.info)
    app.button(key="prepare_onnx").click()
    run_page(app)
    assert app.button(key="cancel_export_button_onnx")
    stamp = exports.model_stamp(project)
    root = project.workspace.root
    config = job_queue.QueueConfig(root)
    queue = job_queue.make_queue(config)
    jobs = config.store()
    # A project file opened on Export is loaded by the same worker; a bad one is refused at once.
    with pytest.raises(errors.ProjectFileError, match="not a project saved by this tool"):
        imports.queue_import(config, queue, OWNER, b"PK not really a zip", "holiday")
    opened = imports.queue_import(config, queue, OWNER, project.model_path.read_bytes(), "Copy")
    assert imports.upload_path(root, opened.payload["upload"]).is_file()
    worker = WorkerProcess(root, tmp_path / "worker.log")
    try:
        ready = wait_for(
            lambda: exports.prepared(root, project.id, stamp, "onnx"), 240, "the ONNX export"
        )
        # Asked again for the same model and format, the kept file is used.
        again = exports.queue_export(config, queue, project, "onnx", "")
        wait_for(lambda: not jobs.get(again.id).is_active, 120, "the second request")
        wait_for(lambda: not jobs.get(opened.id).is_active, 120, "the project file's import")
    finally:
        worker.stop()
    assert jobs.get(again.id).result == {"reused": True}, worker.log_tail()
    imported = jobs.get(opened.id)
    assert imported.state == "finished", (imported.error, worker.log_tail())
    copy = store.Workspace(root).open_project(imported.result["project_id"])
    assert (copy.name, copy.owner, copy.class_names) == ("Copy", OWNER, project.class_names)
    assert not imports.upload_path(root, opened.payload["upload"]).exists()
    app = open_page(project, "pages/5_Export.py")
    assert app.get("download_button")[-1].key == "download_onnx"
    assert "the same answers as the original model" in texts(app.caption)
    # The kept file is the checked model: ONNX Runtime gives the Keras model's answers.
    photos = exports.check_photos(project)[:4]
    pixels = export.load_photo_pixels(small_training.trained, photos)
    expected = small_training.trained.model.predict(pixels, verbose=0)
    actual = runtimes.OnnxModel(ready.path.read_bytes()).predict_on_batch(pixels)
    np.testing.assert_allclose(actual, expected, atol=export.FLOAT_TOLERANCE)


@pytest.mark.slow
def test_collect_and_export_import_no_tensorflow_in_the_web_server(trained_workspace):
    project = trained_workspace
    environment = {
        **os.environ,
        "PAGE_OWNER": OWNER,
        "PAGE_PROJECT": project.id,
        "PAGE_MODEL_FILE": str(project.model_path),
    }
    finished = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "page_imports.py")],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    seen = json.loads(finished.stdout.strip().splitlines()[-1])
    assert seen["errors"] == []
    assert seen["heavy"] == []
    assert seen["downloads"] == ["download_project_file", "download_keras_model"]
    assert seen["importing"]  # The project file was queued for a worker to load.
    # The photo added on Collect was queued for a worker to embed.
    record = (
        job_queue.QueueConfig(project.workspace.root)
        .store()
        .latest_for_project(project.id, job_queue.KIND_PHOTO_EMBEDDING)
    )
    assert record is not None and record.state == "queued"
    # That web server has exited: the job's message waits in the workspace's queue for a worker.
    config = job_queue.QueueConfig(project.workspace.root)
    assert record.id in {task.args[0] for task in job_queue.make_queue(config).huey.pending()}
