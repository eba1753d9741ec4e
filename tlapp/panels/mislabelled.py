"""Check data's "Maybe in the wrong class": photos a model that never saw them puts elsewhere."""

import streamlit as st

from tlapp.panels import photo_cards
from tlcore import store
from tlcore.checks import quality


def show_mislabelled(project: store.Project, report: quality.QualityReport, editable: bool) -> None:
    """The photos that may be in the wrong class, with a one-click move where it is sure.

    Args:
        project: The open project.
        report: The last check's report.
        editable: Whether this visitor may change the project.
    """
    if not report.mislabelled:
        st.success(
            "No photo looks like it belongs to another class.", icon=":material/check_circle:"
        )
        return
    st.caption(
        "A model that never saw these photos thinks they show another class than the one "
        "they are in; how sure it is was measured on your own photos. From "
        f"{report.settings.move_confidence:.0%} on it offers a one-click move; below, look "
        "at the photo and decide. Remove photos that show neither."
    )
    percent = photo_cards.percent

    def describe(item):
        return (
            item.photo,
            f"mislabelled_{item.photo.content_hash}",
            (
                f"Looks like **{item.suggested_class}** ({percent(item.confidence)} sure)"
                if item.offer_move
                else f"Check this photo: it may be **{item.suggested_class}** "
                f"({percent(item.confidence)} sure)"
            )
            + f"; {percent(item.label_probability)} for {item.photo.class_name}.",
            item.suggested_class if item.offer_move else None,
        )

    photo_cards.show_card_pages(
        project, report.mislabelled, "check_data_mislabelled_page", describe, editable
    )
