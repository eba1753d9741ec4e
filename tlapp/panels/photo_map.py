"""Check data's "Map of your photos": every photo as a point, placed by what the model sees in
it; a click shows the photo with its fix."""

import streamlit as st

from tlapp.charts import data_map as data_map_charts
from tlapp.panels import photo_cards
from tlcore import store
from tlcore.checks import datamap, quality

MAP_KEY = "check_data_map"
HIGHLIGHT_KEY = "check_data_highlight"


def show_photo_map(
    project: store.Project,
    report: quality.QualityReport,
    data_map: datamap.DataMap,
    editable: bool,
) -> None:
    """The map, coloured by class or by whether the photo was recognised, and the photo of the
    point clicked.

    Args:
        project: The open project.
        report: The last check's report.
        data_map: The last check's map.
        editable: Whether this visitor may change the project.
    """
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
    many_classes = len(data_map.class_names) > data_map_charts.LEGEND_CLASSES
    if many_classes:
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
            + (" Hover a point to see its class." if many_classes else "")
        )
    with photo_column:
        chosen = data_map_charts.selected_point(selection, data_map)
        if chosen is None:
            st.info("Click a point to see its photo here.", icon=":material/touch_app:")
            return
        point = data_map.points[chosen]
        with st.container(border=True):
            photo_cards.show_card(
                project,
                point.photo,
                "map_photo",
                f"A model that never saw it says **{point.predicted_class}** "
                f"({photo_cards.percent(point.confidence)}).",
                editable,
                suggested_class=(
                    point.predicted_class
                    if point.confidence >= report.settings.move_confidence
                    else None
                ),
            )
