"""The work tier's figures: a worker's start, memory, latency, stop, and a killed worker's job.

    python -m benchmarks.bench_jobs [--queue-url redis://host:6379/0]

On a project of 24 real grocery photos (the tests' `small_project`) at 96 px, with a warm feature
cache: a worker's start (process to ready, TensorFlow imported) and memory, 5 trainings queued on
an idle warm worker (queued -> started), then a sixth training, of 300 rounds, whose worker is
SIGKILLed
while it learns (`TLCORE_JOB_STALE_SECONDS=5`): how long until it runs again on a second worker,
and how it ends; last, a worker's stop (SIGTERM to exit, idle). The queue is the workspace's
SQLite file, or Redis with `--queue-url`. Prints one line per figure with the machine's load,
and records them (`benchmarks.results`).
"""

import argparse
import os
import pathlib
import subprocess
import sys
import tempfile
import time

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]
# The tests' helpers (a worker process, a small project of real photos), shared with this one.
sys.path.insert(0, str(REPOSITORY / "tests"))

from job_fixtures import WorkerProcess, small_project, wait_for  # noqa: E402

from benchmarks import bench, results  # noqa: E402
from tlcore.jobs import queue as job_queue  # noqa: E402


def memory_mib(pid: int) -> tuple[float, float]:
    """Returns a process's resident memory now and at its peak, in MiB."""
    fields = {}
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def submit(config, queue, project, epochs: int = 5):
    return job_queue.submit(
        config,
        queue,
        job_queue.KIND_TRAINING,
        project.id,
        project.owner,
        {"settings": {"epochs": epochs, "image_size": 96}, "photo_count": 24},
    )


def measure(folder: pathlib.Path, queue_url: str = "") -> list[tuple]:
    """Takes every figure, printing each; returns them."""
    root = folder / "workspace"
    project = small_project(root)
    config = job_queue.QueueConfig(root, queue_url=queue_url)
    queue = job_queue.make_queue(config)
    store = config.store()
    environment = {"TLCORE_QUEUE_URL": queue_url, "TLCORE_JOB_STALE_SECONDS": "5"}
    print("queue:", queue_url or "SQLite file in the workspace (embedded default)")
    print("load at start:", load())

    started = time.monotonic()
    worker = WorkerProcess(root, folder / "worker-1.log", environment)
    wait_for(lambda: "ready" in worker.log_path.read_text(), 120, "the worker to be ready", 0.05)
    start_seconds = time.monotonic() - started
    print(f"worker start (process to ready, TensorFlow imported): {start_seconds:.1f} s")
    ready_memory = memory_mib(worker.process.pid)
    print("worker memory when ready (RSS, peak MiB): {:.0f}, {:.0f}".format(*ready_memory))

    latencies = []
    for _ in range(5):
        time.sleep(3)  # Idle, so the worker's polling has backed off to its longest wait.
        job_id = submit(config, queue, project).id
        wait_for(lambda job_id=job_id: not store.get(job_id).is_active, 300, "a training", 0.05)
        record = store.get(job_id)
        assert record.state == "finished", record.error
        latencies.append(record.started_at - record.created_at)
    print("queued -> started, idle warm worker (s):", ", ".join(f"{v:.2f}" for v in latencies))
    trained_memory = memory_mib(worker.process.pid)
    print("worker memory after 5 trainings (RSS, peak MiB): {:.0f}, {:.0f}".format(*trained_memory))

    second = WorkerProcess(root, folder / "worker-2.log", environment)
    wait_for(lambda: "ready" in second.log_path.read_text(), 120, "the second worker", 0.05)
    record = submit(config, queue, project, epochs=300)
    running = wait_for(
        lambda: (read := store.get(record.id)).progress.get("phase") == "training" and read,
        300,
        "the training to learn",
        0.05,
    )
    victim = worker if running.worker.endswith(f":{worker.process.pid}") else second
    survivor = second if victim is worker else worker
    killed_at = time.time()
    victim.kill()
    again = wait_for(
        lambda: (read := store.get(record.id)).attempts == 2 and read.state == "running" and read,
        120,
        "the job to run again",
        0.05,
    )
    again_seconds = again.started_at - killed_at
    print(f"SIGKILL of the worker -> job running again on the other: {again_seconds:.1f} s")
    wait_for(lambda: not store.get(record.id).is_active, 300, "the job to finish", 0.2)
    ended = store.get(record.id)
    print("the job then:", ended.state, "after", ended.attempts, "starts")

    stopping = time.monotonic()
    survivor.process.terminate()
    survivor.process.wait(timeout=60)
    stop_seconds = time.monotonic() - stopping
    print(f"worker stop (SIGTERM to exit, idle): {stop_seconds:.2f} s")
    print("load at end:", load())
    return [
        ("worker start (process start to ready, TensorFlow imported)", start_seconds, "s"),
        ("worker memory when ready (RSS)", ready_memory[0], "MiB"),
        ("worker memory after 5 trainings (RSS)", trained_memory[0], "MiB"),
        ("worker memory after 5 trainings (peak)", trained_memory[1], "MiB"),
        (
            "job latency, queued -> started on an idle warm worker, fastest of 5",
            min(latencies),
            "s",
        ),
        (
            "job latency, queued -> started on an idle warm worker, slowest of 5",
            max(latencies),
            "s",
        ),
        (
            "SIGKILL of the worker running a job -> the job running again on the other",
            again_seconds,
            "s",
        ),
        (f"that job then: {ended.state}, starts", ended.attempts, "starts"),
        ("worker stop, SIGTERM to exit (idle)", stop_seconds, "s"),
    ]


def main(argv=None) -> int:
    """Measures and records the figures; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_jobs")
    parser.add_argument(
        "--queue-url", default="", help="a Redis queue (the SQLite file when unset)"
    )
    bench.add_weights_dir_argument(parser)
    arguments = parser.parse_args(argv)
    bench.use_weights_dir(arguments)
    load_before = results.load_average()
    with tempfile.TemporaryDirectory(prefix="bench-jobs-") as folder:
        figures = measure(pathlib.Path(folder), arguments.queue_url)
    queue_name = "Redis" if arguments.queue_url else "SQLite file in the workspace"
    results.record(
        "bench_jobs", figures, argv=argv, load_before=load_before, notes=f"queue: {queue_name}"
    )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.exit(main())
