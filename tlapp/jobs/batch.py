"""Predict's answers: a few photos answered in the web server, many as a job of a worker.

`answers_of` answers fewer than `BATCH_JOB_PHOTOS` photos at once through the project file's ONNX
model. From `BATCH_JOB_PHOTOS` photos on, the Predict page does not predict in the web server: it
saves the photos into the workspace and queues a job (`tlcore.jobs.batch_predictions`), shows its
place in the queue, progress and Cancel (`tlapp.jobs.progress`), and draws its usual table from the
answers the worker saved. The session remembers which batch it queued for which photos, so a rerun
of the page does not queue them again.
"""

import streamlit as st

from tlapp.jobs import progress, workers
from tlcore import errors, store, wording
from tlcore.jobs import batch_predictions, queue, records
from tlcore.nets import prediction

# From this many photos at once, predicting is long work for a worker.
BATCH_JOB_PHOTOS = 20
SESSION_KEY = "predict_batch_job"


def _signature(project: store.Project, sources, test_time_augmentation: bool) -> tuple:
    """What makes two batches the same: the project, the photos' names and sizes, the setting."""
    photos = tuple((name, len(data)) for name, data in sources)
    return (project.id, photos, bool(test_time_augmentation))


def queue_batch(project: store.Project, sources, test_time_augmentation: bool) -> dict:
    """Saves the photos and queues their prediction; returns what the session remembers.

    Raises:
        TlcoreError: The disk is full, the queue is down, or the project has a job already.
    """
    root = project.workspace.root
    batch_id = batch_predictions.save_photos(root, project.id, sources)
    try:
        record = workers.submit(
            project,
            queue.KIND_BATCH_PREDICTION,
            {
                "batch_id": batch_id,
                "photo_count": len(sources),
                "test_time_augmentation": bool(test_time_augmentation),
            },
        )
    except errors.TlcoreError:
        batch_predictions.keep_only(root, project.id, None)
        raise
    # The project's older batches (and their answers) are not needed any more.
    batch_predictions.keep_only(root, project.id, batch_id)
    return {"job_id": record.id, "batch_id": batch_id}


def predictions_of(project: store.Project, sources, test_time_augmentation: bool) -> list:
    """The answers for many photos, from a worker; the page stops while they are on the way.

    Args:
        project: The open, trained project.
        sources: The photos, as (name, bytes).
        test_time_augmentation: Whether to average each photo with its changed copies.

    Returns:
        The `prediction.Prediction`s, in the photos' order.
    """
    signature = _signature(project, sources, test_time_augmentation)
    kept = st.session_state.get(SESSION_KEY)
    if kept is None or kept["signature"] != signature:
        try:
            kept = {**queue_batch(project, sources, test_time_augmentation), "signature": signature}
        except errors.TlcoreError as error:
            st.error(str(error), icon=":material/error:")
            st.stop()
        st.session_state[SESSION_KEY] = kept
    root = project.workspace.root
    job = workers.store(root).get(kept["job_id"])
    if job.is_active:
        st.markdown(
            f"**Looking at {wording.plural(len(sources), 'photo', 'photos')}…** They are "
            "many, so a worker of the server looks at them; the table appears here."
        )
        progress.show_progress(str(root), job.id, "Cancel", "cancel_predict_batch_button")
        st.stop()
    if job.state == records.FINISHED:
        answers = batch_predictions.load_answers(root, project.id, kept["batch_id"])
        if answers is not None and len(answers) == len(sources):
            return answers
    if job.state == records.CANCELLED:
        st.info("Cancelled: the photos were not looked at.", icon=":material/stop:")
    else:
        st.error(job.error or "The answers are no longer on the server.", icon=":material/error:")
    if st.button("Look at these photos again", key="predict_batch_again"):
        del st.session_state[SESSION_KEY]
        st.rerun()
    st.stop()


def answers_of(
    project: store.Project, trained, sources, test_time_augmentation: bool
) -> list[prediction.Prediction]:
    """The answers for the photos: a few at once here, many from a worker (`predictions_of`);
    the page stops with an error when they cannot be had.

    Args:
        project: The open, trained project.
        trained: Its model (`tlcore.serving.project_models.ProjectModel`).
        sources: The photos, as (name, bytes).
        test_time_augmentation: Whether to average each photo with its changed copies.

    Returns:
        The `prediction.Prediction`s, in the photos' order.
    """
    try:
        if len(sources) >= BATCH_JOB_PHOTOS:
            # Many photos are long work: a worker looks at them (the page waits, then goes on).
            return predictions_of(project, sources, test_time_augmentation)
        with st.spinner("Looking at the photos…"):
            return prediction.predict(
                trained,
                [data for _, data in sources],
                top_k=min(3, len(trained.class_names)),
                file_names=[name for name, _ in sources],
                test_time_augmentation=test_time_augmentation,
            )
    except errors.TlcoreError as error:
        st.error(str(error), icon=":material/error:")
        st.stop()
