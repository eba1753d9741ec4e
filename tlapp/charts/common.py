"""What every chart of the app shares: its colours, its layout, and reading a click back.

The figure builders live in a module for each idea: `charts.class_counts`, `charts.learning`,
`charts.evaluation`, `charts.probabilities` and `charts.data_map` (the map of the data). None
imports Streamlit or TensorFlow, so every figure can be built and checked in a test; the words on
the axes are for people who have never trained a model.
"""

from collections.abc import Mapping

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
