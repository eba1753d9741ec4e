"""Evaluate's headline: the accuracy to expect on new photos, with its range, in words."""

import streamlit as st

from tlapp import figures
from tlcore import store, wording
from tlcore.evaluation import headline, metrics


def headline_of_validation(scores: metrics.Evaluation) -> headline.Headline:
    """For a training before the headline: the validation photos' share, with its range."""
    right = round(scores.accuracy * scores.photo_count)
    low, high = headline.wilson_interval(right, scores.photo_count)
    return headline.Headline(
        scores.accuracy,
        low,
        high,
        f"Measured on the {scores.photo_count:,} photos kept aside, which may look like those "
        "it learned from: train again for a figure that allows for photos unlike them.",
        scores.photo_count,
    )


def show_headline(project: store.Project, record: store.TrainingRecord) -> None:
    """The photos kept aside, the figure to expect on new photos and what it means.

    Args:
        project: The open project.
        record: Its last training, with an evaluation.
    """
    scores = metrics.Evaluation.from_dict(record.evaluation)
    set_aside = wording.plural(scores.photo_count, "photo", "photos")
    st.markdown(
        f"Before learning, the computer put aside **{set_aside}** (some of each class) and never "
        "learned from them. Here is how it does on those photos."
    )
    if project.changed_since_training:
        st.info(
            "You changed the classes or photos after this training; these results are from the "
            "last training. Train again to update them.",
            icon=":material/update:",
        )

    metric_column, explanation = st.columns([1, 3], vertical_alignment="center")
    measured = figures.record_headline(record) or headline_of_validation(scores)
    metric_column.metric(
        "Expected on new photos",
        f"{measured.accuracy:.0%}",
        delta=f"likely {figures.percent_range(measured.low, measured.high)}",
        delta_color="off",
        delta_arrow="off",
        border=True,
        help=measured.basis,
    )
    if measured.accuracy >= 0.9:
        verdict = "That is very good."
    elif measured.accuracy >= 0.7:
        verdict = "That is a good start. More and more varied photos usually make it better."
    else:
        verdict = (
            "It still makes many mistakes. Add more photos of each class, from different angles "
            "and backgrounds, and train again."
        )
    explanation.markdown(
        f"{figures.headline_sentence(measured)} {verdict}  \n"
        f"On the photos kept aside here, like the ones it learned from, it named the right class "
        f"for **{figures.accuracy_with_range(scores.accuracy, scores.photo_count)}**."
    )
    explanation.caption(measured.basis)
