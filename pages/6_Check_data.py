"""Check your data: photos that may be mislabelled, near-duplicates, outliers, and a map of all.

The checks run on the photos' features from the pretrained network (cached on disk, so a
project that was trained is checked in seconds) by a worker when the person asks
(`tlapp.jobs.data_check`); the report is kept in the project, where any page shows it. Moving or
removing a photo takes one click and leaves that photo out of the lists until the next check.
"""

import streamlit as st

from tlapp import media, paging, state
from tlapp.charts import data_map as data_map_charts
from tlapp.jobs import data_check
from tlapp.panels import health, testing_photos
from tlcore import errors, wording

MAP_KEY = "check_data_map"
HIGHLIGHT_KEY = "check_data_highlight"
# Each list shows this many photos (or pairs) at a time, with a page picker for the rest.
SHOWN = 12
CARD_COLUMNS = 4

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


def move_photo(content_hash: str, from_class: str, to_class: str, file_name: str) -> None:
    """Moves a photo to another class and leaves it out of the lists."""
    try:
        project.move_photo(content_hash, from_class, to_class)
    except errors.TlcoreError as error:
        state.add_message("error", str(error))
        return
    forget_photo(content_hash)
    state.add_message("success", f"Moved **{file_name}** from {from_class} to **{to_class}**.")


def remove_photo(content_hash: str, class_name: str, file_name: str) -> None:
    """Removes a photo from the project and leaves it out of the lists."""
    try:
        project.remove_photo(class_name, content_hash)
    except errors.TlcoreError as error:
        state.add_message("error", str(error))
        return
    forget_photo(content_hash)
    state.add_message("success", f"Removed **{file_name}** from {class_name}.")


def forget_photo(content_hash: str) -> None:
    """Leaves a photo out of the kept report, which stays otherwise valid."""
    data_check.forget_photo(project, content_hash)


def photo_card(reference, key: str, note: str, suggested_class: str | None = None) -> None:
    """Shows one photo with its note and the buttons that fix it.

    Args:
        reference: The `checks.photo_references.PhotoReference` of the photo.
        key: Makes the widgets' keys unique on the page.
        note: A line of Markdown under the photo.
        suggested_class: The class a one-click button moves it to, if any.
    """
    stored = project.find_photo(reference.content_hash)
    if stored is None:
        st.caption(f"{reference.file_name} is no longer in the project.")
        return
    picture = media.thumbnail(str(stored.path), stored.content_hash)
    if picture is not None:
        st.image(picture, width="stretch")
    if note:
        st.markdown(note)
    st.caption(f"{stored.file_name} · in {stored.class_name}")
    if not editable:
        return
    details = (stored.content_hash, stored.class_name)
    if suggested_class and suggested_class != stored.class_name:
        st.button(
            f"Move to {suggested_class}",
            key=f"{key}_move",
            icon=":material/drive_file_move:",
            type="primary",
            width="stretch",
            on_click=move_photo,
            args=(*details, suggested_class, stored.file_name),
        )
    others = [name for name in project.class_names if name != stored.class_name]
    if others:
        with st.popover("Move to another class", width="stretch"):
            target = st.selectbox("Class", others, key=f"{key}_target")
            st.button(
                "Move",
                key=f"{key}_move_other",
                on_click=move_photo,
                args=(*details, target, stored.file_name),
            )
    st.button(
        "Remove",
        key=f"{key}_remove",
        icon=":material/delete:",
        width="stretch",
        on_click=remove_photo,
        args=(stored.content_hash, stored.class_name, stored.file_name),
    )


def percent(share: float) -> str:
    """Writes a share as a percentage between 0% and 99%: no model is ever 100% sure."""
    return f"{min(max(share, 0.0), 0.99):.0%}"


def show_more_note(total: int) -> None:
    """Says that a long list is worth shortening before paging through it all."""
    if total > SHOWN:
        st.caption(
            "Deal with the first photos, then check again: the lists often shrink once the "
            "worst photos are fixed."
        )


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
button_label = "Check my photos" if kept is None else "Check again"
if kept is None:
    st.info(
        f"Press **{button_label}** to look for problems in your "
        f"{wording.plural(project.photo_count(), 'photo', 'photos')}. A project that was trained "
        "is checked in seconds; otherwise each photo is looked at once first.",
        icon=":material/info:",
    )
    st.stop()

report, data_map = kept["report"], kept["map"]
if kept["changed"]:
    st.caption(
        f"You moved or removed {wording.plural(kept['changed'], 'photo', 'photos')} since the "
        "check; they are left out of the lists. Check again to look at everything afresh, and "
        "train again so the model learns from the corrected photos."
    )

photos_metric, recognised_metric, mislabelled_metric, duplicates_metric, outliers_metric = (
    st.columns(5)
)
photos_metric.metric("Photos checked", f"{len(report.photos):,}", border=True)
recognised_metric.metric(
    "Recognised",
    f"{report.out_of_fold_accuracy:.0%}",
    border=True,
    help=f"Each photo is recognised by a model trained on the others ({report.settings.folds} "
    "rounds), so every photo gets an honest second opinion.",
)
mislabelled_metric.metric(
    "Wrong class?",
    len(report.mislabelled),
    border=True,
    help="Photos that may be in the wrong class: see the tab of that name.",
)
duplicates_metric.metric(
    "Near-copies",
    len(report.near_duplicates),
    border=True,
    help='Pairs of photos that are nearly the same: see the tab "Nearly the same".',
)
outliers_metric.metric("Unlike their class", len(report.outliers), border=True)
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
    health.show_findings(
        kept.get("health"), project, photo_card, remove_photo if editable else None
    )

