"""What every chart of the app shares: its colours, its layout, and reading a click back.

The figure builders live in a module for each idea: `charts.class_counts`, `charts.learning`,
`charts.evaluation`, `charts.probabilities` and `charts.data_map` (the map of the data). None
imports Streamlit or TensorFlow, so every figure can be built and checked in a test; the words on
the axes are for people who have never trained a model.
"""

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

#: The colours of the app: the theme's primary colour, its companion, and warnings.
PRIMARY = "#2F6FDE"
SECONDARY = "#F28C28"
GOOD = "#2E9E5B"
WARNING = "#D64545"
MUTED = "#9AA5B1"

#: Up to this many classes, a chart of a bar per class has an upright (or thick) bar for each;
#: beyond, the bars lie one under another, thinner, the chart growing taller.
UPRIGHT_BARS = 12

_FONT = {"family": "Source Sans Pro, sans-serif", "size": 14}


def base_layout(figure: go.Figure, height: int) -> go.Figure:
    """Gives a figure the app's height, margins, font and background, and returns it."""
    figure.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 70, "b": 10},
        font=_FONT,
        plot_bgcolor="rgba(0,0,0,0)",
        paper_bgcolor="rgba(0,0,0,0)",
    )
    return figure


def percentage_bars(
    names: Sequence[str],
    percentages: Sequence[float],
    colours: Sequence[str],
    texts: Sequence[str],
    hover: str,
    title: str,
    axis_title: str,
) -> go.Figure:
    """A horizontal bar per name, its length a percentage, the first name on top.

    Args:
        names: The bars' names, top to bottom.
        percentages: Each bar's length, from 0 to 100.
        colours: Each bar's colour.
        texts: The words beside each bar.
        hover: The bars' hover template.
        title: The chart's title.
        axis_title: The words under the percentages' axis.

    Returns:
        The figure, without the app's layout (`base_layout`), whose height the caller picks.
    """
    figure = go.Figure(
        go.Bar(
            x=list(percentages),
            y=list(names),
            orientation="h",
            marker_color=list(colours),
            text=list(texts),
            textposition="outside",
            cliponaxis=False,
            hovertemplate=hover,
        )
    )
    # The axis reaches past 100 so that the words beside a full bar still fit.
    figure.update_layout(
        title={"text": title},
        xaxis={"title": axis_title, "range": [0, 112]},
        yaxis={"autorange": "reversed", "type": "category"},
        showlegend=False,
    )
    return figure


def selected_points(selection) -> list:
    """Returns the points of a `st.plotly_chart` selection state (a dict or an attribute tree)."""
    if not selection:
        return []
    inner = selection.get("selection") if isinstance(selection, Mapping) else None
    if inner is None:
        inner = getattr(selection, "selection", None)
    if inner is None:
        return []
    points = inner.get("points") if isinstance(inner, Mapping) else getattr(inner, "points", None)
    return list(points or [])
