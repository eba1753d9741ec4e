"""Train: settings with sensible defaults, one button, and the learning shown as it happens."""

import streamlit as st

from tlapp import charts, engine, state
from tlcore import backbones, datasets, device, errors

space, owner, project = state.start_page("Train")
project = state.require_project(project)

state.page_title(
    "2 · Train",
    "The computer looks at your photos and learns what makes each class different. It keeps "
    "a few photos of each class aside, never learns from them, and uses them to check itself.",
)

# These modules need TensorFlow, which takes seconds to import the first time: the page shows
# a spinner meanwhile instead of staying blank.
engine.load_engine()
from tlapp import jobs  # noqa: E402
from tlcore import training  # noqa: E402


@st.fragment(run_every=1.0)
def show_progress(project_id: str) -> None:
    """Redraws the progress bar and the live chart every second while the training runs."""
    job = jobs.get_job(project_id)
    if job is None or not job.is_running:
        # The training ended since the last redraw: show the whole page with the results.
        st.rerun()
    progress, history = job.snapshot()
    if progress.phase == "waiting" and progress.queue_position:
        st.info(progress.message, icon=":material/hourglass_top:")
        text = "Waiting for the other training to finish…"
    elif progress.phase == "waiting":
        text = "Getting ready…"
    elif progress.phase == "loading":
        text = "Loading the pretrained network…"
    elif progress.phase == "embedding":
        text = f"Step 1 of 2 · Looking at your photos: {progress.done} of {progress.total}"
    elif progress.phase == "training":
        text = f"Step 2 of 2 · Learning: round {progress.done} of {progress.total}"
    else:
        text = "Saving the trained model…"
    st.progress(progress.fraction, text=text)
    if history["accuracy"]:
        st.plotly_chart(
            charts.training_history_figure(history),
            key="live_training_chart",
            config={"displayModeBar": False},
        )
    else:
        st.caption("The chart of the learning appears here when the first round ends.")


job = jobs.get_job(project.id)
if job is not None and job.is_running:
    st.subheader("Training…")
    st.caption(
        f"Training on {state.plural(job.photo_count, 'photo', 'photos')}. You can leave this "
        "page: the training goes on, and its result is saved in the project."
    )
    show_progress(project.id)
    st.stop()

if job is not None and job.state == "failed":
    st.error(job.error, icon=":material/error:")
    jobs.forget_job(project.id)
elif job is not None and job.state == "finished":
    st.success(
        f"Training finished. The model recognised **{job.accuracy:.0%}** of the photos it had "
        "not learned from.",
        icon=":material/check_circle:",
    )
    jobs.forget_job(project.id)

dataset = project.to_dataset()
try:
    datasets.check_trainable(dataset)
except errors.DatasetError as problem:
    st.warning(str(problem), icon=":material/warning:")
    st.info("Add classes and photos on the Collect page, then come back here.")
    state.page_link(state.COLLECT_PAGE, label="Go to Collect photos")
    st.stop()

counts = dataset.counts()
st.markdown(
    f"Ready: **{state.plural(len(dataset.photos), 'photo', 'photos')}** in "
    f"**{state.plural(len(counts), 'class', 'classes')}** "
    f"({', '.join(f'{name}: {count}' for name, count in counts.items())})."
)

if device.training_queue.is_busy():
    waiting = device.training_queue.waiting_count()
    st.info(
        "Someone else is training on this server right now"
        + (f", and {state.plural(waiting, 'more is', 'more are')} waiting" if waiting else "")
        + ". You can press Train all the same: yours starts automatically when it is your "
        "turn, and the page shows your place in the queue.",
        icon=":material/group:",
    )

defaults = training.TrainingSettings()
backbone = backbones.get_backbone(defaults.backbone)
with st.expander(
    "Advanced settings (optional: the defaults work well)",
    icon=":material/tune:",
    key="advanced_settings",
):
    left, right = st.columns(2, gap="large")
    with left:
        epochs = st.slider(
            "Rounds of learning (epochs)",
            min_value=5,
            max_value=100,
            value=defaults.epochs,
            step=5,
            key="setting_epochs",
        )
        st.caption("How many times it goes over all your photos. More rounds take longer.")
        batch_size = st.select_slider(
            "Photos per step (batch size)",
            options=[8, 16, 32, 64, 128],
            value=defaults.batch_size,
            key="setting_batch_size",
        )
        st.caption("How many photos it looks at before each small correction.")
        learning_rate = st.select_slider(
            "Learning speed (learning rate)",
            options=[0.0001, 0.0003, 0.001, 0.003, 0.01],
            value=defaults.learning_rate,
            format_func=lambda value: f"{value:g}",
            key="setting_learning_rate",
        )
        st.caption("How big each correction is: too high jumps around, too low learns slowly.")
    with right:
        image_size = st.select_slider(
            "Photo size in pixels (image size)",
            options=list(backbone.image_sizes),
            value=defaults.image_size,
            key="setting_image_size",
        )
        st.caption("Photos are shrunk to this square. Smaller is faster; larger sees more detail.")
        validation_percent = st.slider(
            "Photos kept aside to check it (validation share)",
            min_value=10,
            max_value=50,
            value=round(defaults.validation_split * 100),
            step=5,
            format="%d%%",
            key="setting_validation_percent",
        )
        st.caption("This share of each class is never learned from; it measures how good it is.")

settings = training.TrainingSettings(
    epochs=int(epochs),
    batch_size=int(batch_size),
    learning_rate=float(learning_rate),
    image_size=int(image_size),
    validation_split=validation_percent / 100,
    backbone=defaults.backbone,
)

if st.button("Train", type="primary", icon=":material/play_arrow:", key="train_button"):
    with state.user_errors():
        engine.load_base(settings.backbone, settings.image_size)
        jobs.start_training(project, settings)
        st.rerun()

record = project.training_record()
if record is not None:
    st.divider()
    st.subheader("Last training")
    accuracy = (record.evaluation or {}).get("accuracy")
    summary = f"Trained {state.time_ago(record.created_at)}"
    if accuracy is not None:
        summary += f": it recognised **{accuracy:.0%}** of the photos it had not learned from."
    st.markdown(summary)
    if project.changed_since_training:
        st.info(
            "You changed the classes or photos after this training. Train again to include "
            "the changes.",
            icon=":material/update:",
        )
    st.plotly_chart(
        charts.training_history_figure(record.history),
        key="last_training_chart",
        config={"displayModeBar": False},
    )
    links = st.columns(3)
    with links[0]:
        state.page_link(state.EVALUATE_PAGE, label="Next: see where it is right and wrong")
    with links[1]:
        state.page_link(state.PREDICT_PAGE, label="Try it on new photos")
