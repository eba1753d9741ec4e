"""Teach by correction on the Predict page: "Wrong? It is …" and "Add it to …".

Under an answer (one photo, a chosen row of the table, a live frame, an example photo), the
person names the class the photo shows. The photo is kept in that class (`tlcore.teaching`),
and the head is retrained from the cached features in a background thread, so the page can
show its progress; the page is then run again with the new model, and the panel shows the new
answer for the same photo next to the old one. One correction of a project runs at a time.
"""

import dataclasses
import logging
import threading
import time

import streamlit as st

from tlapp import arrivals, engine, jobs
from tlcore import errors, images, prediction, store, teaching, training_types

_logger = logging.getLogger(__name__)

NEW_CLASS_OPTION = "A new class…"
_JOB_KEY = "teach_job"

# The projects whose correction is being learned in this process.
_busy_projects: set[str] = set()
_busy_lock = threading.Lock()
# The projects whose pretrained network was made ready for a correction (`teaching.warm_up`).
_warmed_projects: set[str] = set()


@dataclasses.dataclass
class TeachJob:
    """One correction of one photo, learned in the background.

    Args:
        project_id: The project.
        photo_hash: The content hash of the photo taught.
        class_name: The class it was kept in.
        before: The answer the page gave before the correction.
        started_at: When the person clicked, as `time.perf_counter()`.
    """

    project_id: str
    photo_hash: str
    class_name: str
    before: prediction.Prediction
    started_at: float
    progress: training_types.Progress = dataclasses.field(
        default_factory=lambda: training_types.Progress(phase="waiting")
    )
    state: str = "running"
    message: str | None = None
    result: teaching.TeachResult | None = None
    seconds: float | None = None

    @property
    def is_running(self) -> bool:
        """Whether the new model is still being trained."""
        return self.state == "running"


def describe(answer: prediction.Prediction) -> str:
    """Returns an answer in a few words: "This looks like Kiwi, 93% sure" or "Not sure…"."""
    if answer.error is not None or not answer.top:
        return "no answer"
    best_class, probability = answer.top[0]
    if answer.is_sure:
        return f"This looks like {best_class}, {probability:.0%} sure"
    return f"Not sure (perhaps {best_class}, {probability:.0%})"


def show_teach_panel(
    project: store.Project,
    photo_name: str,
    photo_bytes: bytes,
    answer: prediction.Prediction,
) -> None:
    """Shows the teach panel under an answer: the controls, the progress, or the outcome.

    Args:
        project: The project whose model gave the answer.
        photo_name: The photo's name.
        photo_bytes: The photo's bytes.
        answer: The model's answer for the photo.
    """
    job = st.session_state.get(_JOB_KEY)
    photo_hash = images.content_hash(photo_bytes)
    if job is not None and (job.project_id, job.photo_hash) == (project.id, photo_hash):
        if job.is_running:
            _show_job_progress()
        else:
            _show_outcome(job)
        return
    if not project.access.can_change:
        # Someone who may only look cannot teach the model (the page says so at its top).
        return
    _warm_up_once(project)
    with st.container(border=True, key="teach_panel"):
        st.markdown("#### Teach it")
        if answer.error is not None:
            st.warning(
                f"'{photo_name}' cannot be used as a photo ({answer.error}), so it cannot "
                "teach the model. Choose another photo.",
                icon=":material/warning:",
            )
            return
        _show_controls(project, photo_name, photo_bytes, answer)


def _warm_up_once(project: store.Project) -> None:
    """Makes the pretrained network ready in the background while the person looks at the
    answer, so that the first correction does not wait for it."""
    with _busy_lock:
        if project.id in _warmed_projects:
            return
        _warmed_projects.add(project.id)
    threading.Thread(target=_warm_up, args=(project,), name="teach-warm-up", daemon=True).start()


def _warm_up(project: store.Project) -> None:
    """The body of the warm-up thread; a failure is told by the correction itself later."""
    try:
        teaching.warm_up(project)
    except Exception:  # noqa: BLE001 - a thread must record every failure.
        _logger.warning("Could not make the network ready for project %s.", project.id)


def _show_controls(
    project: store.Project,
    photo_name: str,
    photo_bytes: bytes,
    answer: prediction.Prediction,
) -> None:
    """Shows "Add it to …" for a sure answer, and "Wrong? It is …" with the Teach button."""
    if answer.is_sure and answer.best_class in project.class_names:
        right_column, note_column = st.columns([2, 3], vertical_alignment="center")
        if right_column.button(
            f"Add it to {answer.best_class}", key="teach_confirm", icon=":material/check:"
        ):
            _start(project, answer.best_class, False, photo_name, photo_bytes, answer)
        note_column.caption("Right? Adding the photo to its class teaches the model more.")
    class_column, name_column, button_column = st.columns([3, 3, 2], vertical_alignment="bottom")
    choice = class_column.selectbox(
        "Wrong? It is",
        [*project.class_names, NEW_CLASS_OPTION],
        index=None,
        placeholder="Choose the class it shows",
        key="teach_class",
    )
    new_name = ""
    if choice == NEW_CLASS_OPTION:
        new_name = name_column.text_input(
            "Name of the new class", placeholder="For example: Kiwi", key="teach_new_class"
        )
    if button_column.button(
        "Teach it", key="teach_button", type="primary", icon=":material/school:"
    ):
        if choice is None:
            st.warning("Choose the class the photo shows first.", icon=":material/warning:")
            return
        is_new = choice == NEW_CLASS_OPTION
        _start(project, new_name if is_new else choice, is_new, photo_name, photo_bytes, answer)
    st.caption(
        "The photo is kept in that class and the model learns it in a few seconds, from the "
        "photos it knows already."
    )


