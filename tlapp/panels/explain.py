"""What the model looked at: a Grad-CAM heatmap over a photo, as a small panel for any page.

The Predict page shows it under the answer for one photo; the Evaluate page beside the photos
it got wrong and the photos behind a square of the confusion matrix. A heat map needs
TensorFlow's gradients, which the web server never imports: a worker makes it, as a short job
queued ahead of trainings (`tlcore.jobs.model_work.explain`), and writes it into the workspace
(`tlcore.jobs.explanation_files`), where every session and server finds it again. Meanwhile the
panel shows the job's progress (`tlapp.jobs.progress`).
"""

import streamlit as st

from tlapp.jobs import progress, workers
from tlcore import errors, store
from tlcore.data import images
from tlcore.jobs import explanation_files, queue, records

OVERLAY_SIZE = 384
# The session's heat-map jobs, by heat map key: a rerun shows the job, never queues it again.
_JOBS_KEY = "explanation_jobs"

EXPLANATION_CAPTION = (
    "Red and yellow mark the parts of the photo that made the model choose "
    "**{explained}**; blue parts mattered least. The model sees only the centre of each photo, "
    "which is what is shown here."
)


def _model_stamp(project: store.Project) -> str:
    """Names the version of the project's model: its file's modification time."""
    return str(project.model_path.stat().st_mtime_ns)


def explanation_overlay(
    project: store.Project,
    photo: bytes,
    class_name: str | None = None,
    overlay_size: int = OVERLAY_SIZE,
    cancel_key: str = "explain_cancel",
) -> dict | None:
    """Returns a heat map of one photo, asking a worker for it the first time.

    While the worker makes it, the job's progress is drawn where this is called, and None is
    returned; the page runs again when the job ends.

    Args:
        project: The trained project.
        photo: The photo's bytes.
        class_name: The class to explain; the predicted one when None.
        overlay_size: The side of the overlay in pixels.
        cancel_key: The widget key of the job's Cancel button, unique on the page.

    Returns:
        `overlay` (JPEG bytes), `predicted_class`, `probability` and `explained_class`; None
        while it is being made, or when someone stopped it.

    Raises:
        TlcoreError: If the photo cannot be read or the model cannot be explained.
    """
    root = project.workspace.root
    photo_hash = images.content_hash(photo)
    key = explanation_files.explanation_key(
        _model_stamp(project), photo_hash, class_name, overlay_size
    )
    made = explanation_files.read(root, project.id, key)
    if made is not None:
        return made
    jobs_store = workers.store(root)
    job_id = st.session_state.setdefault(_JOBS_KEY, {}).get(key)
    record = jobs_store.get(job_id) if job_id else None
    if record is not None and record.state == records.FAILED:
        raise errors.TlcoreError(record.error)
    if record is not None and record.state == records.CANCELLED:
        st.caption("Stopped: no heat map for this photo.")
        return None
    if record is None or not record.is_active:
        photo_path = explanation_files.save_photo(root, project.id, photo_hash, photo)
        payload = {
            "photo": str(photo_path),
            "class_name": class_name,
            "overlay_size": overlay_size,
            "key": key,
        }
        record = _queue(project, payload)
        st.session_state[_JOBS_KEY][key] = record.id
    st.caption("Working out what the model looked at…")
    progress.show_progress(str(root), record.id, "Stop", cancel_key)
    return None


def _queue(project: store.Project, payload: dict) -> records.JobRecord:
    """Queues the heat map's job (`tlcore.jobs.model_work.explain`), ahead of long jobs."""
    return workers.submit(
        project,
        queue.KIND_EXPLANATION,
        payload,
    )


def show_explanation(
    project: store.Project, trained, photo: bytes, answer=None, key: str = "predict_explain"
) -> None:
    """Shows what the model looked at in one photo, with a choice of the class to explain.

    Nothing is shown for a photo that could not be read (its `answer` has an error).

    Args:
        project: The trained project.
        trained: Its model (`tlcore.serving.project_models.ProjectModel`), for the class list.
        photo: The photo's bytes.
        answer: The `tlcore.nets.prediction.Prediction` shown for the photo, if any.
        key: The prefix of the panel's widget keys, unique on the page.
    """
    if answer is not None and getattr(answer, "error", None) is not None:
        return
    st.markdown("#### What the model looked at")
    if not st.toggle("Show the heatmap", value=True, key=f"{key}_on"):
        return
    picture_column, text_column = st.columns([1, 2], gap="large")
    best_class = answer.best_class if answer is not None else None
    options = list(trained.class_names)
    # A new photo starts on the class the model chose for it, not on the one picked before. The
    # choice is set through the session state, which also moves the list shown in the browser.
    photo_hash = images.content_hash(photo)
    class_key = f"{key}_class"
    if (
        st.session_state.get(f"{key}_photo") != photo_hash
        or st.session_state.get(class_key) not in options
    ):
        st.session_state[f"{key}_photo"] = photo_hash
        st.session_state[class_key] = best_class if best_class in options else options[0]
    with text_column:
        chosen = st.selectbox(
            "Show the evidence for",
            options,
            key=class_key,
            help="The class the model chose, or any other: where in the photo does it see it?",
        )
    try:
        with picture_column:
            result = explanation_overlay(project, photo, chosen, cancel_key=f"{key}_cancel")
    except errors.TlcoreError as error:
        text_column.warning(str(error), icon=":material/warning:")
        return
    if result is None:
        return
    picture_column.image(result["overlay"], width="stretch")
    text_column.markdown(EXPLANATION_CAPTION.format(explained=result["explained_class"]))
    if result["explained_class"] != result["predicted_class"]:
        text_column.caption(
            f"The model itself chose {result['predicted_class']} for this photo "
            f"({result['probability']:.0%} sure)."
        )


def show_stored_explanation(
    project: store.Project, photo_path, class_name: str | None = None, key: str = "explain"
) -> None:
    """Shows the heatmap of a stored photo in place, under a caption; for photo galleries.

    Args:
        project: The trained project.
        photo_path: Where the photo is stored.
        class_name: The class to explain; the predicted one when None.
        key: Makes the Stop button's widget key unique on the page.
    """
    try:
        with open(photo_path, "rb") as file:
            photo = file.read()
        result = explanation_overlay(project, photo, class_name, cancel_key=f"{key}_cancel")
    except (OSError, errors.TlcoreError) as error:
        st.caption(f"No heatmap for this photo: {error}")
        return
    if result is None:
        return
    st.image(result["overlay"], width="stretch")
    st.caption(f"What made it say {result['explained_class']}: red and yellow parts.")
