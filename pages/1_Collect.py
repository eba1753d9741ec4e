"""Collect: the project's classes and their photos, added by upload, zip or camera."""

import streamlit as st

from tlapp import state
from tlapp.jobs import arrivals
from tlapp.panels import class_cards, live_record, new_class, photo_uploads, readiness

space, owner, project = state.start_page("Collect photos")
project = state.require_project(project)

state.page_title(
    "1 · Collect photos",
    "Make a **class** for each kind of product the computer should recognise, then add photos "
    "of it: from your computer, from a zip, or with the camera. Photos from different angles, "
    "distances and backgrounds teach it best.",
)
editable = state.changes_allowed(project)

new_class.show_new_class_form(project, editable)
photo_uploads.show_zip_upload(project, editable)
arrivals.show_progress(project)

classes = project.classes()
if not classes:
    st.info(
        "Start by adding a class above, one for each product, for example *Apple* and *Milk*.",
        icon=":material/arrow_upward:",
    )
    st.stop()

if editable:
    live_record.show_recorder(project)
readiness.show_readiness(project)
class_cards.show_class_cards(project, classes, editable)
