"""The chart of a training: how often the model is right, and how far off, round by round."""

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from tlapp.charts import common

LEARNING_LABEL = "Photos it learns from"
CHECKING_LABEL = "Photos kept aside to check it"


def training_history_figure(history: Mapping[str, Sequence[float]]) -> go.Figure:
    """Two charts side by side: how often the model is right, and how far off it is, by round.

    Args:
        history: Per-round figures with the keys `accuracy`, `val_accuracy`, `loss` and
            `val_loss` (any may be missing or shorter while training runs).

    Returns:
        The figure; its traces are named after the photos they are measured on.
    """
    figure = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("How often it is right", "How far off it is (lower is better)"),
        horizontal_spacing=0.1,
    )
    series = [
        ("accuracy", 1, LEARNING_LABEL, common.PRIMARY, "solid", True),
        ("val_accuracy", 1, CHECKING_LABEL, common.SECONDARY, "dash", True),
        ("loss", 2, LEARNING_LABEL, common.PRIMARY, "solid", False),
        ("val_loss", 2, CHECKING_LABEL, common.SECONDARY, "dash", False),
    ]
    for key, column, label, colour, dash, in_legend in series:
        values = [float(value) for value in history.get(key, [])]
        if column == 1:
            values = [value * 100 for value in values]
        figure.add_trace(
            go.Scatter(
                x=list(range(1, len(values) + 1)),
                y=values,
                mode="lines+markers" if len(values) < 40 else "lines",
                name=label,
                legendgroup=label,
                showlegend=in_legend,
                line={"color": colour, "dash": dash, "width": 2.5},
                marker={"size": 5},
                hovertemplate=(
                    "Round %{x}: %{y:.0f}%<extra>" + label + "</extra>"
                    if column == 1
                    else "Round %{x}: %{y:.3f}<extra>" + label + "</extra>"
                ),
            ),
            row=1,
            col=column,
        )
    rounds = max((len(values) for values in history.values()), default=0)
    # Rounds are whole numbers: with few of them, Plotly would otherwise mark halves too.
    figure.update_xaxes(
        title_text="Round of learning", rangemode="tozero", dtick=1 if rounds <= 10 else None
    )
    figure.update_yaxes(title_text="Right (%)", range=[0, 105], row=1, col=1)
    figure.update_yaxes(title_text="Error", rangemode="tozero", row=1, col=2)
    figure.update_layout(
        legend={"orientation": "h", "yanchor": "bottom", "y": -0.35, "x": 0.5, "xanchor": "center"}
    )
    figure = common.base_layout(figure, 380)
    figure.update_layout(margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return figure
