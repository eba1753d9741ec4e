"""Predict's photos to recognise: uploaded, or taken with the camera, and how to look at them."""

import datetime

import streamlit as st

from tlapp import media


def show_test_time_toggle(trained) -> bool:
    """The test-time augmentation switch, on by default when the model was trained so.

    Args:
        trained: The project's model (`tlcore.serving.project_models.ProjectModel`).

    Returns:
        Whether each photo is also looked at through changed copies.
    """
    return st.toggle(
        "Also look at changed copies of each photo (test-time augmentation)",
        value=bool(trained.settings.test_time_augmentation),
        key="predict_test_time_augmentation",
        help="Averages the answers for the photo and 8 copies of it, a little turned, zoomed, "
        "lighter or darker (never mirrored): steadier answers, 9 times the work.",
    )


def show_photo_inputs(live_frame: tuple[str, bytes] | None) -> list[tuple[str, bytes]]:
    """The upload box and the camera, side by side.

    Args:
        live_frame: A picture taken from the live camera, if any, as `(name, bytes)`.

    Returns:
        The photos to recognise, as `(name, bytes)`: the camera's photo first, then the live
        camera's picture, then the uploaded photos.
    """
    upload_column, camera_column = st.columns([3, 2], gap="large")
    uploaded = upload_column.file_uploader(
        "Photos to recognise",
        type=media.PHOTO_UPLOAD_TYPES,
        accept_multiple_files=True,
        key="predict_upload",
        help="Choose one photo for a detailed answer, or many for a table.",
    )
    shot = None
    with camera_column:
        if st.toggle("Use the camera", key="predict_camera_on"):
            shot = st.camera_input("Take a photo", key="predict_camera")

    sources: list[tuple[str, bytes]] = []
    if shot is not None:
        stamp = datetime.datetime.now().strftime("%H:%M:%S")
        sources.append((f"camera photo {stamp}", shot.getvalue()))
    if live_frame is not None:
        sources.append(live_frame)
    sources.extend((file.name, file.getvalue()) for file in uploaded or [])
    return sources
