"""The Check data page's data check as a job: queued, run by a worker, its report saved.

The page queues the check (`start_check`) on the same queue as trainings; a worker runs it
(`tlcore.jobs.data_checks.run_check`) and saves the report into the project. The page draws the
place in the queue, the progress bar and Cancel from the job's record, and the report from
the saved file, so a reload, another tab or another web server shows the same. The session
keeps the loaded report (`REPORT_KEY`) until the file changes.
"""

import streamlit as st

from tlapp.jobs import progress, workers
from tlcore import errors, store, wording
from tlcore.checks import health
from tlcore.jobs import data_checks, queue, records

# Where the session keeps the Check data page's last report, whose one-sitting classes the
# Train page's next steps also name (`tlapp.panels.health`).
REPORT_KEY = "check_data_report"
# The check jobs this session showed running: it is told if one was cancelled.
WATCHED_KEY = "check_data_jobs_watched"


def latest_job(project: store.Project) -> records.JobRecord | None:
    """The project's last data check job, or None."""
    return workers.store(project.workspace.root).latest_for_project(
        project.id, queue.KIND_DATA_CHECK
    )


def start_check(project: store.Project) -> records.JobRecord:
    """Queues a data check of the project's photos and starts the local workers if needed.

    Raises:
        JobError: The project has a job queued or running already, or the queue is down.
    """
    return workers.submit(
        project,
        queue.KIND_DATA_CHECK,
        {"photo_count": project.photo_count()},
    )


def _kept(project: store.Project, check: data_checks.DataCheck) -> dict:
    """The session's copy of a saved check, in the shape the page reads."""
    return {
        "project": project.id,
        "check": check,
        "stamp": data_checks.file_stamp(project),
        "report": check.report,
        "map": check.data_map,
        "health": check.health,
        "test_near_copies": check.test_near_copies,
        "changed": check.changed,
    }


def kept_check(project: store.Project) -> dict | None:
    """The project's last check: the session's copy, read again when the saved file changed."""
    kept = st.session_state.get(REPORT_KEY)
    if kept is not None and kept["project"] != project.id:
        kept = None
    stamp = data_checks.file_stamp(project)
    if stamp is not None and (kept is None or kept.get("stamp") != stamp):
        check = data_checks.load(project)
        if check is not None:
            kept = st.session_state[REPORT_KEY] = _kept(project, check)
    return kept


def forget_photo(project: store.Project, content_hash: str) -> None:
    """Leaves a photo the page just moved or removed out of the kept and the saved check."""
    kept = st.session_state.get(REPORT_KEY)
    if kept is None:
        return
    if kept.get("check") is not None:
        fixed = data_checks.without_photo(project, kept["check"], content_hash)
        st.session_state[REPORT_KEY] = _kept(project, fixed)
        return
    # A report kept by the session only (never saved): fixed in place.
    kept["report"] = kept["report"].without_photo(content_hash)
    if kept.get("health") is not None:
        kept["health"] = health.without_photo(kept["health"], content_hash)
    kept["changed"] += 1


def show_running(project: store.Project, job: records.JobRecord) -> None:
    """Shows a queued or running check; the page stops after it."""
    st.session_state.setdefault(WATCHED_KEY, set()).add(job.id)
    st.subheader("Checking your photos…")
    st.caption(
        f"Checking {wording.plural(int(job.payload.get('photo_count', 0)), 'photo', 'photos')}"
        ". You can leave this page: the check goes on, and its report is kept in the project."
    )
    progress.show_progress(
        str(project.workspace.root), job.id, "Cancel the check", "cancel_check_data_button"
    )
    st.stop()


def show_check_controls(project: store.Project) -> dict | None:
    """The check's button, its progress while it runs, and how the last one ended.

    Args:
        project: The open project.

    Returns:
        The last finished check as the page reads it (`kept_check`), or None before one.
    """
    job = latest_job(project)
    if job is not None and job.is_active:
        show_running(project, job)
    kept = kept_check(project)
    if job is not None and job.state == records.FAILED:
        st.error(f"The last check did not finish. {job.error}", icon=":material/error:")
    elif job is not None and job.state == records.CANCELLED:
        if job.id in st.session_state.get(WATCHED_KEY, set()):
            st.info("Check cancelled.", icon=":material/stop_circle:")
    label = "Check my photos" if kept is None else "Check again"
    if st.button(label, key="check_data_button", type="primary", icon=":material/rule:"):
        try:
            start_check(project)
        except errors.TlcoreError as error:
            st.error(str(error), icon=":material/error:")
        else:
            st.rerun()
    if kept is not None and kept.get("check") is not None:
        if data_checks.is_out_of_date(project, kept["check"]):
            st.warning(
                "Photos were added, moved or removed since this check, so it may miss some "
                "problems. Press **Check again** to look at everything afresh.",
                icon=":material/update:",
            )
    return kept
