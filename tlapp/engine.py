"""The heavy parts of tlcore, loaded once per server and shared by every session.

TensorFlow takes seconds to import and the pretrained network seconds to build, so both happen
once per server process, each behind a spinner that says what is happening: `load_engine`
imports the engine, and `st.cache_resource` keeps the base and each trained model.
"""

import importlib
import os
import pathlib
import sys
import threading
import zipfile

import streamlit as st


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


@st.cache_resource(show_spinner="Loading the pretrained network (first time only)…")
def load_base(backbone: str, image_size: int):
    """Returns the shared frozen pretrained network, loading it on first use.

    Args:
        backbone: The backbone's name, a key of `tlcore.backbones.BACKBONES`.
        image_size: The square input size in pixels.

    Returns:
        The `tlcore.model.SharedBase`.

    Raises:
        WeightsNotFoundError: If the pretrained weights are neither on disk nor downloadable.
    """
    from tlcore import model

    return model.get_base(backbone, image_size)


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


def trained_model_of(project):
    """Returns the trained model of a project, or None if it was never trained.

    Args:
        project: A `tlcore.store.Project`.

    Returns:
        The `tlcore.training_types.TrainedModel`, or None.

    Raises:
        ProjectFileError: If the saved model cannot be loaded.
    """
    path = project.model_path
    try:
        modified_ns = path.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    with _just_saved_lock:
        remembered = _just_saved.get(str(path))
    if remembered is not None and remembered[0] == modified_ns:
        return remembered[1]
    return load_trained(str(path), modified_ns)


# Models trained and saved by this process a moment ago, by model file: (its modification
# time when saved, the model). Loading MobileNetV2 back from the file takes seconds, which
# would double the wait after a correction on Predict.
_just_saved: dict[str, tuple[int, object]] = {}
_just_saved_lock = threading.Lock()
_JUST_SAVED_KEPT = 8


def remember_saved_model(project, trained) -> None:
    """Keeps a model just saved as the project's model, for `trained_model_of` to return.

    Once the file changes again (another training), the file is loaded as usual.

    Args:
        project: The `tlcore.store.Project` whose model file was just written.
        trained: The `tlcore.training_types.TrainedModel` that was saved there.
    """
    path = project.model_path
    with _just_saved_lock:
        _just_saved[str(path)] = (path.stat().st_mtime_ns, trained)
        while len(_just_saved) > _JUST_SAVED_KEPT:
            _just_saved.pop(next(iter(_just_saved)))


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
