"""A project's trained model for the pages, without TensorFlow; and, for Export only, Keras.

The web server never imports TensorFlow (issue 12): Predict, Evaluate, Train and the live
camera use the project file's ONNX classifier and description (`project_model_of`, a
`tlcore.project_models.ProjectModel`, loaded once per version of the file for every session).
A file saved before it had an ONNX form is made ready by a worker (`require_project_model`).

`load_engine` and `load_trained` are left for the Export page and the embedding of new photos,
until those run on the workers too: they import TensorFlow. `keras_file_bytes` copies the
`.keras` entry out of a project file, without TensorFlow.
"""

import importlib
import os
import pathlib
import sys
import zipfile

import streamlit as st

from tlapp import job_progress, workers
from tlcore import errors, job_queue, project_models


def load_engine() -> None:
    """Imports TensorFlow and the engine, with a spinner the first time in this process.

    Importing TensorFlow takes several seconds; without the spinner the page would stay blank.
    Pages call this before importing the modules that need TensorFlow.
    """
    keep_keras_state_between_runs()
    needed = ("tlcore.training", "tlcore.projects", "tlcore.prediction")
    if all(module in sys.modules for module in needed):
        return
    with st.spinner("Starting the learning engine (first time only)…"):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        for module in needed:
            importlib.import_module(module)


def keep_keras_state_between_runs() -> None:
    """Stops Streamlit from resetting Keras after every run of a page, in this process.

    Once Keras is imported, Streamlit calls `keras.backend.clear_session()` after each script
    run (`_clean_problem_modules` in `streamlit/runtime/scriptrunner/script_runner.py`), for
    apps that build a model in the script itself. This app trains in background threads, and
    the Train page redraws each session's progress every second: every redraw threw away the
    Keras state of the running training and TensorFlow's kernel cache, and ran a full garbage
    collection, so that five people watching their trainings made each one many times slower.
    The models the app keeps live in `st.cache_resource` and need no reset. The other cleanup
    of that function (closing Matplotlib figures) concerns no page of this app.
    """
    from streamlit.runtime.scriptrunner import script_runner

    if hasattr(script_runner, "_clean_problem_modules"):
        script_runner._clean_problem_modules = _keep_everything


def _keep_everything() -> None:
    """Takes the place of Streamlit's cleanup after a script run, and leaves Keras alone."""


@st.cache_resource(max_entries=8, show_spinner="Loading the trained model…")
def load_trained(model_path: str, modified_ns: int):
    """Returns a project's trained model, loaded once for every session.

    Args:
        model_path: The project's model file.
        modified_ns: The file's modification time; part of the cache key, so a new training
            is loaded again.

    Returns:
        The `tlcore.training_types.TrainedModel`.

    Raises:
        ProjectFileError: If the file cannot be loaded safely.
    """
    del modified_ns  # Only part of the cache key.
    from tlcore import projects

    return projects.load_project(model_path)


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
        The `tlcore.project_models.ProjectModel`.
    """
    try:
        trained, reason = project_model_of(project)
    except errors.TlcoreError as error:
        st.error(str(error), icon=":material/error:")
        st.stop()
    if trained is not None:
        return trained
    root = project.workspace.root
    record = workers.store(root).latest_for_project(project.id, job_queue.KIND_MODEL_PREPARATION)
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
    job_progress.show_progress(str(root), record.id, "Cancel", "prepare_model_cancel_button")
    st.stop()


def _queue_preparation(project):
    """Queues the job that writes the ONNX form into the project file; stops on a problem."""
    root = project.workspace.root
    workers.ensure_started(root)
    try:
        return job_queue.submit(
            workers.config(root),
            workers.queue(root),
            job_queue.KIND_MODEL_PREPARATION,
            project.id,
            project.owner,
            {},
        )
    except errors.TlcoreError as error:
        st.error(str(error), icon=":material/error:")
        st.stop()


@st.cache_data(max_entries=8, show_spinner=False)
def _keras_entry(project_file: str, modified_ns: int) -> bytes:
    del modified_ns  # Only part of the cache key.
    from tlcore import projects

    with zipfile.ZipFile(project_file) as archive:
        return archive.read(projects.MODEL_ENTRY)


def keras_file_bytes(project_file: pathlib.Path) -> bytes:
    """Returns the `.keras` model inside a project file, without loading it.

    The project file holds exactly what `tlcore.projects.export_keras_model` writes, so the
    bytes are copied out of the zip instead of loading and saving the model again.

    Args:
        project_file: A project file written by `tlcore.projects.save_project`.

    Returns:
        The bytes of the `.keras` file.
    """
    return _keras_entry(str(project_file), project_file.stat().st_mtime_ns)
