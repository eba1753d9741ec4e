"""Predictions of many photos as a job: the photos saved for a worker, its answers read back."""

import numpy as np
import pytest
from app_fixtures import FAST_PAGE_TIMEOUT, grocery_photos, open_page, texts
from engine_fixtures import TEST_CLASSES
from job_fixtures import WorkerProcess, wait_for

from tlapp.jobs import batch
from tlcore import store
from tlcore.jobs import batch_predictions
from tlcore.jobs import queue as job_queue
from tlcore.nets import prediction

OWNER = "owner-token-for-batch-prediction-tests"


@pytest.fixture(scope="module")
def trained_project(tmp_path_factory, small_training):
    """The small training's photos and model in a workspace of its own."""
    root = tmp_path_factory.mktemp("batch_workspace")
    project = store.Workspace(root).create_project("Groceries", OWNER)
    project.add_dataset(small_training.dataset)
    project.save_trained(small_training.trained)
    return project


def many_photos() -> list[tuple[str, bytes]]:
    photos = [
        (f"{class_name}-{name}", data)
        for class_name in TEST_CLASSES
        for name, data in grocery_photos(class_name, 4, split="val")
    ]
    return photos + [("broken.jpg", b"this is not a photo")]


def queue(root, project, batch_id: str):
    config = job_queue.QueueConfig(root)
    return job_queue.submit(
        config,
        job_queue.make_queue(config),
        job_queue.KIND_BATCH_PREDICTION,
        project.id,
        project.owner,
        {"batch_id": batch_id, "photo_count": 21},
    )


@pytest.mark.slow
def test_a_worker_gives_the_same_answers_as_the_web_server_did(
    trained_project, small_training, tmp_path
):
    root = trained_project.workspace.root
    photos = many_photos()
    batch_id = batch_predictions.save_photos(root, trained_project.id, photos)
    worker = WorkerProcess(root, tmp_path / "worker.log")
    try:
        record = queue(root, trained_project, batch_id)
        jobs = job_queue.QueueConfig(root).store()
        ended = wait_for(
            lambda: (read := jobs.get(record.id)).state in ("finished", "failed") and read,
            180,
            "the batch to be predicted",
        )
        assert ended.state == "finished", (ended.error, worker.log_tail())
    finally:
        worker.stop()
    answers = batch_predictions.load_answers(root, trained_project.id, batch_id)
    here = prediction.predict(
        small_training.trained,
        [data for _, data in photos],
        top_k=3,
        file_names=[name for name, _ in photos],
    )
    assert [answer.file_name for answer in answers] == [name for name, _ in photos]
    assert answers[-1].error is not None and here[-1].error is not None
    for theirs, ours in zip(answers[:-1], here[:-1], strict=True):
        assert theirs.best_class == ours.best_class and theirs.is_sure == ours.is_sure
        np.testing.assert_allclose(theirs.probabilities, ours.probabilities, atol=1e-4)


@pytest.mark.slow
def test_predict_hands_many_photos_to_a_worker_and_shows_the_table(trained_project, monkeypatch):
    from tlapp.jobs import workers

    monkeypatch.setenv("TLCORE_WORKSPACE", str(trained_project.workspace.root))
    photos = many_photos()
    assert len(photos) >= batch.BATCH_JOB_PHOTOS
    app = open_page(trained_project, "pages/4_Predict.py")
    try:
        app.file_uploader(key="predict_upload").set_value(
            [(name, data, "image/jpeg") for name, data in photos]
        )
        app.run()
        assert not app.exception
        assert "Looking at 21 photos…" in texts(app.markdown)
        job_id = app.session_state[batch.SESSION_KEY]["job_id"]
        jobs = workers.store(trained_project.workspace.root)
        wait_for(lambda: not jobs.get(job_id).is_active, 180, "the batch to be predicted")
        app.run(timeout=FAST_PAGE_TIMEOUT * 4)
        assert not app.exception
        table = app.dataframe[0].value
        assert list(table["Photo"]) == [name for name, _ in photos]
        assert "**broken.jpg**" in texts(app.warning)
        assert app.get("download_button")
        # Another run of the page does not queue the same photos again.
        app.run()
        assert app.session_state[batch.SESSION_KEY]["job_id"] == job_id
    finally:
        workers.stop_local_workers()