with mislabelled_tab:
    if not report.mislabelled:
        st.success(
            "No photo looks like it belongs to another class.", icon=":material/check_circle:"
        )
    else:
        st.caption(
            "A model that never saw these photos thinks they show another class than the one "
            "they are in; how sure it is was measured on your own photos. From "
            f"{report.settings.move_confidence:.0%} on it offers a one-click move; below, look "
            "at the photo and decide. Remove photos that show neither."
        )
        show_more_note(len(report.mislabelled))
        shown = paging.show_page(
            report.mislabelled, SHOWN, "check_data_mislabelled_page", ("photo", "photos")
        )
        for index, item in enumerate(shown):
            if index % CARD_COLUMNS == 0:
                row = st.columns(CARD_COLUMNS)
            with row[index % CARD_COLUMNS].container(border=True):
                photo_card(
                    item.photo,
                    f"mislabelled_{item.photo.content_hash}",
                    (
                        f"Looks like **{item.suggested_class}** ({percent(item.confidence)} sure)"
                        if item.offer_move
                        else f"Check this photo: it may be **{item.suggested_class}** "
                        f"({percent(item.confidence)} sure)"
                    )
                    + f"; {percent(item.label_probability)} for {item.photo.class_name}.",
                    suggested_class=item.suggested_class if item.offer_move else None,
                )

with duplicates_tab:
    if not report.near_duplicates:
        st.success("No two photos are nearly the same.", icon=":material/check_circle:")
    else:
        st.caption(
            "Pairs of photos the model can hardly tell apart. Across two classes, one of them "
            "is in the wrong class. Within a class, the second teaches the model little: "
            "keep the one that shows the most."
        )
        show_more_note(len(report.near_duplicates))
        start, stop = paging.show_page_picker(
            len(report.near_duplicates), SHOWN, "check_data_duplicates_page", ("pair", "pairs")
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
                            f"In two classes: {pair.first.class_name} and "
                            f"{pair.second.class_name}.",
                            icon=":material/warning:",
                        )
                with first_column:
                    photo_card(
                        pair.first,
                        f"duplicate_{index}_first",
                        "",
                        suggested_class=None if pair.same_class else pair.second.class_name,
                    )
                with second_column:
                    photo_card(
                        pair.second,
                        f"duplicate_{index}_second",
                        "",
                        suggested_class=None if pair.same_class else pair.first.class_name,
                    )

with outliers_tab:
    if not report.outliers:
        st.success(
            "Every photo is like the other photos of its class.", icon=":material/check_circle:"
        )
    else:
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
        show_more_note(len(report.outliers))
        shown = paging.show_page(
            report.outliers, SHOWN, "check_data_outliers_page", ("photo", "photos")
        )
        for index, item in enumerate(shown):
            if index % CARD_COLUMNS == 0:
                row = st.columns(CARD_COLUMNS)
            with row[index % CARD_COLUMNS].container(border=True):
                photo_card(
                    item.photo,
                    f"outlier_{item.photo.content_hash}",
                    f"Likeness to the rest of {item.photo.class_name}: "
                    f"**{percent(item.similarity)}**, where "
                    f"{percent(item.typical_similarity)} is typical.",
                    suggested_class=suggestions.get(item.photo.content_hash),
                )

with map_tab:
    option_column, highlight_column = st.columns([1, 1], vertical_alignment="bottom")
    with option_column:
        colour_by = st.segmented_control(
            "Colour the photos by",
            ["class", "correct"],
            format_func={"class": "Class", "correct": "Recognised or not"}.get,
            default="class",
            key="check_data_colour",
        )
    highlight = None
    if len(data_map.class_names) > data_map_charts.LEGEND_CLASSES:
        # Hundreds of colours cannot be told apart: one class at a time stands out instead.
        if st.session_state.get(HIGHLIGHT_KEY) not in [None, *data_map.class_names]:
            del st.session_state[HIGHLIGHT_KEY]
        highlight = highlight_column.selectbox(
            "Pick out a class",
            data_map.class_names,
            index=None,
            placeholder="All classes",
            key=HIGHLIGHT_KEY,
            help="Draws the photos of one class on top, in blue; the others fade.",
        )
    chart_column, photo_column = st.columns([3, 1], gap="medium")
    with chart_column:
        selection = st.plotly_chart(
            data_map_charts.data_map_figure(data_map, colour_by or "class", highlight=highlight),
            key=MAP_KEY,
            on_select="rerun",
            selection_mode="points",
            config={"displayModeBar": False},
        )
        st.caption(
            f"Recognised by a model that never saw them: {data_map.correct_share:.0%}. Points "
            "of one class far inside another's cloud are worth a look."
            + (
                " Hover a point to see its class."
                if len(data_map.class_names) > data_map_charts.LEGEND_CLASSES
                else ""
            )
        )
    with photo_column:
        chosen = data_map_charts.selected_point(selection, data_map)
        if chosen is None:
            st.info("Click a point to see its photo here.", icon=":material/touch_app:")
        else:
            point = data_map.points[chosen]
            with st.container(border=True):
                photo_card(
                    point.photo,
                    "map_photo",
                    f"A model that never saw it says **{point.predicted_class}** "
                    f"({percent(point.confidence)}).",
                    suggested_class=(
                        point.predicted_class
                        if point.confidence >= report.settings.move_confidence
                        else None
                    ),
                )

state.page_link(state.TRAIN_PAGE, label="Next: train again on the corrected photos")
