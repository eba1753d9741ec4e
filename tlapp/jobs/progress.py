"""A queued or running job's place in the queue, progress bar and Cancel, from its record.

Data checks, batch predictions, corrections, heat maps and models made ready draw their
progress the same way: everything comes from the job's record (`tlcore.jobs.records`), redrawn
every second (`show_progress`), so any page of any web server shows it; a correction, a few
seconds of work someone waits for, is redrawn every `QUICK_SECONDS` (`show_quick_progress`),
so its new answer appears sooner. Trainings have their own view, with the live chart
(`tlapp.panels.training_job`).
"""

import streamlit as st

from tlapp.jobs import workers
from tlcore import wording
from tlcore.jobs import records
from tlcore.training import types

QUICK_SECONDS = 0.4


def _draw_progress(root: str, job_id: str, cancel_label: str, cancel_key: str) -> None:
    """Draws the place in the queue, the bar and Cancel; runs the page again once it ended.

    Args:
        root: The workspace folder.
        job_id: The job.
        cancel_label: The Cancel button's words.
        cancel_key: The Cancel button's widget key.
    """
    jobs_store = workers.store(root)
    job = jobs_store.get(job_id)
    if not job.is_active:
        st.rerun()  # Ended: the whole page again, with the results.
    progress = job.progress if job.state == records.RUNNING else {}
    if job.state == records.QUEUED:
        place = jobs_store.queue_position(job.id) or 1
        running = jobs_store.count(records.RUNNING, other_than_project=job.project_id)
        if place > 1 or running:
            st.info(
                f"Waiting for its turn: {wording.plural(place - 1 + running, 'job is', 'jobs are')}"
                " ahead of it on the server. It starts by itself; you can leave this page.",
                icon=":material/hourglass_top:",
            )
    st.progress(*_bar(progress))
    if job.cancel_requested:
        st.caption("Stopping…")
    else:
        # A callback: the click reruns the fragment, which then reads the job cancelled.
        st.button(
            cancel_label,
            icon=":material/stop:",
            key=cancel_key,
            on_click=jobs_store.request_cancel,
            args=(job.id,),
        )


def _bar(progress: dict) -> tuple[float, str]:
    """The bar's share done and its words, from a step report or a training's report.

    A data check or batch prediction reports `done`, `total` and `message`; a correction
    retrains the head and reports like a training (`training_types.Progress`), whose share
    covers its phases together.
    """
    if "phase" in progress and "message" not in progress:
        report = types.Progress(**progress)
        return report.fraction, report.message
    total = progress.get("total") or 0
    fraction = min(progress.get("done", 0) / total, 1.0) if total else 0.0
    return fraction, progress.get("message") or "Getting ready…"


# The same drawing, redrawn every second, or every `QUICK_SECONDS` for short jobs.
show_progress = st.fragment(run_every=1.0)(_draw_progress)
show_quick_progress = st.fragment(run_every=QUICK_SECONDS)(_draw_progress)
