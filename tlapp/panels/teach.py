"""Teach by correction on the Predict page: "Wrong? It is …" and "Add it to …".

Under an answer (one photo, a chosen row of the table, a live frame, an example photo), the
person names the class the photo shows. The web server keeps the photo in that class
(`tlcore.store.corrections`, a store write) and queues a job: a worker retrains the head from the
cached features, saves the model, and records its answer for the photo (`tlcore.jobs.model_work`).
Corrections are queued ahead of trainings and other long jobs (`job_records.URGENT_KINDS`).
The panel shows the job's progress from its record (`tlapp.jobs.progress`), then the new answer
for the same photo next to the old one; the page is run again with the new model.
"""

import dataclasses
import time

import streamlit as st

from tlapp.jobs import progress, trainings, workers
from tlcore import errors, store
from tlcore.data import images
from tlcore.jobs import queue, records
from tlcore.nets import prediction
from tlcore.store import corrections

NEW_CLASS_OPTION = "A new class…"
_JOB_KEY = "teach_job"


@dataclasses.dataclass
class TeachJob:
    """One correction of one photo, learned by a worker, as this session remembers it.

    Args:
        job_id: The job (`tlcore.jobs.records`).
        root: The workspace folder.
        project_id: The project.
        photo_hash: The content hash of the photo taught.
        class_name: The class it was kept in.
        created_class: Whether that class was made for it.
        before: The answer the page gave before the correction.
        started_at: When the person clicked, as `time.time()`.
    """

    job_id: str
    root: str
    project_id: str
    photo_hash: str
    class_name: str
    created_class: bool
    before: prediction.Prediction
    started_at: float

    def record(self) -> records.JobRecord:
        """The job's record as it is now."""
        return workers.store(self.root).get(self.job_id)

    @property
    def is_running(self) -> bool:
        """Whether the new model is still being trained (or waits for a worker)."""
        return self.record().is_active

    @property
    def seconds(self) -> float | None:
        """From the click to the new model saved, with its answer; None while it runs."""
        finished_at = self.record().finished_at
        return None if finished_at is None else finished_at - self.started_at


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
        record = job.record()
        if record.is_active:
            _show_job_progress(job)
        else:
            _show_outcome(job, record)
        return
    if not project.access.can_change:
        # Someone who may only look cannot teach the model (the page says so at its top).
        return
    # The worker that learns corrections starts (and loads the pretrained network) while the
    # person looks at the answer, so the first correction does not wait for it.
    workers.ensure_started(project.workspace.root)
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
    """Keeps the photo in its class and queues the retrain; shows a message on bad input."""
    started_at = time.time()
    running = trainings.get_job(project)
    if running is not None and running.is_running:
        st.warning(
            "This project is training right now (see Train). Teach it once that has finished.",
            icon=":material/hourglass_top:",
        )
        return
    try:
        stored = corrections.store_photo(project, class_name, photo_name, photo_bytes, new_class)
    except errors.TlcoreError as error:
        st.error(str(error), icon=":material/error:")
        return
    root = project.workspace.root
    photo_hash = images.content_hash(photo_bytes)
    try:
        record = workers.submit(
            project,
            queue.KIND_TEACH,
            {"photo_hash": photo_hash, "class_name": stored.class_name},
        )
    except errors.TlcoreError as error:
        st.warning(
            f"The photo is kept in **{stored.class_name}**, but the model cannot learn it now: "
            f"{error}",
            icon=":material/warning:",
        )
        return
    st.session_state[_JOB_KEY] = TeachJob(
        job_id=record.id,
        root=str(root),
        project_id=project.id,
        photo_hash=photo_hash,
        class_name=stored.class_name,
        created_class=stored.created_class,
        before=answer,
        started_at=started_at,
    )
    st.rerun()


def _show_job_progress(job: TeachJob) -> None:
    """Shows the retrain's place in the queue and progress, redrawn from its record."""
    with st.container(border=True, key="teach_progress"):
        st.markdown(f"#### Learning that it is {job.class_name}…")
        progress.show_quick_progress(job.root, job.job_id, "Stop", "teach_cancel_button")
        st.caption(f"Before: {describe(job.before)}.")


def _show_outcome(job: TeachJob, record: records.JobRecord) -> None:
    """Shows what the correction did: the answer before and the new model's answer."""
    with st.container(border=True, key="teach_outcome"):
        st.markdown("#### Taught")
        if record.state == records.CANCELLED:
            st.info(
                f"Stopped: the photo is kept in **{job.class_name}**; the model was not changed.",
                icon=":material/stop:",
            )
            return
        if record.state != records.FINISHED:
            hint = (
                f" Teach it another photo of {job.class_name}, or add photos on Collect."
                if job.created_class
                else ""
            )
            st.warning(
                f"The photo is kept in **{job.class_name}**, but the model did not learn it: "
                f"{record.error}{hint}",
                icon=":material/warning:",
            )
            return
        result = record.result
        answer = prediction.Prediction.from_record(result["answer"])
        before_column, now_column = st.columns(2)
        before_column.markdown(f"Before: {describe(job.before)}")
        now_column.markdown(f"Now: {describe(answer)}")
        st.success(
            f"Kept in **{job.class_name}**; the model learned it in {job.seconds:.1f} s "
            f"from {result['photo_count']:,} photos and is saved.",
            icon=":material/check_circle:",
        )
        if result.get("dropped_fine_tuning"):
            st.info(
                "The model was fine-tuned; this quick retrain trains the head only. To "
                "fine-tune again, train with **Improve accuracy** on Train.",
                icon=":material/info:",
            )
