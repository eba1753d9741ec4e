"""Photos embedded as they arrive, by the workers, so Train never waits for them.

Every way a photo enters a project (upload, zip, camera, live recording, a correction on
Predict) calls `photos_added(project)`. It queues one embedding job for the project
(`tlcore.jobs.arrivals`; a second call while one is queued adds nothing), and a worker puts the
project's photos that have no cached features yet through the pretrained network, a chunk
per job, each chunk queued behind every training or correction. The web server imports no
TensorFlow for it. Collect shows the progress from the job's record (`show_progress`), so any
page of any web server shows it, after a restart too.
"""

import dataclasses
import logging
import time

import streamlit as st

from tlapp.jobs import workers
from tlcore import errors, store
from tlcore.jobs import arrivals, queue, records

_logger = logging.getLogger(__name__)

# How often `wait_until_idle` reads the records again.
POLL_SECONDS = 0.2


@dataclasses.dataclass
class Arrival:
    """The embedding of one project's new photos, as its latest job's record says.

    Args:
        project_id: The project.
        total: The photos found without features when the work began.
        done: How many of them have features now.
        state: "waiting" (queued), "running", "finished" or "failed".
        error: Why it failed, for a person.
        finished_at: When it ended, as `time.time()`.
    """

    project_id: str
    total: int = 0
    done: int = 0
    state: str = "waiting"
    error: str | None = None
    finished_at: float | None = None

    @property
    def is_active(self) -> bool:
        """Whether photos are waiting or being embedded."""
        return self.state in ("waiting", "running")

    @property
    def message(self) -> str:
        """A one-line description for a person."""
        return arrivals.progress_words(self.done, self.total)

    @classmethod
    def from_record(cls, record: records.JobRecord) -> "Arrival":
        """Reads a chunk's record: its progress once running, else what the chunk before did."""
        figures = record.progress or record.payload
        states = {records.QUEUED: "waiting", records.RUNNING: "running"}
        state = states.get(record.state, record.state)
        if state == "waiting" and figures.get("total"):
            state = "running"  # A later chunk: the work is under way.
        return cls(
            project_id=record.project_id,
            total=int(figures.get("total", 0)),
            done=int(figures.get("done", 0)),
            state="failed" if record.state == records.CANCELLED else state,
            error=record.error,
            finished_at=record.finished_at,
        )


def photos_added(project: store.Project) -> None:
    """Asks a worker to embed the project's photos without features, in the background.

    Call it after every change that adds photos. It returns at once; an embedding already
    queued for the project is not queued twice. A queue that does not answer leaves a failed
    job whose words Collect shows; the next training embeds the photos itself.

    Args:
        project: The project photos were added to.
    """
    root = project.workspace.root
    try:
        workers.ensure_started(root)
        arrivals.queue_embedding(workers.config(root), workers.queue(root), project)
    except errors.TlcoreError:
        pass  # Its record says so, in words, when it could be written.
    except Exception:  # noqa: BLE001 - a full disk or a lost queue must not undo an upload.
        _logger.warning("The new photos of project %s could not be queued.", project.id)


def latest_job(project: store.Project) -> records.JobRecord | None:
    """The project's latest embedding job (the chunk under way or the last one), or None."""
    return workers.store(project.workspace.root).latest_for_project(
        project.id, queue.KIND_PHOTO_EMBEDDING
    )


def arrival_of(project_id: str) -> Arrival | None:
    """Returns the latest embedding of a project's new photos in this server's workspace."""
    record = workers.store().latest_for_project(project_id, queue.KIND_PHOTO_EMBEDDING)
    return Arrival.from_record(record) if record else None


def wait_until_idle(timeout: float, project_id: str | None = None) -> bool:
    """Waits until a project's new photos are embedded (with no project: until no job of this
    server's workspace is queued or running).

    Args:
        timeout: The most seconds to wait.
        project_id: The project; None for every job.

    Returns:
        Whether everything was done in time.
    """
    deadline = time.monotonic() + timeout
    jobs_store = workers.store()
    while _busy(jobs_store, project_id):
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_SECONDS)
    return True


def _busy(jobs_store: records.JobStore, project_id: str | None) -> bool:
    if project_id is None:
        return bool(jobs_store.count(records.QUEUED) + jobs_store.count(records.RUNNING))
    record = jobs_store.latest_for_project(project_id, queue.KIND_PHOTO_EMBEDDING)
    return record is not None and record.is_active


def show_progress(project: store.Project) -> None:
    """Shows the embedding of the project's new photos while it runs, updated every second.

    Shows nothing when no photos are waiting; words when the last chunk failed. When the work
    ends, the page is run again, so the progress box goes away.

    Args:
        project: The project shown.
    """
    record = latest_job(project)
    if record is None:
        return
    arrival = Arrival.from_record(record)
    if arrival.state == "failed":
        st.warning(
            f"New photos could not be made ready ahead of training. {arrival.error or ''} "
            "Training will look at them itself; it only takes longer.",
            icon=":material/warning:",
        )
    elif arrival.is_active:
        _progress_fragment(str(project.workspace.root), project.id)


@st.fragment(run_every=1)
def _progress_fragment(root: str, project_id: str) -> None:
    record = workers.store(root).latest_for_project(project_id, queue.KIND_PHOTO_EMBEDDING)
    arrival = Arrival.from_record(record) if record else None
    if arrival is None or not arrival.is_active:
        st.rerun()
    fraction = min(arrival.done / arrival.total, 1.0) if arrival.total else 0.0
    st.progress(fraction, text=arrival.message)
    st.caption("Training needs no wait for photos made ready here; you can go on meanwhile.")
