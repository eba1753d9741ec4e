"""Faults of the work tier, with real workers, real photos and real trainings.

A worker SIGKILLed in the middle of a training: the job runs again on the other worker and
finishes. A training through the Redis queue. A job whose worker keeps dying, and a worker out
of memory: the page's words. Two web servers with no workers of their own and one worker: a
training started on one is seen progressing and finished on the other, in Chromium.
"""

import numpy as np
import pytest
from job_fixtures import (  # noqa: F401
    WorkerProcess,
    queue_training,
    redis_server_fixture,
    small_project,
    wait_for,
)
from server_fixtures import (
    StreamlitServer,
    chromium,
    new_page,
    require_chromium,
    screenshot,
    settle,
)

from tlcore.jobs import queue

pytestmark = pytest.mark.slow

STALE_SECONDS = "4"


def test_a_training_whose_worker_is_killed_runs_again_and_finishes(tmp_path, engine_environment):
    root = tmp_path / "workspace"
    project = small_project(root)
    environment = {"TLCORE_JOB_STALE_SECONDS": STALE_SECONDS}
    workers = [
        WorkerProcess(root, tmp_path / f"worker-{number}.log", environment) for number in (1, 2)
    ]
    try:
        record = queue_training(root, project, epochs=20)
        store = queue.QueueConfig(root).store()

        def running_on_a_worker():
            read = store.get(record.id)
            return read if read.progress.get("phase") in ("embedding", "training") else None

        running = wait_for(running_on_a_worker, 240, "the training to start on a worker")
        victim = next(one for one in workers if running.worker.endswith(one.name_suffix))
        victim.kill()
        survivor = next(one for one in workers if one is not victim)
        ended = wait_for(
            lambda: (read := store.get(record.id)).state in ("finished", "failed") and read,
            300,
            "the training to run again and finish",
        )
        assert ended.state == "finished", (ended.error, survivor.log_tail())
        assert ended.attempts == 2
        assert ended.worker.endswith(survivor.name_suffix)
        assert len(ended.history["val_accuracy"]) == 20
        refreshed = project.refresh()
        assert refreshed.has_trained_model
        assert not refreshed.training_interrupted
        assert refreshed.training_record().evaluation["accuracy"] >= 0.6
    finally:
        for one in workers:
            one.stop()


def test_a_training_through_the_redis_queue(tmp_path, engine_environment, redis_server):
    root = tmp_path / "workspace"
    project = small_project(root)
    worker = WorkerProcess(root, tmp_path / "worker.log", {"TLCORE_QUEUE_URL": redis_server})
    try:
        record = queue_training(root, project, queue_url=redis_server)
        store = queue.QueueConfig(root).store()
        ended = wait_for(
            lambda: not (read := store.get(record.id)).is_active and read,
            300,
            "the training through Redis to finish",
        )
        assert ended.state == "finished", (ended.error, worker.log_tail())
        assert project.refresh().has_trained_model
    finally:
        worker.stop()


def test_a_job_whose_worker_keeps_dying_fails_in_words(tmp_path, engine_environment):
    from tlcore.jobs import runner

    root = tmp_path / "workspace"
    project = small_project(root)
    record = queue_training(root, project)
    config = queue.QueueConfig(root)
    store = config.store()
    # Each start by a worker that then died, as the stale check finds it.
    for attempt in range(runner.MAX_ATTEMPTS):
        assert store.claim(record.id, f"worker-{attempt}")
        store.release(f"worker-{attempt}")
    runner.run_job(config, record.id, "worker-last")
    ended = store.get(record.id)
    assert ended.state == "failed"
    assert "each time the worker running it stopped" in ended.error
    assert "ran out of memory" in ended.error
    assert not project.refresh().has_trained_model


def test_the_memory_running_out_is_told_in_words(engine_environment):
    import tensorflow as tf

    from tlcore.jobs import runner

    with pytest.raises(MemoryError) as numpy_out_of_memory:
        np.empty(2**62, dtype=np.uint8)
    tensorflow_out_of_memory = tf.errors.ResourceExhaustedError(
        None, None, "OOM when allocating tensor with shape[100000,100000]"
    )
    for error in (numpy_out_of_memory.value, tensorflow_out_of_memory):
        assert runner.is_out_of_memory(error)
    assert not runner.is_out_of_memory(ValueError("shapes do not match"))
    assert runner.OUT_OF_MEMORY_MESSAGE.startswith("The training ran out of memory")


@pytest.mark.browser
def test_two_web_servers_and_one_worker_share_a_training(tmp_path, engine_environment):
    require_chromium()
    root = tmp_path / "workspace"
    project = small_project(root)
    servers = []
    for number in (1, 2):
        logs = tmp_path / f"server-{number}"
        logs.mkdir()
        servers.append(StreamlitServer(root, logs, {"TLCORE_WORKERS": "0"}))
    worker = WorkerProcess(root, tmp_path / "worker.log")
    try:
        for server in servers:
            server.start()
        query = f"owner={project.owner}&project={project.id}"
        with chromium() as browser:
            first, second = (
                new_page(browser, 1280, 900, timeout_milliseconds=120_000) for _ in servers
            )
            # The project made on disk is listed by both servers.
            second.goto(f"{servers[1].address}/?{query}")
            settle(second)
            second.get_by_text("Groceries").first.wait_for()
            first.goto(f"{servers[0].address}/Train?{query}")
            settle(first)
            # The most rounds and learners and the smallest steps the page offers, so learning
            # lasts long enough for the other server's page to open while it runs (24 photos
            # are quick).
            first.get_by_text("Advanced settings").click()
            for label, stop in (
                ("Rounds of learning", "End"),
                ("Learners averaged", "End"),
                ("Photos per step", "Home"),
            ):
                slider = first.get_by_test_id("stSlider").filter(has_text=label)
                slider.get_by_role("slider").focus()
                first.keyboard.press(stop)
                settle(first, 100)
            first.get_by_role("button", name="Train", exact=True).click()
            first.get_by_role("heading", name="Training…").wait_for()
            # The other server shows the same training, moving, from the job's record.
            second.goto(f"{servers[1].address}/Train?{query}")
            second.get_by_role("heading", name="Training…").wait_for()
            second.get_by_text("Step 2 of 2").wait_for(timeout=240_000)
            # The live chart, drawn from the figures the worker wrote.
            second.locator(".st-key-live_training_chart .main-svg").first.wait_for()
            screenshot(second, "jobs_second_server_sees_the_training")
            second.get_by_text("Training finished").wait_for(timeout=300_000)
            second.get_by_role("heading", name="Last training").wait_for()
            settle(second)
            screenshot(second, "jobs_second_server_sees_it_finished")
            # Both pages watched it: each is told how it ended, whichever redrew first.
            first.get_by_text("Training finished").wait_for()
            # A page opened afterwards is not told again.
            second.reload()
            settle(second)
            second.get_by_role("heading", name="Last training").wait_for()
            assert not second.get_by_text("Training finished").count()
        assert project.refresh().has_trained_model
        for server in servers:
            assert server.is_answering()
    finally:
        worker.stop()
        for server in servers:
            server.stop()
