"""Train's preview of augmentation: the changed copies of one photo that training would see."""

import streamlit as st

from tlapp import messages
from tlcore import errors
from tlcore.data import augmentation, datasets

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


def show_preview(
    dataset: datasets.Dataset,
    settings: augmentation.AugmentationSettings,
    augmentation_views: int,
) -> None:
    """A choice of photo, and its changed copies under the settings chosen.

    Args:
        dataset: The project's photos.
        settings: The augmentation settings as the sliders set them.
        augmentation_views: The changed copies of each photo training learns from; the
            preview shows as many, up to `PREVIEW_VIEWS` (and that many when none).
    """
    preview_choices = dataset.photos
    if len(dataset.photos) > PREVIEW_CHOICES:
        # A list of 20,000 photos would be sent to the browser on every run: the class
        # comes first, then one of its photos.
        preview_class = st.selectbox(
            "Preview on a photo of",
            options=list(dataset.counts()),
            key="augmentation_preview_class",
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
        settings.to_dict(),
        min(augmentation_views, PREVIEW_VIEWS) or PREVIEW_VIEWS,
    )
    if views:
        st.caption(messages.augmentation_preview_caption(int(augmentation_views), len(views)))
        grid = st.columns(PREVIEW_VIEWS // 2)
        for index, view in enumerate(views):
            grid[index % len(grid)].image(view, width="stretch")
    else:
        st.caption("This photo cannot be shown.")
