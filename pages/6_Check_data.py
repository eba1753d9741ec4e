"""Check your data: photos that may be mislabelled, near-duplicates, outliers, and a map of all.

The checks run on the photos' features from the pretrained network (cached on disk, so a
project that was trained is checked in seconds) by a worker when the person asks
(`tlapp.jobs.data_check`); the report is kept in the project, where any page shows it. Moving or
removing a photo takes one click and leaves that photo out of the lists until the next check.
"""

import streamlit as st

from tlapp import state
from tlapp.jobs import data_check
from tlapp.panels import (
    check_summary,
    health,
    mislabelled,
    near_copies,
    outliers,
    photo_map,
    testing_photos,
)
from tlcore import wording

space, owner, project = state.start_page("Check your data")
project = state.require_project(project)

state.page_title(
    "Check your data",
    "A model learns what its photos show, mistakes included. This page checks the **health** "
    "of your photos (blurred, dark, tiny, in two classes; small classes, classes taken in one "
    "sitting), looks for photos that are probably in the **wrong class**, photos that are "
    "**nearly the same** as another, and "
    "photos **unlike the rest of their class**, and draws a **map** of all your photos. Fix "
    "them with one click, then train again.",
)
editable = state.changes_allowed(project)

counts = project.photo_counts()
if sum(1 for count in counts.values() if count > 0) < 2:
    st.info(
        "Add photos to at least 2 classes first; then this page can check them.",
        icon=":material/info:",
    )
    state.page_link(state.COLLECT_PAGE, label="Go to Collect photos")
    st.stop()

# The check runs as a job on the workers; its report is saved in the project.
kept = data_check.show_check_controls(project)
if kept is None:
    st.info(
        "Press **Check my photos** to look for problems in your "
        f"{wording.plural(project.photo_count(), 'photo', 'photos')}. A project that was trained "
        "is checked in seconds; otherwise each photo is looked at once first.",
        icon=":material/info:",
    )
    st.stop()

report, data_map = kept["report"], kept["map"]
check_summary.show_summary(kept)
testing_photos.show_check_section(project, kept.get("test_near_copies"))

# The labels carry no counts, so the tab shown stays the same while photos are fixed.
health_tab, mislabelled_tab, duplicates_tab, outliers_tab, map_tab = st.tabs(
    [
        "Data health",
        "Maybe in the wrong class",
        "Nearly the same",
        "Unlike their class",
        "Map of your photos",
    ],
    key="check_data_tab",
    on_change="rerun",
)
with health_tab:
    health.show_findings(kept.get("health"), project, editable)
with mislabelled_tab:
    mislabelled.show_mislabelled(project, report, editable)
with duplicates_tab:
    near_copies.show_near_copies(project, report, editable)
with outliers_tab:
    outliers.show_outliers(project, report, data_map, editable)
with map_tab:
    photo_map.show_photo_map(project, report, data_map, editable)

state.page_link(state.TRAIN_PAGE, label="Next: train again on the corrected photos")
