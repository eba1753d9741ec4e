"""The map of the data: every photo as a point, placed by what the model sees in it.

Pure functions from a `tlcore.checks.datamap.DataMap` to a Plotly figure, and back from a click to a
photo; the colours and layout are the app's (`tlapp.charts.common`).
"""

import numpy as np
import plotly.graph_objects as go

from tlapp.charts import common

#: The colours of the classes on the map of the data, repeated when there are more classes.
CLASS_COLOURS = (
    "#2F6FDE",
    "#F28C28",
    "#2E9E5B",
    "#D64545",
    "#8E5CC8",
    "#8C564B",
    "#E377C2",
    "#5E6B78",
    "#BCBD22",
    "#17BECF",
)


def class_colour(number: int, class_count: int) -> str:
    """Returns the colour of a class on the map of the data.

    Up to ten classes take the app's palette. More classes take hues spread around the colour
    wheel by the golden angle, in two shades, so that neighbours in the list never look alike.

    Args:
        number: The class's place in the list of classes, from 0.
        class_count: How many classes there are.

    Returns:
        A colour Plotly understands.
    """
    if class_count <= len(CLASS_COLOURS):
        return CLASS_COLOURS[number]
    hue = (number * 137.508) % 360
    lightness = 42 if number % 2 == 0 else 58
    return f"hsl({hue:.0f},65%,{lightness}%)"


#: From this many photos on, the map is drawn with WebGL (`go.Scattergl`): an SVG point per
#: photo makes the browser crawl long before 20,000 photos.
WEBGL_POINTS = 1500
#: Up to this many classes, the map has a legend with a colour per class; beyond, the legend
#: would cover the map, so hovering a point names its class instead.
LEGEND_CLASSES = 12


def data_map_figure(data_map, colour_by: str = "class", highlight: str | None = None) -> go.Figure:
    """Every photo as a point, placed by what the model sees in it.

    Args:
        data_map: A `tlcore.checks.datamap.DataMap`.
        colour_by: "class" gives each class its colour; "correct" colours the photos that a
            model which never saw them gets right and wrong.
        highlight: A class whose photos are drawn on top, in a strong colour, while the others
            fade; how to find one class among hundreds. None highlights nothing.

    Returns:
        The figure. Each point's `customdata` starts with its index in `data_map.points`,
        which `selected_point` reads back from a click, followed by the words of its hover
        text; its `hovertext` is the photo's file name.
    """
    points = data_map.points
    many_points = len(points) > WEBGL_POINTS
    trace_type = go.Scattergl if many_points else go.Scatter
    # Each trace is (label, its markers' colour settings, the indices of its points).
    groups: list[tuple[str, dict, list[int]]] = []
    faded = highlight is not None and highlight in data_map.class_names
    if faded:
        members = [
            index for index, point in enumerate(points) if point.photo.class_name == highlight
        ]
        others = [
            index for index, point in enumerate(points) if point.photo.class_name != highlight
        ]
        groups = [
            ("Other classes", {"color": common.MUTED, "opacity": 0.35}, others),
            (highlight, {"color": common.PRIMARY, "size": 10}, members),
        ]
    elif colour_by == "correct":
        right = [index for index, point in enumerate(points) if point.correct]
        wrong = [index for index, point in enumerate(points) if not point.correct]
        groups = [
            ("Recognised", {"color": common.GOOD}, right),
            ("Not recognised", {"color": common.WARNING}, wrong),
        ]
    elif len(data_map.class_names) > LEGEND_CLASSES:
        # One trace for every class, without a legend: each point's colour is its class's
        # number on a scale whose stops are the classes' colours, which sends the browser a
        # number per point rather than a colour's name.
        count = len(data_map.class_names)
        numbers = {name: number for number, name in enumerate(data_map.class_names)}
        colours = {
            "color": np.array(
                [numbers.get(point.photo.class_name, 0) for point in points], dtype=np.int32
            ),
            "colorscale": [
                [number / (count - 1), class_colour(number, count)] for number in range(count)
            ],
            "cmin": 0,
            "cmax": count - 1,
        }
        groups = [("Photos", colours, list(range(len(points))))]
    else:
        count = len(data_map.class_names)
        for number, name in enumerate(data_map.class_names):
            members = [
                index for index, point in enumerate(points) if point.photo.class_name == name
            ]
            groups.append((name, {"color": class_colour(number, count)}, members))
    figure = go.Figure()
    for label, colours, members in groups:
        shown = [points[index] for index in members]
        figure.add_trace(
            trace_type(
                # Arrays of numbers travel to the browser packed, not as text.
                x=np.array([point.x for point in shown], dtype=np.float32),
                y=np.array([point.y for point in shown], dtype=np.float32),
                mode="markers",
                name=label,
                # A group's own settings (a picked-out class's larger points) come last.
                marker={
                    "size": 5 if many_points else 9,
                    "line": {"width": 0 if many_points else 0.5, "color": "white"},
                    **colours,
                },
                # The words common to every point are in the template, once: 20,000 points
                # would otherwise carry them 20,000 times.
                customdata=[
                    [
                        index,
                        point.photo.class_name,
                        point.predicted_class,
                        f"{min(point.confidence, 0.99):.0%}",
                    ]
                    for index, point in zip(members, shown, strict=True)
                ],
                hovertext=[point.photo.file_name for point in shown],
                hovertemplate=(
                    "<b>%{hovertext}</b><br>Class: %{customdata[1]}<br>"
                    "A model that never saw it says: %{customdata[2]} (%{customdata[3]})"
                    "<extra></extra>"
                ),
            )
        )
    shown_share = sum(data_map.variance_shares)
    legend = len(groups) > 1
    figure.update_layout(
        title={
            "text": "Map of your photos",
            "subtitle": {
                "text": "Photos the model finds alike lie close together; click a point to "
                f"see the photo (the map shows {shown_share:.0%} of their differences)"
            },
        },
        xaxis={"title": None, "showticklabels": False, "zeroline": False},
        yaxis={"title": None, "showticklabels": False, "zeroline": False},
        legend={"title": {"text": "Colour"}, "itemsizing": "constant"},
        showlegend=legend,
        clickmode="event+select",
        hovermode="closest",
    )
    return common.base_layout(figure, 560)


def selected_point(selection, data_map) -> int | None:
    """Returns the index in `data_map.points` of the point a person clicked on the map.

    Args:
        selection: What `st.plotly_chart(data_map_figure(...), on_select=...)` returned.
        data_map: The map the figure was drawn from.

    Returns:
        The index, or None when no point is selected.
    """
    for point in common.selected_points(selection):
        custom = point.get("customdata")
        if isinstance(custom, (list, tuple)) and custom:
            custom = custom[0]
        if isinstance(custom, (int, float)) and 0 <= int(custom) < len(data_map.points):
            return int(custom)
    return None
