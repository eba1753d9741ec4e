"""A data check as a job: queued like a training, run by a real worker, its report saved in the
project where any web server reads it."""

import pytest
from app_fixtures import grocery_photos
from job_fixtures import WorkerProcess, small_project, wait_for

from tlcore import store
from tlcore.jobs import data_checks, queue


def queue_check(root, project) -> queue.job_records.JobRecord:
    config = queue.QueueConfig(root)
    return queue.submit(
        config,
        queue.make_queue(config),
        queue.KIND_DATA_CHECK,
        project.id,
        project.owner,
        {"photo_count": project.photo_count()},
    )


@pytest.mark.slow
def test_a_data_check_runs_on_a_worker_and_any_server_reads_its_report(
    tmp_path, engine_environment
):
    root = tmp_path / "workspace"
    project = small_project(root)
    # A test photo that is a training photo again: the check names it a near-copy.
    class_name = project.class_names[0]
    project.add_photos(class_name, grocery_photos(class_name, 1), test=True)
    worker = WorkerProcess(root, tmp_path / "worker.log")
    try:
        record = queue_check(root, project)
        store_ = queue.QueueConfig(root).store()
        with pytest.raises(store.WorkspaceError, match="being checked"):
            queue_check(root, project)
        phases = set()

        def ended():
            read = store_.get(record.id)
            phases.add(read.progress.get("phase"))
            return read if not read.is_active else None

        finished = wait_for(ended, 240, "the data check to finish", poll=0.05)
        assert finished.state == "finished", (finished.error, worker.log_tail())
        assert finished.result["photo_count"] == 24
    finally:
        worker.stop()
    assert phases & {"loading", "embedding", "comparing", "measuring"}
    # Read back as another web server would: a fresh workspace object on the same folder.
    again = store.Workspace(root).open_project(project.id)
    check = data_checks.load(again)
    assert check is not None
    assert len(check.report.photos) == 24 and len(check.data_map.points) == 24
    assert check.report.out_of_fold_accuracy >= 0.6
    assert [near.test_photo.content_hash for near in check.test_near_copies] == [
        photo.content_hash for photo in again.to_dataset(test=True).photos
    ]
    assert not data_checks.is_out_of_date(again, check)
    # A fix through the check keeps it up to date; any other change of photos does not.
    photo = check.report.photos[0]
    again.remove_photo(photo.class_name, photo.content_hash)
    fixed = data_checks.without_photo(again, check, photo.content_hash)
    reloaded = data_checks.load(again)
    assert reloaded.changed == 1 and not data_checks.is_out_of_date(again, reloaded)
    assert fixed.changed == 1
    again.add_photos(class_name, grocery_photos(class_name, 9)[8:])
    assert data_checks.is_out_of_date(again.refresh(), reloaded)


def test_a_queued_check_shows_its_place_and_can_be_cancelled(tmp_path, monkeypatch):
    from app_fixtures import FAST_PAGE_TIMEOUT, open_page, texts

    # No worker: the check stays queued behind another project's job.
    monkeypatch.setenv("TLCORE_WORKSPACE", str(tmp_path))
    monkeypatch.setenv("TLCORE_WORKERS", "0")
    project = small_project(tmp_path, owner="owner-token-for-check-job-tests")
    other = store.Workspace(tmp_path).create_project("Other", "another-owner")
    queue_check(tmp_path, other)
    app = open_page(project, "pages/6_Check_data.py", timeout=FAST_PAGE_TIMEOUT)
    assert not app.exception
    app.button(key="check_data_button").click().run()
    assert not app.exception
    assert "Checking your photos…" in [str(header.value) for header in app.subheader]
    assert "1 job is ahead of it" in texts(app.info)
    # Another session (a reload, another server) shows the same queued check.
    again = open_page(project, "pages/6_Check_data.py", timeout=FAST_PAGE_TIMEOUT)
    assert "Checking your photos…" in [str(header.value) for header in again.subheader]
    app.button(key="cancel_check_data_button").click().run()
    assert not app.exception
    assert "Check cancelled." in texts(app.info)
    assert app.button(key="check_data_button").label == "Check my photos"
