"""Train's advanced settings: rounds, batch, learning speed, photo size, the share kept aside,
augmentation with its preview, and fine-tuning; every one has a default that works well."""

import streamlit as st

from tlapp.panels import augmentation_preview
from tlcore.data import augmentation, datasets
from tlcore.nets import backbones, runtimes
from tlcore.training import types


def show_settings(dataset: datasets.Dataset) -> types.TrainingSettings:
    """The "Advanced settings" expander; returns the settings it shows.

    Args:
        dataset: The project's photos, for the augmentation preview.

    Returns:
        The settings to train with: the defaults, unless the person changed them.
    """
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
            st.caption(
                "Photos are shrunk to this square. Smaller is faster; larger sees more detail."
            )
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
        augmentation_views, head_count, test_time_augmentation, augmentation_settings = (
            _show_augmentation(defaults)
        )
        augmentation_preview.show_preview(dataset, augmentation_settings, augmentation_views)

        st.divider()
        fine_tune = st.checkbox(
            "Improve accuracy (fine-tune, slower; a GPU helps)",
            value=defaults.fine_tune,
            key="setting_fine_tune",
        )
        # Asked of ONNX Runtime: TensorFlow (which trains, on the workers) is never imported
        # here.
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

    return types.TrainingSettings(
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


def _show_augmentation(
    defaults: types.TrainingSettings,
) -> tuple[int, int, bool, augmentation.AugmentationSettings]:
    """The "Augment photos" settings; returns the augmented views, the learners averaged,
    test-time augmentation and the augmentation settings."""
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
        zoom_percent = _percent_slider(
            "Zoom in or out up to",
            augmentation.MAX_ZOOM,
            default_augmentation.zoom,
            "setting_augment_zoom",
        )
        brightness_percent = _percent_slider(
            "Lighter or darker up to",
            augmentation.MAX_BRIGHTNESS,
            default_augmentation.brightness,
            "setting_augment_brightness",
        )
        contrast_percent = _percent_slider(
            "More or less contrast up to",
            augmentation.MAX_CONTRAST,
            default_augmentation.contrast,
            "setting_augment_contrast",
        )
    settings = augmentation.AugmentationSettings(
        flip=bool(flip),
        rotation_degrees=float(rotation_degrees),
        zoom=zoom_percent / 100,
        brightness=brightness_percent / 100,
        contrast=contrast_percent / 100,
    )
    return int(augmentation_views), int(head_count), bool(test_time_augmentation), settings


def _percent_slider(label: str, most: float, default: float, key: str) -> int:
    """A slider of a share in whole percent, from 0 to `most`."""
    return st.slider(
        label,
        min_value=0,
        max_value=round(most * 100),
        value=round(default * 100),
        format="%d%%",
        key=key,
    )
