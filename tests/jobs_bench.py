"""Figures for docs/architecture.md: the work tier's latency, memory, start, stop and faults.

Run: `TLCORE_WEIGHTS_DIR=/work/shared/weights .venv/bin/python tests/jobs_bench.py [redis://...]`
Prints one line per figure, with the machine's load; nothing is asserted.
"""

import os
import pathlib
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from job_fixtures import WorkerProcess, small_project, wait_for  # noqa: E402

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


def main(queue_url: str = "") -> None:
    folder = pathlib.Path(tempfile.mkdtemp(prefix="jobs-bench-"))
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
    seconds = time.monotonic() - started
    print(f"worker start (process to ready, TensorFlow imported): {seconds:.1f} s")
    print(
        "worker memory when ready (RSS, peak MiB): {:.0f}, {:.0f}".format(
            *memory_mib(worker.process.pid)
        )
    )

    latencies = []
    for _ in range(5):
        time.sleep(3)  # Idle, so the worker's polling has backed off to its longest wait.
        job_id = submit(config, queue, project).id
        wait_for(lambda job_id=job_id: not store.get(job_id).is_active, 300, "a training", 0.05)
        record = store.get(job_id)
        assert record.state == "finished", record.error
        latencies.append(record.started_at - record.created_at)
    print("queued -> started, idle warm worker (s):", ", ".join(f"{v:.2f}" for v in latencies))
    print(
        "worker memory after 5 trainings (RSS, peak MiB): {:.0f}, {:.0f}".format(
            *memory_mib(worker.process.pid)
        )
    )

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
    seconds = again.started_at - killed_at
    print(f"SIGKILL of the worker -> job running again on the other: {seconds:.1f} s")
    wait_for(lambda: not store.get(record.id).is_active, 300, "the job to finish", 0.2)
    ended = store.get(record.id)
    print("the job then:", ended.state, "after", ended.attempts, "starts")

    stopping = time.monotonic()
    survivor.process.terminate()
    survivor.process.wait(timeout=60)
    print(f"worker stop (SIGTERM to exit, idle): {time.monotonic() - stopping:.2f} s")
    print("load at end:", load())


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    main(sys.argv[1] if len(sys.argv) > 1 else "")
