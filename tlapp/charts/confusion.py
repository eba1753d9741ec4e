"""Reading a confusion matrix of many classes: the pairs most often confused first, and the
classes they involve as a matrix small enough to carry their names.

An 81-class matrix on a page has squares of a few pixels and no room for names; the mistakes
that matter are a few dozen pairs. Pure functions from counts to figures (no Streamlit).
"""

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from tlapp.charts import common, evaluation
from tlcore.evaluation import headline

#: The most pairs the chart of confused pairs shows.
PAIRS_SHOWN = 15
#: The most classes in the matrix of the most confused classes: few enough for names.
CLASSES_SHOWN = 20


def confused_pairs(
    class_names: Sequence[str], confusion_matrix: Sequence[Sequence[int]], most: int = PAIRS_SHOWN
) -> list[dict]:
    """Returns the mistakes made most often, one entry a (true class, class said) pair.

    Args:
        class_names: The classes, in the matrix's order.
        confusion_matrix: Counts; row = the photo's true class, column = the class predicted.
        most: The most pairs returned.

    Returns:
        Dicts with `true_class`, `predicted_class`, `count`, `photos` (of the true class),
        `share`, `low` and `high` (its Wilson range), the most photos first.
    """
    counts = np.asarray(confusion_matrix, dtype=np.int64)
    pairs = []
    for row, column in zip(*np.nonzero(counts), strict=True):
        if row == column:
            continue
        photos = int(counts[row].sum())
        low, high = headline.wilson_interval(int(counts[row, column]), photos)
        pairs.append(
            {
                "true_class": class_names[row],
                "predicted_class": class_names[column],
                "count": int(counts[row, column]),
                "photos": photos,
                "share": counts[row, column] / photos,
                "low": low,
                "high": high,
            }
        )
    pairs.sort(key=lambda pair: (-pair["count"], -pair["share"], pair["true_class"]))
    return pairs[:most]


def most_confused_classes(
    confusion_matrix: Sequence[Sequence[int]], most: int = CLASSES_SHOWN
) -> list[int]:
    """Returns the indices of the classes in the most mistakes (made or received), in the
    matrix's order, so a sub-matrix of them holds the mistakes that matter."""
    counts = np.asarray(confusion_matrix, dtype=np.int64)
    mistakes = counts.sum(axis=0) + counts.sum(axis=1) - 2 * np.diag(counts)
    involved = [index for index in np.argsort(-mistakes, kind="stable") if mistakes[index] > 0]
    return sorted(int(index) for index in involved[:most])


def sub_matrix(
    class_names: Sequence[str], confusion_matrix: Sequence[Sequence[int]], indices: Sequence[int]
) -> tuple[list[str], list[list[int]]]:
    """Returns the names and the counts of the classes `indices` among themselves."""
    counts = np.asarray(confusion_matrix, dtype=np.int64)[np.ix_(indices, indices)]
    return [class_names[index] for index in indices], counts.tolist()


def confused_pairs_figure(pairs: Sequence[dict], class_count: int) -> go.Figure:
    """A horizontal bar per pair of `confused_pairs`: the share of the true class's photos
    taken for the other class, with its range, the most frequent mistake on top.

    Args:
        pairs: What `confused_pairs` returned.
        class_count: How many classes the model has, for the title.

    Returns:
        The figure.
    """
    labels = [
        f"{pair['true_class']} → {pair['predicted_class']} ({pair['count']} of {pair['photos']})"
        for pair in pairs
    ]
    shares = [pair["share"] * 100 for pair in pairs]
    figure = go.Figure(
        go.Bar(
            x=shares,
            y=labels,
            orientation="h",
            marker_color=common.WARNING,
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [(pair["high"] - pair["share"]) * 100 for pair in pairs],
                "arrayminus": [(pair["share"] - pair["low"]) * 100 for pair in pairs],
                "color": common.MUTED,
            },
            customdata=[
                [pair["count"], pair["photos"], pair["low"] * 100, pair["high"] * 100]
                for pair in pairs
            ],
            hovertemplate=(
                "%{y}: %{customdata[0]} of %{customdata[1]} photos (%{x:.0f}%, likely "
                "%{customdata[2]:.0f}–%{customdata[3]:.0f}%)<extra></extra>"
            ),
        )
    )
    figure.update_layout(
        title={"text": f"The mistakes it makes most often, of {class_count} classes"},
        xaxis={"title": "Share of the class's checked photos taken for the other (%)"},
        yaxis={"autorange": "reversed", "type": "category"},
        showlegend=False,
    )
    figure = common.base_layout(figure, max(220, 80 + 30 * len(pairs)))
    return figure


def zoomable_matrix_figure(
    class_names: Sequence[str], confusion_matrix: Sequence[Sequence[int]]
) -> go.Figure:
    """The whole matrix with every class's name on its sides, for zooming into: the names
    show once a drag has zoomed in far enough for them to fit."""
    figure = evaluation.confusion_matrix_figure(class_names, confusion_matrix)
    figure.update_xaxes(showticklabels=True, tickangle=-60)
    figure.update_yaxes(showticklabels=True)
    figure.update_layout(
        title={"text": "Every class (drag a box to zoom in; double-click to zoom out)"},
        height=max(700, 24 * len(class_names) // 2),
    )
    return figure
