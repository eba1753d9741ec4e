"""Collect's photos per class, and whether the project is ready to train."""

import streamlit as st

from tlapp import messages, state
from tlapp.charts import class_counts
from tlapp.panels import testing_photos
from tlcore import store

MINIMUM_PHOTOS = 2
RECOMMENDED_PHOTOS = 10


def show_readiness(project: store.Project) -> None:
    """The chart of photos per class beside "Ready to train?", its advice and the next step.

    Args:
        project: The open project.
    """
    counts = project.photo_counts()
    chart_column, status_column = st.columns([3, 2], gap="large")
    with chart_column:
        st.plotly_chart(
            class_counts.photos_per_class_figure(counts, MINIMUM_PHOTOS, RECOMMENDED_PHOTOS),
            key="photos_per_class_chart",
            config={"displayModeBar": False},
        )
    with status_column:
        st.markdown("#### Ready to train?")
        readiness = messages.readiness_messages(counts, MINIMUM_PHOTOS, RECOMMENDED_PHOTOS)
        for kind, text in readiness:
            getattr(st, kind)(text)
        if all(kind in ("success", "info") for kind, _ in readiness):
            state.page_link(state.TRAIN_PAGE, label="Next: train the model")
        testing_photos.show_collect_note(project)
