"""The Train page's view of a training job: the Train button, its place in the queue, progress,
live chart and Cancel.

Everything shown comes from the job's record (`tlapp.jobs.trainings`), so the page shows the same on
any server of the workspace, after a reload, and while the worker that runs it is replaced.
"""

import streamlit as st

from tlapp import figures, state
from tlapp.charts import learning
from tlapp.jobs import trainings
from tlcore import store, wording
from tlcore.training import types


def _step_text(progress: types.Progress) -> str:
    """The words over the progress bar for one report."""
    steps = 3 if progress.fine_tuning else 2
    if progress.phase == "waiting" and progress.queue_position:
        return "Waiting for the other training to finish…"
    if progress.phase == "waiting":
        return "Getting ready…"
    if progress.phase == "loading":
        return "Loading the pretrained network…"
    if progress.phase == "embedding":
        return f"Step 1 of {steps} · {progress.message}"
    if progress.phase in ("training", "measuring"):
        return f"Step 2 of {steps} · {progress.message}"
    if progress.phase == "fine-tuning":
        return f"Step 3 of 3 · Improving the pretrained network: {progress.message.lower()}"
    return "Saving the trained model…"


# The session's jobs it showed running: it is told how each ended, even when another page
# (another tab, another server) told it first.
WATCHED_KEY = "training_jobs_watched"


def watched_jobs() -> set[str]:
    """Returns the ids of the jobs this session showed running and has not been told of."""
    return st.session_state.setdefault(WATCHED_KEY, set())


@st.fragment(run_every=1.0)
def _show_progress(project: store.Project) -> None:
    """Redraws the progress bar and the live chart every second while the training runs."""
    job = trainings.get_job(project, watched=watched_jobs())
    if job is None or not job.is_running:
        # The training ended since the last redraw: show the whole page with the results.
        st.rerun()
    progress, history = job.snapshot()
    if progress.phase == "waiting" and progress.queue_position:
        st.info(progress.message, icon=":material/hourglass_top:")
    st.progress(progress.fraction, text=_step_text(progress))
    if history["accuracy"]:
        if progress.phase == "training" and progress.learners > 1:
            st.caption(
                f"The chart follows learner {progress.learner} of {progress.learners}; each "
                "starts again from round 1, and their answers are averaged at the end."
            )
        st.plotly_chart(
            learning.training_history_figure(history),
            key="live_training_chart",
            config={"displayModeBar": False},
        )
    else:
        st.caption("The chart of the learning appears here when the first round ends.")
    if job.record.cancel_requested:
        st.caption("Stopping the training…")
    elif st.button("Cancel training", icon=":material/stop:", key="cancel_training_button"):
        trainings.cancel(job)
        st.rerun(scope="fragment")


def show_running(project: store.Project, job: trainings.TrainingJob) -> None:
    """Shows a queued or running training; the page stops after it."""
    watched_jobs().add(job.id)
    st.subheader("Training…")
    st.caption(
        f"Training on {wording.plural(job.photo_count, 'photo', 'photos')}. You can leave this "
        "page: the training goes on, and its result is saved in the project."
    )
    _show_progress(project)


def show_ended(project: store.Project, job: trainings.TrainingJob | None) -> None:
    """Tells, once, how the last training ended, or that it was interrupted."""
    if job is not None:
        watched_jobs().discard(job.id)
    if job is not None and job.state == "failed":
        st.error(job.error, icon=":material/error:")
        trainings.forget_job(project)
    elif job is not None and job.state == "finished":
        st.success(
            "Training finished. " + figures.record_sentence(project.training_record()),
            icon=":material/check_circle:",
        )
        trainings.forget_job(project)
    elif job is not None and job.state == "cancelled":
        st.info(
            "Training cancelled. The project is as it was"
            + (", with its previous model." if project.has_trained_model else "."),
            icon=":material/stop_circle:",
        )
        trainings.forget_job(project)
    elif trainings.forget_interrupted_training(project):
        st.warning(
            "The last training did not finish: the server restarted while it ran. Your photos "
            + ("and your previous model are" if project.has_trained_model else "are")
            + " safe. Press **Train** to train again.",
            icon=":material/restart_alt:",
        )


@st.fragment(run_every=2.0)
def _show_others(project: store.Project) -> None:
    """Says that someone else is training, and goes away when they have finished."""
    running, waiting = trainings.others_training(project)
    if not running:
        return
    st.info(
        "Someone else is training on this server right now"
        + (f", and {wording.plural(waiting, 'more is', 'more are')} waiting" if waiting else "")
        + ". You can press Train all the same: yours starts automatically when it is your "
        "turn, and the page shows your place in the queue.",
        icon=":material/group:",
    )


def show_others_training(project: store.Project) -> None:
    """Shows, while it lasts, that other projects are training on the workspace's workers."""
    if trainings.others_training(project)[0]:
        _show_others(project)


def show_train_button(
    project: store.Project, settings: types.TrainingSettings, editable: bool
) -> None:
    """The Train button: a click queues the training and shows the page again, with its
    progress.

    Args:
        project: The open project.
        settings: The settings to train with.
        editable: Whether this visitor may change the project; the button is disabled if not.
    """
    if st.button(
        "Train",
        type="primary",
        icon=":material/play_arrow:",
        key="train_button",
        disabled=not editable,
    ):
        with state.user_errors():
            trainings.start_training(project, settings)
            st.rerun()
