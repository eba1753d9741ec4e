"""The jobs' records and the queue (Huey on SQLite, and on Redis when installed), no training.

These run without TensorFlow: the queue's order (first come first served, fairness between
owners), one job per project, cancelling, taking dead workers' jobs back, the addresses.
"""

import subprocess
import sys
import time

import pytest
from job_fixtures import redis_server_fixture  # noqa: F401

from tlcore import store as project_store
from tlcore.jobs import queue as job_queue
from tlcore.jobs import records, worker


def open_queue(root, queue_url: str = "") -> tuple[job_queue.QueueConfig, job_queue.JobQueue]:
    config = job_queue.QueueConfig(root, queue_url=queue_url)
    return config, job_queue.make_queue(config)


def dequeued_job_ids(queue: job_queue.JobQueue) -> list[str]:
    """Takes every message off the queue, as a worker would, and returns their job ids."""
    job_ids = []
    while (task := queue.huey.dequeue()) is not None:
        job_ids.append(task.args[0])
    return job_ids


def submit(config, queue, project_id: str, owner: str) -> records.JobRecord:
    return job_queue.submit(
        config, queue, job_queue.KIND_TRAINING, project_id, owner, {"settings": {}}
    )


def check_fair_order(config, queue) -> None:
    first_of_a = submit(config, queue, "project-a1", "owner-a")
    second_of_a = submit(config, queue, "project-a2", "owner-a")
    first_of_b = submit(config, queue, "project-b1", "owner-b")
    third_of_a = submit(config, queue, "project-a3", "owner-a")
    second_of_b = submit(config, queue, "project-b2", "owner-b")
    store = config.store()
    expected = [first_of_a, first_of_b, second_of_a, second_of_b, third_of_a]
    # The page's place in the queue and the engine's order agree.
    assert [store.queue_position(record.id) for record in expected] == [1, 2, 3, 4, 5]
    # Every queued job has its message: none is taken for lost.
    assert job_queue.requeue_stale(config, queue, stale_seconds=0) == []
    assert dequeued_job_ids(queue) == [record.id for record in expected]


def test_first_come_first_served_but_owners_take_turns(tmp_path):
    config, queue = open_queue(tmp_path)
    check_fair_order(config, queue)
    # The embedded default keeps the queue in the workspace's hidden folder, and the records
    # in the workspace's database; neither is ever taken for a project.
    assert "queue.sqlite3" in {path.name for path in (tmp_path / ".jobs").iterdir()}
    assert (tmp_path / "tlcore.db").is_file()
    assert project_store.Workspace(tmp_path).list_projects("owner-a") == []


def test_the_redis_queue_keeps_the_same_fair_order(tmp_path, redis_server):
    config, queue = open_queue(tmp_path, queue_url=redis_server)
    queue.huey.flush()
    check_fair_order(config, queue)


def test_a_project_has_one_training_at_a_time(tmp_path):
    config, queue = open_queue(tmp_path)
    first = submit(config, queue, "project-a", "owner-a")
    with pytest.raises(project_store.WorkspaceError, match="training already"):
        submit(config, queue, "project-a", "owner-a")
    config.store().finish(first.id, records.FINISHED)
    assert submit(config, queue, "project-a", "owner-a").state == records.QUEUED


def test_a_queued_job_cancelled_is_never_run(tmp_path):
    config, queue = open_queue(tmp_path)
    store = config.store()
    record = submit(config, queue, "project-a", "owner-a")
    store.request_cancel(record.id)
    assert store.get(record.id).state == records.CANCELLED
    assert store.claim(record.id, "worker-1") is None
    # The project may train again at once.
    assert submit(config, queue, "project-a", "owner-a").state == records.QUEUED


def test_a_dead_worker_s_job_is_queued_again_once(tmp_path):
    config, queue = open_queue(tmp_path)
    store = config.store()
    record = submit(config, queue, "project-a", "owner-a")
    assert dequeued_job_ids(queue) == [record.id]
    assert store.claim(record.id, "worker-1").attempts == 1
    # A second claim of a running job (a message delivered twice) gets nothing.
    assert store.claim(record.id, "worker-2") is None
    # A live worker's job is not taken from it.
    assert job_queue.requeue_stale(config, queue, stale_seconds=60) == []
    time.sleep(0.05)
    assert job_queue.requeue_stale(config, queue, stale_seconds=0.01) == [record.id]
    # Two workers looking at once: only the first finds it.
    assert job_queue.requeue_stale(config, queue, stale_seconds=0.01) == []
    assert dequeued_job_ids(queue) == [record.id]
    again = store.claim(record.id, "worker-2")
    assert (again.state, again.attempts, again.worker) == (records.RUNNING, 2, "worker-2")


