"""Train: settings with sensible defaults, one button, and the learning shown as it happens."""

import streamlit as st

from tlapp import figures, messages, state
from tlapp.charts import common, learning
from tlapp.jobs import trainings
from tlapp.panels import health, history, training_job
from tlcore import errors, wording
from tlcore.data import augmentation, datasets
from tlcore.nets import backbones, runtimes
from tlcore.training import types

space, owner, project = state.start_page("Train")
project = state.require_project(project)

state.page_title(
    "2 · Train",
    "The computer looks at your photos and learns what makes each class different. It keeps "
    "a few photos of each class aside, never learns from them, and uses them to check itself.",
)
editable = state.changes_allowed(project)

# How many augmented views of the chosen photo the preview shows.
PREVIEW_VIEWS = 8
# With more photos than this, the preview's photo is chosen in two steps: class, then photo.
PREVIEW_CHOICES = 500


@st.cache_data(max_entries=64, show_spinner=False)
def augmented_views(photo_path: str, content_hash: str, settings: dict, count: int) -> list:
    """Returns the first augmented views of one of the project's photos, for the preview.

    Args:
        photo_path: The photo's file.
        content_hash: Its content hash; part of the cache key, with the settings.
        settings: The augmentation settings, as `AugmentationSettings.to_dict()` gives them.
        count: How many views.

    Returns:
        The views, as arrays; an empty list when the photo cannot be read.
    """
    del content_hash  # Only part of the cache key.
    try:
        with open(photo_path, "rb") as file:
            data = file.read()
        return augmentation.preview(
            data, augmentation.AugmentationSettings.from_dict(settings), count=count, size=160
        )
    except (OSError, errors.TlcoreError):
        return []


# The local workers (TLCORE_WORKERS) start with the first visit, so the first training does
# not wait for one to load TensorFlow.
trainings.ensure_workers(project)
job = trainings.get_job(project, watched=training_job.watched_jobs())
if job is not None and job.is_running:
    training_job.show_running(project, job)
    st.stop()
training_job.show_ended(project, job)

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
    f"Ready: **{wording.plural(len(dataset.photos), 'photo', 'photos')}** in "
    f"**{wording.plural(len(counts), 'class', 'classes')}** "
    f"({messages.class_counts_summary(counts)})."
)


training_job.show_others_training(project)

