"""Check data's "Unlike their class": photos far less like their class than its other photos."""

import streamlit as st

from tlapp.panels import photo_cards
from tlcore import store
from tlcore.checks import datamap, quality


def show_outliers(
    project: store.Project,
    report: quality.QualityReport,
    data_map: datamap.DataMap,
    editable: bool,
) -> None:
    """The photos unlike the rest of their class, with a one-click move where a model that
    never saw the photo is sure of another class.

    Args:
        project: The open project.
        report: The last check's report.
        data_map: The last check's map, whose points hold each photo's out-of-fold answer.
        editable: Whether this visitor may change the project.
    """
    if not report.outliers:
        st.success(
            "Every photo is like the other photos of its class.", icon=":material/check_circle:"
        )
        return
    st.caption(
        "Photos far less like their class than its other photos are: another subject, an "
        "unusual view, or a photo that slipped in by mistake. Keep them if they show the "
        "class in a way worth learning."
    )
    # A one-click move is offered only where a model that never saw the photo is sure.
    suggestions = {
        point.photo.content_hash: point.predicted_class
        for point in data_map.points
        if point.confidence >= report.settings.move_confidence
    }
    percent = photo_cards.percent

    def describe(item):
        return (
            item.photo,
            f"outlier_{item.photo.content_hash}",
            f"Likeness to the rest of {item.photo.class_name}: "
            f"**{percent(item.similarity)}**, where "
            f"{percent(item.typical_similarity)} is typical.",
            suggestions.get(item.photo.content_hash),
        )

    photo_cards.show_card_pages(
        project, report.outliers, "check_data_outliers_page", describe, editable
    )