def test_a_stopping_worker_hands_its_job_back(tmp_path):
    config, queue = open_queue(tmp_path)
    store = config.store()
    record = submit(config, queue, "project-a", "owner-a")
    dequeued_job_ids(queue)
    store.claim(record.id, "worker-1")
    assert [released.id for released in store.release("worker-1")] == [record.id]
    assert store.get(record.id).state == records.QUEUED


def test_progress_and_the_cancel_flag_travel_through_the_record(tmp_path):
    config, queue = open_queue(tmp_path)
    store = config.store()
    record = submit(config, queue, "project-a", "owner-a")
    store.claim(record.id, "worker-1")
    history = {"loss": [0.9, 0.5], "accuracy": [0.4, None]}
    assert not store.report(record.id, {"phase": "training", "done": 2, "total": 5}, history)
    store.request_cancel(record.id)
    # A running job is not cancelled at once: its worker is told at its next report.
    assert store.get(record.id).state == records.RUNNING
    assert store.report(record.id, {"phase": "training", "done": 3, "total": 5})
    read = store.get(record.id)
    assert read.progress["done"] == 3 and read.history == history


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        (records.DATABASE_URL_VARIABLE, "mysql://db/jobs", "database address"),
        (job_queue.QUEUE_URL_VARIABLE, "amqp://broker", "queue address"),
    ],
)
def test_an_address_the_server_cannot_use_is_said_in_words(
    tmp_path, monkeypatch, variable, value, words
):
    monkeypatch.setenv(variable, value)
    config = job_queue.QueueConfig.from_environment(tmp_path)
    with pytest.raises(records.JobError, match=words):
        job_queue.make_queue(config)
        config.store()


def test_the_database_url_puts_the_records_elsewhere(tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere" / "records.sqlite3"
    monkeypatch.setenv(records.DATABASE_URL_VARIABLE, f"sqlite:///{elsewhere}")
    config = job_queue.QueueConfig.from_environment(tmp_path / "space")
    config.store().create(job_queue.KIND_TRAINING, "project-a", "owner-a", {})
    assert elsewhere.is_file()
    assert not (tmp_path / "space" / "tlcore.db").exists()


def test_the_worker_s_help_says_what_it_reads():
    shown = subprocess.run(
        [sys.executable, "-m", "tlcore", "worker", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    for variable in (
        "TLCORE_WORKSPACE",
        "TLCORE_QUEUE_URL",
        "TLCORE_DATABASE_URL",
        "TLCORE_WEIGHTS_DIR",
        worker.STALE_SECONDS_VARIABLE,
    ):
        assert variable in shown


def test_the_web_server_s_worker_count_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(worker.WORKERS_VARIABLE, "0")
    assert worker.local_worker_count() == 0
    monkeypatch.setenv(worker.WORKERS_VARIABLE, "3")
    assert worker.local_worker_count() == 3
    monkeypatch.delenv(worker.WORKERS_VARIABLE)
    assert worker.local_worker_count() == 1


def test_a_queue_that_does_not_answer_is_said_in_words_and_leaves_no_job(tmp_path):
    from server_fixtures import free_port

    config, queue = open_queue(tmp_path, queue_url=f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(records.JobError, match="could not be queued"):
        submit(config, queue, "project-a", "owner-a")
    # The record is not left queued with no message to run it: the project may train later.
    assert not config.store().latest_for_project("project-a").is_active


def test_a_queued_job_whose_message_was_lost_is_sent_again(tmp_path):
    config, queue = open_queue(tmp_path)
    record = submit(config, queue, "project-a", "owner-a")
    waiting = submit(config, queue, "project-b", "owner-b")
    # A worker took the first message and died before claiming the job.
    assert queue.huey.dequeue().args[0] == record.id
    time.sleep(0.05)
    assert job_queue.requeue_stale(config, queue, stale_seconds=0.01) == [record.id]
    assert sorted(dequeued_job_ids(queue)) == sorted([record.id, waiting.id])


def test_a_restarted_web_server_starts_its_worker_when_jobs_wait(tmp_path, monkeypatch):
    from app_fixtures import APP_FILE, FAST_PAGE_TIMEOUT
    from streamlit.testing.v1 import AppTest

    from tlapp.jobs import workers

    monkeypatch.setenv("TLCORE_WORKSPACE", str(tmp_path))
    workers.stop_local_workers()
    project = project_store.Workspace(tmp_path).create_project("Fruit", "owner-a")
    app = AppTest.from_file(str(APP_FILE), default_timeout=FAST_PAGE_TIMEOUT)
    app.query_params.update({"owner": project.owner})
    app.run()
    # No job ever: no worker, and no jobs' table made just by looking.
    assert str(tmp_path) not in workers._local_workers
    assert not (tmp_path / ".jobs").exists()
    config, queue = open_queue(tmp_path)
    submit(config, queue, project.id, project.owner)
    try:
        app.run()
        assert not app.exception
        (started,) = workers._local_workers[str(tmp_path)].processes
        assert started.poll() is None
    finally:
        workers.stop_local_workers()
