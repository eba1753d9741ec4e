"""Check data's "Nearly the same": pairs of photos the model can hardly tell apart."""

import streamlit as st

from tlapp import paging
from tlapp.panels import photo_cards
from tlcore import store
from tlcore.checks import quality


def show_near_copies(project: store.Project, report: quality.QualityReport, editable: bool) -> None:
    """The pairs of near-copies, side by side; a pair across two classes offers each move.

    Args:
        project: The open project.
        report: The last check's report.
        editable: Whether this visitor may change the project.
    """
    if not report.near_duplicates:
        st.success("No two photos are nearly the same.", icon=":material/check_circle:")
        return
    st.caption(
        "Pairs of photos the model can hardly tell apart. Across two classes, one of them "
        "is in the wrong class. Within a class, the second teaches the model little: "
        "keep the one that shows the most."
    )
    photo_cards.show_more_note(len(report.near_duplicates))
    start, stop = paging.show_page_picker(
        len(report.near_duplicates),
        photo_cards.SHOWN,
        "check_data_duplicates_page",
        ("pair", "pairs"),
    )
    for index in range(start, stop):
        pair = report.near_duplicates[index]
        with st.container(border=True):
            first_column, second_column, text_column = st.columns([1, 1, 2])
            with text_column:
                st.markdown(f"**{pair.similarity:.0%} alike**")
                if pair.same_class:
                    st.caption(f"Both in {pair.first.class_name}.")
                else:
                    st.warning(
                        f"In two classes: {pair.first.class_name} and {pair.second.class_name}.",
                        icon=":material/warning:",
                    )
            for column, photo, other, place in (
                (first_column, pair.first, pair.second, "first"),
                (second_column, pair.second, pair.first, "second"),
            ):
                with column:
                    photo_cards.show_card(
                        project,
                        photo,
                        f"duplicate_{index}_{place}",
                        "",
                        editable,
                        suggested_class=None if pair.same_class else other.class_name,
                    )
