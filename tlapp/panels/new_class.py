"""Collect's "New class" form: a class added by its name."""

import streamlit as st

from tlapp import state
from tlapp.panels import class_cards
from tlcore import store


def show_new_class_form(project: store.Project, editable: bool) -> None:
    """The form that adds a class; the page shows again with the new class's card.

    Args:
        project: The open project.
        editable: Whether this visitor may change the project; the form is disabled if not.
    """
    with st.form("add_class_form", clear_on_submit=True):
        name_column, button_column = st.columns([4, 1], vertical_alignment="bottom")
        new_class = name_column.text_input(
            "New class",
            placeholder="For example: Apple",
            key="new_class_name",
            disabled=not editable,
        )
        add_clicked = button_column.form_submit_button(
            "Add class",
            type="primary",
            icon=":material/add:",
            width="stretch",
            key="add_class",
            disabled=not editable,
        )
    if add_clicked:
        with state.user_errors():
            added_name = project.add_class(new_class)
            state.add_message("success", f"Added the class **{added_name}**. Now add its photos.")
            # Among many classes, the search box brings the new class's card into view.
            class_cards.bring_into_view(project, added_name)
            st.rerun()