def _start(
    project: store.Project,
    class_name: str,
    new_class: bool,
    photo_name: str,
    photo_bytes: bytes,
    answer: prediction.Prediction,
) -> None:
    """Keeps the photo in its class and starts the retrain; shows a message on bad input."""
    started_at = time.perf_counter()
    running = jobs.get_job(project.id)
    if running is not None and running.is_running:
        st.warning(
            "This project is training right now (see Train). Teach it once that has finished.",
            icon=":material/hourglass_top:",
        )
        return
    with _busy_lock:
        if project.id in _busy_projects:
            st.warning(
                "Another correction of this project is being learned. Try again in a few seconds.",
                icon=":material/hourglass_top:",
            )
            return
        _busy_projects.add(project.id)
    try:
        stored = teaching.store_photo(project, class_name, photo_name, photo_bytes, new_class)
    except errors.TlcoreError as error:
        with _busy_lock:
            _busy_projects.discard(project.id)
        st.error(str(error), icon=":material/error:")
        return
    arrivals.photos_added(project)
    job = TeachJob(
        project_id=project.id,
        photo_hash=images.content_hash(photo_bytes),
        class_name=stored.class_name,
        before=answer,
        started_at=started_at,
    )
    st.session_state[_JOB_KEY] = job
    threading.Thread(
        target=_run,
        args=(job, project, photo_name, photo_bytes),
        name=f"teach-{project.id}",
        daemon=True,
    ).start()
    st.rerun()


def _run(job: TeachJob, project: store.Project, photo_name: str, photo_bytes: bytes) -> None:
    """The body of a retrain thread: retrain, remember the new model, record how it ended."""

    def report(progress: training_types.Progress) -> None:
        job.progress = progress

    try:
        job.result = teaching.retrain(project, photo_name, photo_bytes, on_progress=report)
        engine.remember_saved_model(project, job.result.trained)
        job.state = "finished"
    except errors.DatasetError as error:
        job.state = "kept"
        job.message = (
            f"The photo is kept in **{job.class_name}**, but the model cannot learn it yet: "
            f"{error} Teach it another photo of {job.class_name}, or add photos on Collect."
        )
    except errors.TlcoreError as error:
        job.state, job.message = "failed", str(error)
    except Exception as error:  # noqa: BLE001 - a thread must record every failure.
        _logger.exception("Learning a correction of project %s failed.", project.id)
        job.state = "failed"
        job.message = (
            "The model could not learn the photo because of an unexpected problem on the "
            f"server ({type(error).__name__}). The photo is kept in **{job.class_name}**."
        )
    finally:
        job.seconds = time.perf_counter() - job.started_at
        with _busy_lock:
            _busy_projects.discard(project.id)


@st.fragment(run_every=0.5)
def _show_job_progress() -> None:
    """Redraws the retrain's progress twice a second; runs the page again when it ends."""
    job = st.session_state.get(_JOB_KEY)
    if job is None or not job.is_running:
        st.rerun()
    progress = job.progress
    with st.container(border=True, key="teach_progress"):
        st.markdown(f"#### Learning that it is {job.class_name}…")
        st.progress(progress.fraction, text=progress.message)
        st.caption(f"Before: {describe(job.before)}.")


def _show_outcome(job: TeachJob) -> None:
    """Shows what the correction did: the answer before and the new model's answer."""
    with st.container(border=True, key="teach_outcome"):
        st.markdown("#### Taught")
        if job.state != "finished":
            st.warning(job.message, icon=":material/warning:")
            return
        result = job.result
        before_column, now_column = st.columns(2)
        before_column.markdown(f"Before: {describe(job.before)}")
        now_column.markdown(f"Now: {describe(result.answer)}")
        st.success(
            f"Kept in **{job.class_name}**; the model learned it in {job.seconds:.1f} s "
            f"from {result.trained.photo_count:,} photos and is saved.",
            icon=":material/check_circle:",
        )
        if result.dropped_fine_tuning:
            st.info(
                "The model was fine-tuned; this quick retrain trains the head only. To "
                "fine-tune again, train with **Improve accuracy** on Train.",
                icon=":material/info:",
            )
