"""Corrections through the job path, for `python -m benchmarks.bench_teach --jobs`.

As the Predict page does it: the photo is kept in its class (`store.corrections.store_photo`, the
web server's part), a teach job is queued (`jobs.queue.submit`), and a worker process
(`python -m tlcore worker`, started once and kept warm) retrains the head, saves the model and
records its answer. The clock runs from the click to the new answer read back as the page does:
the job's record, then the new project file's ONNX model (`serving.project_models`), without Keras.
"""

import os
import subprocess
import sys
import time

from tlcore import store
from tlcore.data import images
from tlcore.jobs import queue as job_queue
from tlcore.jobs import records
from tlcore.nets import prediction
from tlcore.serving import project_models
from tlcore.store import corrections

# How often the record is read: finer than the page's redraw (once a second), so the figure
# is the work's and the queue's, not the page's polling.
POLL_SECONDS = 0.05


class Worker:
    """A worker process on the benchmark's workspace, its output in `log_path`."""

    def __init__(self, root, log_path):
        self.log_path = log_path
        with open(log_path, "w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tlcore", "worker"],
                env={**os.environ, "TLCORE_WORKSPACE": str(root)},
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def stop(self) -> None:
        """Stops the worker politely."""
        self.process.terminate()
        self.process.wait(timeout=60)


def teach_once(project: store.Project, photo, queue) -> dict:
    """Teaches one photo through a job; returns its timings and the new answer."""
    data = photo.read_bytes()
    started = time.time()
    corrections.store_photo(project, photo.class_name, photo.file_name, data)
    config = job_queue.QueueConfig.from_environment(project.workspace.root)
    record = job_queue.submit(
        config,
        queue,
        job_queue.KIND_TEACH,
        project.id,
        project.owner,
        {"photo_hash": images.content_hash(data)},
    )
    jobs_store = config.store()
    while record.is_active:
        time.sleep(POLL_SECONDS)
        record = jobs_store.get(record.id)
    if record.state != records.FINISHED:
        raise RuntimeError(f"The teach job ended {record.state}: {record.error}")
    trained, reason = project_models.load_project_model(project.model_path)
    if trained is None:
        raise RuntimeError(reason)
    (answer,) = prediction.predict(trained, [data], file_names=[photo.file_name])
    return {
        "total": time.time() - started,
        "queued": record.started_at - record.created_at,
        "worker": record.finished_at - record.started_at,
        "answer": answer,
        "recorded": prediction.Prediction.from_record(record.result["answer"]),
    }


def measure(project: store.Project, photos, log_path, load) -> list[float]:
    """Teaches each photo through a job on one warm worker; returns the warm corrections' seconds.

    Args:
        project: The trained project.
        photos: The photos to teach (`data.datasets.Photo`), each of one of its classes.
        log_path: Where the worker's output goes.
        load: Returns the load averages as text, printed beside each figure.
    """
    root = project.workspace.root
    worker = Worker(root, log_path)
    queue = job_queue.make_queue(job_queue.QueueConfig.from_environment(root))
    seconds = []
    try:
        for index, photo in enumerate(photos):
            timing = teach_once(project, photo, queue)
            label = "first after the worker started" if index == 0 else "warm worker"
            if index:
                seconds.append(timing["total"])
            print(
                f"  job: taught {photo.file_name} as {photo.class_name}: click to new answer "
                f"{timing['total']:.2f} s (in the queue {timing['queued']:.2f} s, on the worker "
                f"{timing['worker']:.2f} s; {label}); now {timing['answer'].best_class} at "
                f"{timing['answer'].top[0][1]:.0%} (load {load()})"
            )
    finally:
        worker.stop()
    return seconds
