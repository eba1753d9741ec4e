"""What the model looked at: a Grad-CAM heatmap over a photo, as a small panel for any page.

The Predict page shows it under the answer for one photo; the Evaluate page beside the photos
it got wrong and the photos behind a square of the confusion matrix. Heatmaps are cached per
model, photo and class, so reruns of a page never compute one twice.
"""

import io

import streamlit as st

from tlcore import errors, images

OVERLAY_SIZE = 384

EXPLANATION_CAPTION = (
    "Red and yellow mark the parts of the photo that made the model choose "
    "**{explained}**; blue parts mattered least. The model sees only the centre of each photo, "
    "which is what is shown here."
)


def _model_key(trained) -> str:
    """Names a trained model for the cache: when it was trained, its base and its classes."""
    return "|".join([trained.created_at, trained.backbone_id, *trained.class_names])


@st.cache_data(max_entries=256, show_spinner=False)
def _explanation(
    _trained, model_key: str, photo: bytes, class_name: str | None, overlay_size: int
) -> dict:
    """Returns the overlay as JPEG bytes and the classes, for one model, photo and class.

    Args:
        _trained: The `tlcore.training_types.TrainedModel`; not part of the cache key.
        model_key: Names the model in the cache key.
        photo: The photo's bytes.
        class_name: The class to explain; the predicted one when None.
        overlay_size: The side of the overlay in pixels.

    Returns:
        `overlay` (JPEG bytes), `predicted_class`, `probability` and `explained_class`.
    """
    del model_key  # Only part of the cache key.
    from tlcore import explanations

    explanation = explanations.grad_cam(
        _trained, photo, class_name=class_name, overlay_size=overlay_size
    )
    buffer = io.BytesIO()
    explanation.overlay.save(buffer, format="JPEG", quality=88)
    return {
        "overlay": buffer.getvalue(),
        "predicted_class": explanation.predicted_class,
        "probability": explanation.probability,
        "explained_class": explanation.explained_class,
    }


def explanation_overlay(
    trained, photo: bytes, class_name: str | None = None, overlay_size: int = OVERLAY_SIZE
) -> dict:
    """Returns a cached explanation of one photo (see `_explanation` for its keys).

    Args:
        trained: The `tlcore.training_types.TrainedModel`.
        photo: The photo's bytes.
        class_name: The class to explain; the predicted one when None.
        overlay_size: The side of the overlay in pixels.

    Returns:
        The overlay's JPEG bytes and the classes.

    Raises:
        TlcoreError: If the photo cannot be read or the model cannot be explained.
    """
    return _explanation(trained, _model_key(trained), photo, class_name, overlay_size)


def show_explanation(trained, photo: bytes, answer=None, key: str = "predict_explain") -> None:
    """Shows what the model looked at in one photo, with a choice of the class to explain.

    Nothing is shown for a photo that could not be read (its `answer` has an error).

    Args:
        trained: The `tlcore.training_types.TrainedModel`.
        photo: The photo's bytes.
        answer: The `tlcore.prediction.Prediction` shown for the photo, if any.
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
        with st.spinner("Working out what the model looked at…"):
            result = explanation_overlay(trained, photo, chosen)
    except errors.TlcoreError as error:
        text_column.warning(str(error), icon=":material/warning:")
        return
    picture_column.image(result["overlay"], width="stretch")
    text_column.markdown(EXPLANATION_CAPTION.format(explained=result["explained_class"]))
    if result["explained_class"] != result["predicted_class"]:
        text_column.caption(
            f"The model itself chose {result['predicted_class']} for this photo "
            f"({result['probability']:.0%} sure)."
        )


def show_stored_explanation(trained, photo_path, class_name: str | None = None) -> None:
    """Shows the heatmap of a stored photo in place, under a caption; for photo galleries.

    Args:
        trained: The `tlcore.training_types.TrainedModel`.
        photo_path: Where the photo is stored.
        class_name: The class to explain; the predicted one when None.
    """
    try:
        with open(photo_path, "rb") as file:
            photo = file.read()
        with st.spinner("Working out what the model looked at…"):
            result = explanation_overlay(trained, photo, class_name)
    except (OSError, errors.TlcoreError) as error:
        st.caption(f"No heatmap for this photo: {error}")
        return
    st.image(result["overlay"], width="stretch")
    st.caption(f"What made it say {result['explained_class']}: red and yellow parts.")
