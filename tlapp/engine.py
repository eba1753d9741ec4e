"""A project's trained model for the pages, without TensorFlow.

The web server never imports TensorFlow (a fault in it can then only end a worker): Predict,
Evaluate, Train and the live camera use the project file's ONNX classifier and description
(`project_model_of`, a `tlcore.serving.project_models.ProjectModel`, loaded once per version of
the file for every browser session). A file saved before it had an ONNX form is made ready by a
worker (`require_project_model`).

Everything that needs Keras (trainings, corrections, heat maps, exports, new photos' features)
runs on the workers. `keras_file_bytes` copies the `.keras` entry out of a project file for
Export's download, without TensorFlow.
"""

import pathlib
import zipfile

import streamlit as st

from tlapp.jobs import progress, workers
from tlcore import errors
from tlcore.jobs import queue
from tlcore.serving import project_models


@st.cache_resource(max_entries=16, show_spinner=False)
def _load_project_model(model_path: str, modified_ns: int):
    """Reads a project file's ONNX model and description once for every session."""
    del modified_ns  # Only part of the cache key.
    return project_models.load_project_model(model_path)


def project_model_of(project):
    """Returns a project's trained model for predictions, and why not when there is none.

    Args:
        project: A `tlcore.store.Project`.

    Returns:
        `(ProjectModel, None)`; `(None, None)` if it was never trained; `(None, reason)` when
        its file has no usable ONNX form (saved by an earlier version).

    Raises:
        ProjectFileError: If the saved file is not a readable project.
    """
    path = project.model_path
    try:
        modified_ns = path.stat().st_mtime_ns
    except FileNotFoundError:
        return None, None
    return _load_project_model(str(path), modified_ns)


_PREPARING = (
    "This model was trained by an earlier version of the app. The server is making it ready "
    "to use here (a few seconds, once); this page goes on by itself."
)


def require_project_model(project):
    """Returns the project's `ProjectModel`, or says what stops it and stops the page.

    A file without an ONNX form is given one by a worker (`model_jobs.make_onnx_form`, a
    job): the page says in words that the model is being made ready and shows the job's
    progress until it is.

    Args:
        project: A trained `tlcore.store.Project`.

    Returns:
        The `tlcore.serving.project_models.ProjectModel`.
    """
    try:
        trained, reason = project_model_of(project)
    except errors.TlcoreError as error:
        st.error(str(error), icon=":material/error:")
        st.stop()
    if trained is not None:
        return trained
    root = project.workspace.root
    record = workers.store(root).latest_for_project(project.id, queue.KIND_MODEL_PREPARATION)
    saved_at = project.model_path.stat().st_mtime
    if record is None or (not record.is_active and (record.finished_at or 0) < saved_at):
        # Never tried on this version of the file (a new training may lack the form too).
        record = _queue_preparation(project)
    elif not record.is_active:
        # Tried on this very file: the worker's words, or why the form it wrote is unusable.
        st.error(record.error or reason, icon=":material/error:")
        st.stop()
    st.info(_PREPARING, icon=":material/hourglass_top:")
    if reason:
        st.caption(reason)
    progress.show_progress(str(root), record.id, "Cancel", "prepare_model_cancel_button")
    st.stop()


def _queue_preparation(project):
    """Queues the job that writes the ONNX form into the project file; stops on a problem."""
    try:
        return workers.submit(
            project,
            queue.KIND_MODEL_PREPARATION,
            {},
        )
    except errors.TlcoreError as error:
        st.error(str(error), icon=":material/error:")
        st.stop()


@st.cache_data(max_entries=8, show_spinner=False)
def _keras_entry(project_file: str, modified_ns: int) -> bytes:
    del modified_ns  # Only part of the cache key.
    from tlcore.serving import project_file as projects

    with zipfile.ZipFile(project_file) as archive:
        return archive.read(projects.MODEL_ENTRY)


def keras_file_bytes(project_file: pathlib.Path) -> bytes:
    """Returns the `.keras` model inside a project file, without loading it.

    The project file holds exactly what `tlcore.serving.project_file.export_keras_model` writes, so
    the bytes are copied out of the zip instead of loading and saving the model again.

    Args:
        project_file: A project file written by `tlcore.serving.project_file.save_project`.

    Returns:
        The bytes of the `.keras` file.
    """
    return _keras_entry(str(project_file), project_file.stat().st_mtime_ns)
