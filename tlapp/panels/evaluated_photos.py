"""Evaluate's photos: cards of evaluated photos, each with its answer and what the model looked
at, a page at a time; and the photos it got wrong."""

import streamlit as st

from tlapp import media, paging
from tlapp.panels import explain
from tlcore import store
from tlcore.evaluation import metrics

CARD_COLUMNS = 4
# The galleries show this many photos at a time, with a page picker for the rest.
PHOTOS_SHOWN = 24
MISTAKE_PAGE_KEY = "evaluate_mistake_page"


def show_photo_grid(
    project: store.Project, items: list[metrics.PhotoPrediction], key_prefix: str
) -> None:
    """Shows evaluated photos as cards, each with a switch for what the model looked at.

    Args:
        project: The open project.
        items: The photos' answers.
        key_prefix: Makes the switches' keys unique on the page.
    """
    for index, item in enumerate(items):
        if index % CARD_COLUMNS == 0:
            row = st.columns(CARD_COLUMNS)
        with row[index % CARD_COLUMNS].container(border=True):
            stored = project.find_photo(item.content_hash) if item.content_hash else None
            looked_at = stored is not None and st.toggle(
                "What it looked at", key=f"{key_prefix}_explain_{item.content_hash}"
            )
            if looked_at:
                explain.show_stored_explanation(
                    project,
                    stored.path,
                    class_name=item.predicted_class,
                    key=f"{key_prefix}_explain_{item.content_hash}",
                )
            else:
                picture = media.thumbnail(str(stored.path), stored.content_hash) if stored else None
                if picture is not None:
                    st.image(picture, width="stretch")
            st.markdown(
                f"**Really:** {item.true_class}  \n"
                f"**Model said:** {item.predicted_class} ({item.confidence:.0%} sure)"
            )
            st.caption(item.file_name if stored else f"{item.file_name} (no longer in the project)")


def show_paged_photo_grid(
    project: store.Project, items: list[metrics.PhotoPrediction], key_prefix: str, page_key: str
) -> None:
    """Shows a page of evaluated photos, with a page picker when they are many.

    Args:
        project: The open project.
        items: The photos' answers.
        key_prefix: Makes the switches' keys unique on the page.
        page_key: The key of the page picker.
    """
    show_photo_grid(
        project, paging.show_page(items, PHOTOS_SHOWN, page_key, ("photo", "photos")), key_prefix
    )


def show_mistakes(project: store.Project, scores: metrics.Evaluation) -> None:
    """ "The photos it got wrong", the most confident mistake first.

    Args:
        project: The open project.
        scores: The last training's evaluation.
    """
    st.subheader("The photos it got wrong")
    if not scores.misclassified:
        st.success("None: it recognised every set-aside photo.", icon=":material/celebration:")
        return
    st.caption(
        "The most confident mistakes come first. Switch on *What it looked at* to see which "
        "parts of a photo led the model astray. Photos that are unclear, or that show "
        "something from another class, are worth removing or moving on the Collect page or "
        "the Check your data page."
    )
    show_paged_photo_grid(project, scores.misclassified, "mistake", MISTAKE_PAGE_KEY)