defaults = types.TrainingSettings()
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
        st.caption(
            "This share of each class is never learned from; it measures how good it is. "
            "Photos nearly the same as each other stay together, so it is not just "
            "recognising a photo it learned from."
        )

    st.divider()
    st.markdown("**Augment photos**")
    st.caption(
        "The computer also learns from changed copies of your photos: mirrored, a little "
        "turned, closer or further, lighter or darker. It then copes better with new photos "
        "taken another way. The photos kept aside to check it are never changed."
    )
    augment_left, augment_right = st.columns(2, gap="large")
    default_augmentation = defaults.augmentation
    with augment_left:
        augmentation_views = st.slider(
            "Changed copies of each photo (augmented views)",
            min_value=0,
            max_value=10,
            value=defaults.augmentation_views,
            key="setting_augmentation_views",
        )
        st.caption(
            "0 learns from your photos alone. Each copy is looked at once and remembered, so "
            "only the first training takes longer."
        )
        head_count = st.slider(
            "Learners averaged",
            min_value=1,
            max_value=5,
            value=defaults.head_count,
            key="setting_head_count",
        )
        st.caption(
            "Each learner starts from its own random guess; their average answer is steadier "
            "than any one of them. Each one adds a few seconds."
        )
        flip = st.checkbox(
            "Mirror left to right", value=default_augmentation.flip, key="setting_augment_flip"
        )
        test_time_augmentation = st.checkbox(
            "Check new photos with changed copies too",
            value=defaults.test_time_augmentation,
            key="setting_test_time_augmentation",
            help="Test-time augmentation: when predicting, averages the answers for each photo "
            "and 8 copies of it, turned, zoomed and lit with the changes set here but never "
            "mirrored. Steadier answers, 9 times the work.",
        )
    with augment_right:
        rotation_degrees = st.slider(
            "Turn up to (degrees)",
            min_value=0,
            max_value=int(augmentation.MAX_ROTATION_DEGREES),
            value=int(default_augmentation.rotation_degrees),
            key="setting_augment_rotation",
        )
        zoom_percent = st.slider(
            "Zoom in or out up to",
            min_value=0,
            max_value=round(augmentation.MAX_ZOOM * 100),
            value=round(default_augmentation.zoom * 100),
            format="%d%%",
            key="setting_augment_zoom",
        )
        brightness_percent = st.slider(
            "Lighter or darker up to",
            min_value=0,
            max_value=round(augmentation.MAX_BRIGHTNESS * 100),
            value=round(default_augmentation.brightness * 100),
            format="%d%%",
            key="setting_augment_brightness",
        )
        contrast_percent = st.slider(
            "More or less contrast up to",
            min_value=0,
            max_value=round(augmentation.MAX_CONTRAST * 100),
            value=round(default_augmentation.contrast * 100),
            format="%d%%",
            key="setting_augment_contrast",
        )
    augmentation_settings = augmentation.AugmentationSettings(
        flip=bool(flip),
        rotation_degrees=float(rotation_degrees),
        zoom=zoom_percent / 100,
        brightness=brightness_percent / 100,
        contrast=contrast_percent / 100,
    )
    preview_choices = dataset.photos
    if len(dataset.photos) > PREVIEW_CHOICES:
        # A list of 20,000 photos would be sent to the browser on every run: the class
        # comes first, then one of its photos.
        preview_class = st.selectbox(
            "Preview on a photo of", options=list(counts), key="augmentation_preview_class"
        )
        preview_choices = [photo for photo in dataset.photos if photo.class_name == preview_class]
    preview_photos = {f"{photo.class_name}: {photo.file_name}": photo for photo in preview_choices}
    preview_name = st.selectbox(
        "Preview on", options=list(preview_photos), key="augmentation_preview_photo"
    )
    preview_photo = preview_photos[preview_name]
    views = augmented_views(
        str(preview_photo.path),
        preview_photo.content_hash,
        augmentation_settings.to_dict(),
        min(augmentation_views, PREVIEW_VIEWS) or PREVIEW_VIEWS,
    )
    if views:
        st.caption(messages.augmentation_preview_caption(int(augmentation_views), len(views)))
        grid = st.columns(PREVIEW_VIEWS // 2)
        for index, view in enumerate(views):
            grid[index % len(grid)].image(view, width="stretch")
    else:
        st.caption("This photo cannot be shown.")

    st.divider()
    fine_tune = st.checkbox(
        "Improve accuracy (fine-tune, slower; a GPU helps)",
        value=defaults.fine_tune,
        key="setting_fine_tune",
    )
    # Asked of ONNX Runtime: TensorFlow (which trains, on the workers) is never imported here.
    on_gpu = bool(runtimes.gpu_providers())
    st.caption(
        "After the usual training, the top of the pretrained network also learns from your "
        "photos, changed as above. It tells similar products apart better, but takes "
        + (
            "a few minutes on this server's GPU."
            if on_gpu
            else "much longer: this server has no GPU, so count minutes per round of learning."
        )
    )

settings = types.TrainingSettings(
    epochs=int(epochs),
    batch_size=int(batch_size),
    learning_rate=float(learning_rate),
    image_size=int(image_size),
    validation_split=validation_percent / 100,
    backbone=defaults.backbone,
    augmentation_views=int(augmentation_views),
    augmentation=augmentation_settings,
    test_time_augmentation=bool(test_time_augmentation),
    head_count=int(head_count),
    fine_tune=bool(fine_tune),
)

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

record = project.training_record()
if record is not None:
    st.divider()
    st.subheader("Last training")
    st.markdown(f"Trained {state.time_ago(record.created_at)}. {figures.record_sentence(record)}")
    measured = figures.record_headline(record)
    if measured is not None:
        st.caption(measured.basis)
    if project.changed_since_training:
        st.info(
            "You changed the classes or photos after this training. Train again to include "
            "the changes.",
            icon=":material/update:",
        )
    head_epochs = int(record.settings.get("epochs") or 0)
    history_figure = learning.training_history_figure(record.history)
    if record.settings.get("fine_tune") and len(record.history.get("loss", [])) > head_epochs:
        st.markdown(
            f"After {wording.plural(head_epochs, 'round', 'rounds')} of learning, the pretrained "
            "network was fine-tuned: the rounds right of the dotted line."
        )
        history_figure.add_vline(x=head_epochs + 0.5, line_dash="dot", line_color=common.MUTED)
    st.plotly_chart(
        history_figure,
        key="last_training_chart",
        config={"displayModeBar": False},
    )
    health.show_next_steps(project, record.evaluation)
    history.show_history(project)
    links = st.columns(3)
    with links[0]:
        state.page_link(state.EVALUATE_PAGE, label="Next: see where it is right and wrong")
    with links[1]:
        state.page_link(state.PREDICT_PAGE, label="Try it on new photos")
