"""Photos embedded as they arrive, in the background, so Train never waits for them.

Every way a photo enters a project (upload, zip, camera, live recording, a correction on
Predict) calls `photos_added(project)`. One thread of the server process then puts the
project's photos that have no cached features yet through the pretrained network, into the
shared feature cache (`tlcore.embeddings`), one project at a time in the order they were
named. It takes the training queue (`tlcore.device.training_queue`) for one small batch at a
time, so a training or a correction waits a second at most, and never runs beside it. Collect
shows the progress (`show_progress`). A restarted server forgets the work left; the next
training embeds what is missing, as it always does.
"""

import collections
import dataclasses
import importlib
import logging
import threading
import time

import streamlit as st

from tlapp import engine
from tlcore import backbones, embeddings, errors, store, wording

_logger = logging.getLogger(__name__)

# Photos embedded per turn of the training queue: about a second on a 2-core CPU, so a
# correction waiting behind the embedder starts almost at once.
PHOTOS_PER_TURN = 16


@dataclasses.dataclass
class Arrival:
    """The embedding of one project's new photos.

    Args:
        project_id: The project.
        total: The photos found without features when the work began.
        done: How many of them have features now.
        state: "waiting" (behind other projects), "running", "finished" or "failed".
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
        if self.state == "waiting" or not self.total:
            return "New photos will be made ready to train in a moment…"
        photos = wording.plural(self.total, "new photo", "new photos")
        return f"Getting {photos} ready: {self.done:,} done"


_arrivals: dict[str, Arrival] = {}
_queue: collections.OrderedDict[str, store.Project] = collections.OrderedDict()
_condition = threading.Condition()
_worker: threading.Thread | None = None


def photos_added(project: store.Project) -> None:
    """Asks for the project's photos without features to be embedded in the background.

    Call it after every change that adds photos. It returns at once; a project already
    waiting is not queued twice, and one being embedded is looked at again afterwards.

    Args:
        project: The project photos were added to.
    """
    global _worker
    # TensorFlow, and pandas which it brings, are imported here, in the page's own run (with
    # a spinner the first time), never by the embedder: a module half imported by one thread
    # broke the chart another thread's page was drawing.
    engine.load_engine()
    with _condition:
        current = _arrivals.get(project.id)
        if current is None or not current.is_active:
            _arrivals[project.id] = Arrival(project_id=project.id)
        _queue[project.id] = project
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_work, name="photo-arrivals", daemon=True)
            _worker.start()
        _condition.notify_all()


def arrival_of(project_id: str) -> Arrival | None:
    """Returns the latest embedding of a project's new photos in this process, or None."""
    with _condition:
        return _arrivals.get(project_id)


def wait_until_idle(timeout: float) -> bool:
    """Waits until no project has photos waiting to be embedded.

    Args:
        timeout: The most seconds to wait.

    Returns:
        Whether everything was embedded in time.
    """
    deadline = time.monotonic() + timeout
    with _condition:
        while _queue or any(arrival.is_active for arrival in _arrivals.values()):
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            _condition.wait(timeout=min(left, 0.5))
    return True


def _work() -> None:
    """The embedder thread: takes projects from the queue, one at a time, for good."""
    while True:
        with _condition:
            while not _queue:
                _condition.wait()
            project_id, project = _queue.popitem(last=False)
            arrival = _arrivals[project_id]
            arrival.state, arrival.done, arrival.total = "running", 0, 0
        try:
            _embed_new_photos(project, arrival)
            state, error = "finished", None
        except (errors.TlcoreError, OSError) as problem:
            state, error = "failed", str(problem)
        except Exception as problem:  # noqa: BLE001 - the thread must outlive any failure.
            _logger.exception("Embedding the new photos of project %s failed.", project_id)
            state, error = "failed", f"an unexpected problem ({type(problem).__name__})"
        with _condition:
            # Photos added while this ran queued the project again: it stays active.
            if project_id not in _queue:
                arrival.state, arrival.error = state, error
                arrival.finished_at = time.time()
            else:
                arrival.state = "waiting"
            _condition.notify_all()


def _embed_new_photos(project: store.Project, arrival: Arrival) -> None:
    """Embeds the project's photos that have no cached features, a few per queue turn."""
    project.refresh()
    record = project.training_record()
    backbone_name, image_size = backbones.named_in_settings(record.settings if record else None)
    backbone_id = backbones.get_backbone(backbone_name).backbone_id(image_size)
    cache = embeddings.EmbeddingCache(project.workspace.embedding_cache_dir)
    missing = [
        photo
        for photo in project.to_dataset().photos
        if not cache.path_for(photo.content_hash, backbone_id).is_file()
    ]
    arrival.total = len(missing)
    if not missing:
        return
    # Imported by name: Collect, which imports this module, must not wait for TensorFlow
    # before photos are added; `photos_added` imported it by then.
    model = importlib.import_module("tlcore.model")
    device = importlib.import_module("tlcore.device")
    shared_base = model.get_base(backbone_name, image_size)
    for start in range(0, len(missing), PHOTOS_PER_TURN):
        batch = missing[start : start + PHOTOS_PER_TURN]
        with device.training_queue.turn():
            try:
                embeddings.embed_photos(batch, shared_base, cache)
            except errors.UnreadableImageError:
                # A photo removed meanwhile: the others of the batch are embedded one by one.
                _embed_one_by_one(batch, shared_base, cache)
        arrival.done = start + len(batch)


def _embed_one_by_one(photos, shared_base, cache) -> None:
    """Embeds photos one at a time, passing over those that can no longer be read."""
    for photo in photos:
        try:
            embeddings.embed_photos([photo], shared_base, cache)
        except errors.UnreadableImageError:
            continue


def show_progress(project: store.Project) -> None:
    """Shows the embedding of the project's new photos while it runs, updated every second.

    Shows nothing when no photos are waiting. When the work ends, the page is run again, so
    the progress box goes away.

    Args:
        project: The project shown.
    """
    arrival = arrival_of(project.id)
    if arrival is None:
        return
    if arrival.state == "failed":
        st.warning(
            f"New photos could not be made ready ahead of training ({arrival.error}). Training "
            "will look at them itself; it only takes longer.",
            icon=":material/warning:",
        )
        return
    if arrival.is_active:
        _progress_fragment(project.id)


@st.fragment(run_every=1)
def _progress_fragment(project_id: str) -> None:
    arrival = arrival_of(project_id)
    if arrival is None or not arrival.is_active:
        st.rerun()
    fraction = arrival.done / arrival.total if arrival.total else 0.0
    st.progress(fraction, text=arrival.message)
    st.caption("Training needs no wait for photos made ready here; you can go on meanwhile.")
