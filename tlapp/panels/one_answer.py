"""Predict's answer for one photo: the photo, what the model says and how sure, its chart, and
below them teaching by correction and what the model looked at."""

import streamlit as st

from tlapp import media, messages
from tlapp.charts import probabilities
from tlapp.panels import explain, teach, try_photo
from tlcore import store
from tlcore.nets import prediction


def show_answer(
    project: store.Project,
    trained,
    source: tuple[str, bytes],
    answer: prediction.Prediction,
    tried: try_photo.TriedPhoto | None,
) -> None:
    """Shows the answer for one photo, with the ways to correct it and to see why.

    Args:
        project: The open project.
        trained: Its model (`tlcore.serving.project_models.ProjectModel`).
        source: The photo, as `(name, bytes)`.
        answer: The model's answer for it.
        tried: The set-aside photo it is, if the person tried one; None for their own photo.
    """
    picture_column, answer_column = st.columns([1, 2], gap="large")
    # The photo is shown from a small copy made safely: the file may not be a photo at all.
    preview = media.make_thumbnail(source[1], size=480)
    if preview is not None:
        picture_column.image(preview, caption=answer.file_name, width="stretch")
    with answer_column:
        try_photo.show_true_class(tried, answer.best_class)
        if answer.error is not None:
            st.error(
                f"'{answer.file_name}' cannot be used as a photo: {answer.error}.",
                icon=":material/error:",
            )
        else:
            _show_words(answer)
            st.plotly_chart(
                probabilities.probability_figure(answer.class_names, answer.probabilities),
                key="probability_chart",
                config={"displayModeBar": False},
            )
    teach.show_teach_panel(project, source[0], source[1], answer)
    explain.show_explanation(project, trained, source[1], answer)


def _show_words(answer: prediction.Prediction) -> None:
    """What the photo looks like, or "not sure" with the best guess and what would help."""
    best_class, best_probability = answer.top[0]
    if answer.is_sure:
        st.subheader(f"This looks like: {best_class}")
        st.markdown(f"The model is **{best_probability:.0%} sure**.")
        return
    runner_up = answer.top[1][0] if len(answer.top) > 1 else ""
    guess, threshold = messages.distinct_percents(best_probability, answer.threshold)
    st.subheader(messages.NOT_SURE_TITLE)
    st.markdown(
        f"Its best guess is **{best_class}**, but only at **{guess}**"
        + (f" (or perhaps {runner_up})" if runner_up else "")
        + ": less sure than it was of nearly all the set-aside photos it got right "
        f"(at least {threshold}). If the photo shows one of its classes, a clearer "
        "photo, or more training photos, would help."
    )
