"""Fixtures for the jobs' tests: a Redis server of its own, worker processes, a small project."""

import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time

import pytest
from app_fixtures import APP_CLASSES, APP_IMAGE_SIZE, ROOT, grocery_photos
from server_fixtures import free_port

from tlcore import store
from tlcore.jobs import queue, records
from tlcore.training import types

REDIS_SERVER = shutil.which("redis-server")


@pytest.fixture(name="redis_server")
def redis_server_fixture(tmp_path):
    """A Redis server on a free loopback port, for this test alone; its queue URL."""
    if REDIS_SERVER is None:
        pytest.skip(
            "redis-server is not installed (apt-get install redis-server; .ci/run installs "
            "it): the Redis queue is not tested here."
        )
    port = free_port()
    process = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir"]
        + [str(tmp_path), "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        redis = pytest.importorskip("redis")
        client = redis.Redis(port=port)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=20)


class WorkerProcess:
    """`python -m tlcore worker` on a workspace, as an operator starts it.

    Args:
        root: The workspace folder.
        log_path: Where its output goes.
        environment: Further environment variables (the queue URL, the stale delay).
    """

    def __init__(self, root: pathlib.Path, log_path: pathlib.Path, environment=None):
        self.log_path = log_path
        with open(log_path, "w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tlcore", "worker"],
                cwd=ROOT,
                env={**os.environ, "TLCORE_WORKSPACE": str(root), **(environment or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    @property
    def name_suffix(self) -> str:
        """The end of the worker's name in the jobs' records: `:<pid>`."""
        return f":{self.process.pid}"

    def kill(self) -> None:
        """SIGKILLs the worker, as the kernel's out-of-memory killer would."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """Stops the worker politely, or kills it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]


def queue_training(
    root: pathlib.Path,
    project: store.Project,
    epochs: int = 5,
    image_size: int = APP_IMAGE_SIZE,
    queue_url: str = "",
) -> records.JobRecord:
    """Queues a training of the project as the Train page does, for a worker to run."""
    config = queue.QueueConfig(root, queue_url=queue_url)
    settings = types.TrainingSettings(image_size=image_size, epochs=epochs)
    return queue.submit(
        config,
        queue.make_queue(config),
        queue.KIND_TRAINING,
        project.id,
        project.owner,
        {"settings": settings.to_dict(), "photo_count": project.photo_count()},
    )


def small_project(
    root: pathlib.Path, owner: str = "owner-of-the-jobs-tests", name: str = "Groceries"
) -> store.Project:
    """A project of three real grocery classes, eight photos each."""
    project = store.Workspace(root).create_project(name, owner)
    for class_name in APP_CLASSES:
        project.add_class(class_name)
        project.add_photos(class_name, grocery_photos(class_name, 8))
    return project


def wait_for(condition, timeout: float, what: str, poll: float = 0.2):
    """Waits until `condition()` returns something true, and returns it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"Waited {timeout:.0f} s for {what}.")


def check_data_on_a_worker(app, project: store.Project, timeout: float = 240) -> None:
    """Presses the Check data page's button, waits for the worker's check, and runs the page.

    The page queues the check as a job and shows its progress; this server's local worker
    runs it and saves the report into the project, which the page then shows.
    """
    from tlapp.jobs import data_check

    app.button(key="check_data_button").click().run()
    assert not app.exception, app.exception
    assert "Checking your photos…" in [str(header.value) for header in app.subheader]

    def ended():
        job = data_check.latest_job(project)
        return job if job is not None and not job.is_active else None

    job = wait_for(ended, timeout, "the data check to end on the worker")
    assert job.state == "finished", job.error
    app.run()


def finish_import(app, timeout: float = 240):
    """Runs the Export page until the worker has loaded the project file it was given.

    The page queues the file's loading as a job and shows its Cancel meanwhile; this server's
    local worker makes the project, and the page then opens it on Predict or says why not.
    """
    deadline = time.monotonic() + timeout
    while any(button.key == "cancel_import_button" for button in app.button):
        if time.monotonic() > deadline:
            raise AssertionError(f"Waited {timeout:.0f} s for the project file to be opened.")
        time.sleep(0.3)
        app.run()
    return app


def run_after_jobs(app, root: pathlib.Path, timeout: float = 240):
    """Waits until the workspace's worker has run every queued job, then runs the page again.

    Pages queue heat maps, corrections and models to make ready as jobs and show their
    progress; this is the page as it is once they ended.
    """
    jobs_store = queue.QueueConfig.from_environment(root).store()

    def idle():
        return not (jobs_store.count(records.QUEUED) or jobs_store.count(records.RUNNING))

    wait_for(idle, timeout, "the worker to run the page's jobs")
    return app.run()
