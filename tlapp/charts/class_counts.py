"""The charts of Collect: how many photos each class has."""

import math
from collections.abc import Mapping

import plotly.graph_objects as go

from tlapp.charts import common
from tlcore import wording

#: More classes than this are summed up: a bar counts the classes with so many photos.
MOST_CLASS_BARS = 40
#: A bar of the summary of many classes names at most this many of its classes on hover.
HOVER_NAMES = 12


def photos_per_class_figure(
    counts: Mapping[str, int], minimum: int = 2, recommended: int = 10
) -> go.Figure:
    """A bar per class with its number of photos; too few photos show in red.

    A few classes stand side by side; more than `charts.common.UPRIGHT_BARS` lie one under
    another, the chart growing taller; more than `MOST_CLASS_BARS` are summed up by
    `photo_count_histogram`.

    Args:
        counts: The number of photos of each class, in the order to show.
        minimum: Classes with fewer photos cannot be trained and show in red.
        recommended: A dashed line marks this many photos, the number that trains well.

    Returns:
        The figure.
    """
    if len(counts) > MOST_CLASS_BARS:
        return photo_count_histogram(counts, minimum, recommended)
    names = list(counts)
    values = [int(counts[name]) for name in names]
    colours = [common.WARNING if value < minimum else common.PRIMARY for value in values]
    upright = len(names) <= common.UPRIGHT_BARS
    figure = go.Figure(
        go.Bar(
            x=names if upright else values,
            y=values if upright else names,
            orientation="v" if upright else "h",
            marker_color=colours,
            text=values,
            textposition="outside",
            cliponaxis=False,
            hovertemplate=(
                "%{x}: %{y} photos<extra></extra>"
                if upright
                else "%{y}: %{x} photos<extra></extra>"
            ),
            name="Photos",
        )
    )
    top = max([*values, recommended])
    photos_axis = {"title": "Photos", "rangemode": "tozero", "range": [0, top * 1.2 + 1]}
    classes_axis = {"title": None, "type": "category"}
    if upright:
        figure.add_hline(y=recommended, line_dash="dash", line_color=common.MUTED)
        figure.update_layout(yaxis=photos_axis, xaxis=classes_axis)
    else:
        figure.add_vline(x=recommended, line_dash="dash", line_color=common.MUTED)
        figure.update_layout(xaxis=photos_axis, yaxis={**classes_axis, "autorange": "reversed"})
    figure.update_layout(
        title={
            "text": "Photos per class",
            "subtitle": {"text": f"The dashed line marks {recommended} photos, a good number"},
        },
        showlegend=False,
    )
    return common.base_layout(figure, 320 if upright else 110 + 22 * len(names))


def photo_count_bins(
    counts: Mapping[str, int], minimum: int = 2, recommended: int = 10, most_bins: int = 30
) -> list[tuple[int, int, list[str]]]:
    """Sorts classes into ranges of photo counts, for a chart of many classes.

    Classes with fewer than `minimum` photos get a range of their own, so that its bar means
    exactly the classes that cannot be trained yet. The other ranges are equally wide and reach
    past the largest count and `recommended`.

    Args:
        counts: The number of photos of each class.
        minimum: The fewest photos a class needs to train.
        recommended: The number of photos that trains well; the ranges reach it.
        most_bins: The most ranges above `minimum`.

    Returns:
        `(fewest, most, class names)` for each range, fewest photos first; both ends count.
    """
    values = [int(value) for value in counts.values()]
    top = max([*values, recommended, minimum])
    width = max(1, math.ceil((top - minimum + 1) / most_bins))
    edges = [(0, minimum - 1)] if minimum > 0 else []
    edges += [(low, low + width - 1) for low in range(minimum, top + 1, width)]
    return [
        (low, high, [name for name, count in counts.items() if low <= int(count) <= high])
        for low, high in edges
    ]


def photo_count_histogram(
    counts: Mapping[str, int], minimum: int = 2, recommended: int = 10
) -> go.Figure:
    """How many classes have how many photos: the chart of photos per class for many classes.

    A bar per range of photo counts (`photo_count_bins`) counts the classes in it; the red bar
    holds the classes with too few photos to train, and its count shows in the subtitle too.
    Hovering a bar names its classes.

    Args:
        counts: The number of photos of each class.
        minimum: Classes with fewer photos cannot be trained and count in the red bar.
        recommended: A dashed line marks this many photos, the number that trains well.

    Returns:
        The figure.
    """
    bins = photo_count_bins(counts, minimum, recommended)
    centres, heights, widths, colours, hover = [], [], [], [], []
    for low, high, names in bins:
        centres.append((low + high) / 2)
        heights.append(len(names))
        widths.append((high - low + 1) * 0.85)
        colours.append(common.WARNING if high < minimum else common.PRIMARY)
        photos = f"{low} photos" if low == high else f"{low}–{high} photos"
        listed = ", ".join(names[:HOVER_NAMES])
        if len(names) > HOVER_NAMES:
            listed += f" and {len(names) - HOVER_NAMES} more"
        hover.append(
            f"<b>{wording.plural(len(names), 'class', 'classes')}</b> with {photos}"
            + (f"<br>{listed}" if names else "")
        )
    too_few = sum(1 for count in counts.values() if int(count) < minimum)
    subtitle = (
        f"Each bar counts the classes with so many photos; the dashed line marks {recommended}"
    )
    if too_few:
        subtitle = (
            f'<span style="color:{common.WARNING}"><b>{too_few} of {len(counts)} '
            f"classes have fewer than {minimum} photos</b> (red)</span>; the dashed line marks "
            f"{recommended}"
        )
    figure = go.Figure(
        go.Bar(
            x=centres,
            y=heights,
            width=widths,
            marker_color=colours,
            text=[str(height) if height else "" for height in heights],
            textposition="outside",
            # The counts keep their size above narrow bars, and the red bar's count is red.
            constraintext="none",
            textfont={"color": colours, "size": 13},
            cliponaxis=False,
            hovertext=hover,
            hovertemplate="%{hovertext}<extra></extra>",
            name="Classes",
        )
    )
    figure.add_vline(x=recommended, line_dash="dash", line_color=common.MUTED)
    figure.update_layout(
        title={
            "text": f"Photos per class, for your {len(counts)} classes",
            "subtitle": {"text": subtitle},
        },
        xaxis={"title": "Photos in a class", "rangemode": "tozero"},
        yaxis={"title": "Classes", "rangemode": "tozero", "range": [0, max(heights) * 1.2 + 1]},
        showlegend=False,
        bargap=0,
    )
    return common.base_layout(figure, 320)
