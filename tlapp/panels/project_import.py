"""The Export page's "Open a project file", loaded by a worker: no TensorFlow in the server.

The uploaded file's entries are read here (a file that is no project file is refused at
once); a worker then loads its model safely and makes the project (`tlcore.jobs.imports`).
Meanwhile the page shows the job's progress and Cancel (`tlapp.jobs.progress`); once it has
finished, the new project is opened on Predict, as before; a refusal is shown in words.
"""

import pathlib

import streamlit as st

from tlapp import messages, state
from tlapp.jobs import progress, workers
from tlcore import errors, store
from tlcore.jobs import imports, records

# The import job this session queued.
JOB_KEY = "export_import_job"


def _queue(space: store.Workspace, owner: str, uploaded) -> None:
    """Queues the uploaded file's import, or keeps the refusal's words for the next run."""
    root = space.root
    try:
        workers.ensure_started(root)
        record = imports.queue_import(
            workers.config(root),
            workers.queue(root),
            owner,
            uploaded.getvalue(),
            pathlib.Path(uploaded.name).stem,
        )
    except errors.TlcoreError as error:
        state.add_message("error", str(error))
    else:
        st.session_state[JOB_KEY] = record.id
    st.rerun()


def _show_ended(space: store.Workspace, record: records.JobRecord) -> None:
    """Opens the imported project on Predict, or says why it was not."""
    del st.session_state[JOB_KEY]
    if record.state == records.FINISHED:
        imported = space.open_project(record.result["project_id"])
        state.open_project(imported)
        state.add_message(
            "success",
            f"Opened **{imported.name}** with its trained model "
            f"({messages.names_listed(imported.class_names, bold=False)}). Try it on new "
            "photos on the Predict page.",
        )
        st.switch_page(state.PREDICT_PAGE[0])
    if record.state == records.CANCELLED:
        st.info("Opening the project file was cancelled.", icon=":material/stop_circle:")
    else:
        st.error(record.error or "The project file could not be opened.", icon=":material/error:")


def show_import(space: store.Workspace, owner: str) -> None:
    """The project file's upload box, the loading's progress, and where it ends.

    Args:
        space: The workspace.
        owner: This browser's token.
    """
    st.caption(
        "A .zip downloaded from this page earlier, or written by `python -m tlcore train`. "
        "It is checked and loaded safely: nothing inside it can run on this server."
    )
    job_id = st.session_state.get(JOB_KEY)
    if job_id is not None:
        record = workers.store(space.root).get(job_id)
        if record.is_active:
            st.caption("Checking and loading the project file…")
            progress.show_progress(str(space.root), job_id, "Cancel", "cancel_import_button")
            return
        _show_ended(space, record)
    round_number = st.session_state.setdefault("round_project_file_upload", 0)
    project_file = st.file_uploader(
        "Project file", type=["zip"], key=f"project_file_upload_{round_number}"
    )
    if project_file is not None:
        st.session_state["round_project_file_upload"] = round_number + 1
        _queue(space, owner, project_file)
