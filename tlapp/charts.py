"""Plotly figures for the app's pages: pure functions from tlcore results to figures.

Nothing here imports Streamlit or TensorFlow, so every figure can be built and checked in a
test. The words on the axes are for people who have never trained a model.
"""

import math
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from tlcore import headline, wording

#: The colours of the app: the theme's primary colour, its companion, and warnings.
PRIMARY = "#2F6FDE"
SECONDARY = "#F28C28"
GOOD = "#2E9E5B"
WARNING = "#D64545"
MUTED = "#9AA5B1"

LEARNING_LABEL = "Photos it learns from"
CHECKING_LABEL = "Photos kept aside to check it"

_FONT = {"family": "Source Sans Pro, sans-serif", "size": 14}


def _base_layout(figure: go.Figure, height: int) -> go.Figure:
    figure.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 70, "b": 10},
        font=_FONT,
        plot_bgcolor="rgba(0,0,0,0)",
        paper_bgcolor="rgba(0,0,0,0)",
    )
    return figure


#: The app's height, margins, font and background, for figures built in other modules.
base_layout = _base_layout


#: Up to this many classes, the chart of photos per class has an upright bar for each.
UPRIGHT_BARS = 12
#: More classes than this are summed up: a bar counts the classes with so many photos.
MOST_CLASS_BARS = 40
#: A bar of the summary of many classes names at most this many of its classes on hover.
HOVER_NAMES = 12


def photos_per_class_figure(
    counts: Mapping[str, int], minimum: int = 2, recommended: int = 10
) -> go.Figure:
    """A bar per class with its number of photos; too few photos show in red.

    A few classes stand side by side; more than `UPRIGHT_BARS` lie one under another, the chart
    growing taller; more than `MOST_CLASS_BARS` are summed up by `photo_count_histogram`.

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
    colours = [WARNING if value < minimum else PRIMARY for value in values]
    upright = len(names) <= UPRIGHT_BARS
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
        figure.add_hline(y=recommended, line_dash="dash", line_color=MUTED)
        figure.update_layout(yaxis=photos_axis, xaxis=classes_axis)
    else:
        figure.add_vline(x=recommended, line_dash="dash", line_color=MUTED)
        figure.update_layout(xaxis=photos_axis, yaxis={**classes_axis, "autorange": "reversed"})
    figure.update_layout(
        title={
            "text": "Photos per class",
            "subtitle": {"text": f"The dashed line marks {recommended} photos, a good number"},
        },
        showlegend=False,
    )
    return _base_layout(figure, 320 if upright else 110 + 22 * len(names))


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
        colours.append(WARNING if high < minimum else PRIMARY)
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
            f'<span style="color:{WARNING}"><b>{too_few} of {len(counts)} classes have fewer '
            f"than {minimum} photos</b> (red)</span>; the dashed line marks {recommended}"
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
    figure.add_vline(x=recommended, line_dash="dash", line_color=MUTED)
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
    return _base_layout(figure, 320)


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
        ("accuracy", 1, LEARNING_LABEL, PRIMARY, "solid", True),
        ("val_accuracy", 1, CHECKING_LABEL, SECONDARY, "dash", True),
        ("loss", 2, LEARNING_LABEL, PRIMARY, "solid", False),
        ("val_loss", 2, CHECKING_LABEL, SECONDARY, "dash", False),
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
    figure = _base_layout(figure, 380)
    figure.update_layout(margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return figure


def class_accuracy_figure(
    class_names: Sequence[str],
    accuracies: Sequence[float],
    most_shown: int = 25,
    supports: Sequence[int] | None = None,
) -> go.Figure:
    """A horizontal bar per class: the share of its checking photos the model got right.

    With more than `most_shown` classes, only the classes recognised worst are shown, worst
    first: those are the ones that need more or better photos.

    Args:
        class_names: The classes.
        accuracies: The share (0 to 1) of each class's photos recognised (its recall).
        most_shown: The most classes the chart shows.
        supports: How many photos of each class were checked: each bar then carries its
            likely range (Wilson) and its hover the count.

    Returns:
        The figure.
    """
    supports = list(supports) if supports is not None else [0] * len(class_names)
    checked = dict(zip(class_names, supports, strict=True))
    pairs = list(zip(class_names, (float(value) for value in accuracies), strict=True))
    title = "Recognised correctly, per class"
    if len(pairs) > most_shown:
        # A stable sort keeps classes that do equally well in their own order.
        pairs = sorted(pairs, key=lambda pair: pair[1])[:most_shown]
        title = f"The {most_shown} classes recognised worst, of {len(class_names)}"
    percentages = [value * 100 for _, value in pairs]
    colours = [
        GOOD if value >= 90 else SECONDARY if value >= 70 else WARNING for value in percentages
    ]
    figure = go.Figure(
        go.Bar(
            x=percentages,
            y=[name for name, _ in pairs],
            orientation="h",
            marker_color=colours,
            text=[f"{value:.0f}%" for value in percentages],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:.0f}% recognised<extra></extra>",
        )
    )
    if any(checked[name] for name, _ in pairs):
        _add_class_ranges(figure, pairs, checked)
    figure.update_layout(
        title={"text": title},
        xaxis={"title": "Photos recognised (%)", "range": [0, 112]},
        yaxis={"autorange": "reversed", "type": "category"},
        showlegend=False,
    )
    bar_height = 42 if len(pairs) <= UPRIGHT_BARS else 26
    return _base_layout(figure, max(220, 60 + bar_height * len(pairs)))


def _add_class_ranges(figure: go.Figure, pairs, checked: Mapping[str, int]) -> None:
    """Adds each class's likely range (Wilson) as an error bar, and its count to the hover."""
    ranges, hover = [], []
    for name, share in pairs:
        photos = checked[name]
        right = round(share * photos)
        low, high = headline.wilson_interval(right, photos)
        ranges.append((share - low, high - share))
        few = "; few photos, a rough figure" if photos < FEW_PHOTOS else ""
        hover.append(
            f"{name}: {right} of {photos} recognised ({share:.0%}, likely "
            f"{low:.0%}–{high:.0%}{few})"
        )
    figure.update_traces(
        error_x={
            "type": "data",
            "symmetric": False,
            "array": [above * 100 for _, above in ranges],
            "arrayminus": [below * 100 for below, _ in ranges],
            "color": MUTED,
        },
        hovertext=hover,
        hovertemplate="%{hovertext}<extra></extra>",
        textposition="inside",
        insidetextanchor="start",
    )


#: Fewer checked photos than this, and a class's figure is called rough.
FEW_PHOTOS = 10


#: Up to this many classes, each square of the confusion matrix shows its count.
MATRIX_NUMBERS = 15
#: Up to this many classes, the confusion matrix names them along its sides; beyond, only the
#: hover text does, as the names would overlap.
MATRIX_NAMES = 40


#: The light end of the colour scales of a matrix without numbers.
_TINTS = {GOOD: "#CDEBD8", WARNING: "#F6C9C9"}


def _matrix_height(class_count: int) -> int:
    """The height of the confusion matrix in pixels: its squares shrink as classes grow."""
    if class_count <= MATRIX_NUMBERS:
        return max(300, 120 + 60 * class_count)
    if class_count <= MATRIX_NAMES:
        return 180 + 26 * class_count
    return min(1100, 200 + 5 * class_count)


def confusion_matrix_figure(
    class_names: Sequence[str], confusion_matrix: Sequence[Sequence[int]]
) -> go.Figure:
    """A heatmap of what the model said (columns) for photos of each class (rows).

    Up to `MATRIX_NUMBERS` classes, each square shows its count. For more classes the squares
    are too small for numbers: empty squares are left blank and the others coloured from
    light to dark, so that a single mistake stands out; beyond `MATRIX_NAMES` classes the
    sides carry no names and hovering a square names its classes.

    Args:
        class_names: The classes, in the matrix's order.
        confusion_matrix: Counts; row = the photo's true class, column = the class predicted.

    Returns:
        The figure; the diagonal holds the photos recognised correctly.
    """
    names = list(class_names)
    counts = [[int(value) for value in row] for row in confusion_matrix]
    numbers = len(names) <= MATRIX_NUMBERS
    # Two layers share the grid: right answers (the diagonal) in green, mistakes in red, so a
    # square's colour says at once whether it is good news. A cell outside its layer is empty.
    right = [
        [value if row == column else None for column, value in enumerate(values)]
        for row, values in enumerate(counts)
    ]
    wrong = [
        [value if row != column else None for column, value in enumerate(values)]
        for row, values in enumerate(counts)
    ]
    figure = go.Figure()
    for layer, colour, label in ((right, GOOD, "right"), (wrong, WARNING, "wrong")):
        if numbers:
            largest = max([1, *(value for row in counts for value in row)])
            scale, bottom, text = [[0.0, "#F4F6FA"], [1.0, colour]], 0, "%{text}"
        else:
            # Without numbers, a square's colour is all there is: empty squares stay blank,
            # and each layer spans its own counts from a light tint, so one mistake among
            # hundreds of right answers still shows.
            layer = [[value or None for value in row] for row in layer]
            largest = max([1, *(value or 0 for row in layer for value in row)])
            scale, bottom, text = [[0.0, _TINTS[colour]], [1.0, colour]], 1, None
        figure.add_trace(
            go.Heatmap(
                z=layer,
                x=names,
                y=names,
                zmin=bottom,
                zmax=max(largest, bottom + 1),
                colorscale=scale,
                showscale=False,
                text=[["" if value is None else str(value) for value in row] for row in layer]
                if numbers
                else None,
                texttemplate=text,
                textfont={"size": 16},
                hovertemplate=(
                    "Really %{y}, the model said %{x}: %{z} photos<extra>" + label + "</extra>"
                ),
                hoverongaps=False,
                xgap=2 if len(names) <= MATRIX_NAMES else 0,
                ygap=2 if len(names) <= MATRIX_NAMES else 0,
                name=label,
            )
        )
    named = len(names) <= MATRIX_NAMES
    figure.update_layout(
        title={"text": "What the model said for each class"},
        xaxis={
            "title": "What the model said",
            "type": "category",
            "side": "bottom",
            "showticklabels": named,
            "showgrid": False,
        },
        yaxis={
            "title": "What the photo shows",
            "type": "category",
            "autorange": "reversed",
            "showticklabels": named,
            "showgrid": False,
        },
    )
    if not numbers:
        # The axes span the squares exactly (the clickable version's markers would otherwise
        # pad them), and the squares stay square however wide the page is.
        last = len(names) - 0.5
        figure.update_layout(
            xaxis={
                "tickfont": {"size": 11},
                "showline": True,
                "mirror": True,
                "linecolor": "#D5DAE1",
                "range": [-0.5, last],
                "autorange": False,
                "ticks": "" if not named else "outside",
                "constrain": "domain",
            },
            yaxis={
                "tickfont": {"size": 11},
                "showline": True,
                "mirror": True,
                "linecolor": "#D5DAE1",
                "range": [last, -0.5],
                "autorange": False,
                "ticks": "" if not named else "outside",
                "scaleanchor": "x",
                "constrain": "domain",
            },
        )
    return _base_layout(figure, _matrix_height(len(names)))


def probability_figure(
    class_names: Sequence[str], probabilities: Sequence[float], most_shown: int = 12
) -> go.Figure:
    """A horizontal bar per class with the model's probability for one photo, highest first.

    Args:
        class_names: Every class, in the model's order.
        probabilities: The probability of each class (0 to 1), in the same order.
        most_shown: The most classes shown: among hundreds, only the likeliest matter.

    Returns:
        The figure.
    """
    pairs = sorted(zip(class_names, probabilities, strict=True), key=lambda pair: -pair[1])
    title = "How sure the model is, per class"
    if len(pairs) > most_shown:
        title = f"How sure the model is: the {most_shown} likeliest of {len(pairs)} classes"
        pairs = pairs[:most_shown]
    percentages = [float(probability) * 100 for _, probability in pairs]
    colours = [PRIMARY if index == 0 else MUTED for index in range(len(pairs))]
    figure = go.Figure(
        go.Bar(
            x=percentages,
            y=[name for name, _ in pairs],
            orientation="h",
            marker_color=colours,
            text=[f"{value:.0f}%" if value >= 0.5 else "<1%" for value in percentages],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:.1f}%<extra></extra>",
        )
    )
    figure.update_layout(
        title={"text": title},
        xaxis={"title": "Probability (%)", "range": [0, 112]},
        yaxis={"autorange": "reversed", "type": "category"},
        showlegend=False,
    )
    return _base_layout(figure, max(200, 70 + 38 * len(pairs)))


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


def clickable_confusion_matrix_figure(
    class_names: Sequence[str], confusion_matrix: Sequence[Sequence[int]]
) -> go.Figure:
    """The confusion matrix, with each square clickable to show the photos behind it.

    Plotly's heatmaps send no usable selection to Streamlit, so an invisible square marker
    sits on each square and takes the clicks and the hover text instead; the marker of the
    square clicked shows as a frame. `selected_cell` reads the click back. Beyond
    `MATRIX_NUMBERS` classes only the squares with photos get a marker: a matrix of 200
    classes has 40,000 squares, nearly all empty, and a click anywhere goes to the nearest
    square that has photos to show.

    Args:
        class_names: The classes, in the matrix's order.
        confusion_matrix: Counts; row = the photo's true class, column = the class predicted.

    Returns:
        The figure: the two heatmap layers of `confusion_matrix_figure`, then the markers.
    """
    figure = confusion_matrix_figure(class_names, confusion_matrix)
    figure.update_traces(hoverinfo="skip", hovertemplate=None, selector={"type": "heatmap"})
    names = list(class_names)
    every_square = len(names) <= MATRIX_NUMBERS
    true_classes, predicted_classes, counts, texts = [], [], [], []
    for row, values in enumerate(confusion_matrix):
        row_total = sum(int(value) for value in values)
        for column, value in enumerate(values):
            if every_square or int(value) > 0:
                true_classes.append(names[row])
                predicted_classes.append(names[column])
                counts.append(int(value))
                texts.append(_square_text(int(value), row_total))
    if every_square:
        size, line = 46, 3
    else:
        # About the height of a square, so that the frame of the square clicked fits it.
        size, line = max(6, min(24, (_matrix_height(len(names)) - 150) // len(names))), 1.5
    figure.add_trace(
        go.Scatter(
            x=predicted_classes,
            y=true_classes,
            mode="markers",
            marker={
                "symbol": "square-open",
                "size": size,
                "color": "#1F2937",
                "line": {"width": line},
                "opacity": 0,
            },
            selected={"marker": {"opacity": 1}},
            unselected={"marker": {"opacity": 0}},
            text=texts,
            hovertemplate=(
                "Really %{y}, the model said %{x}: %{text}<br>"
                "<i>Click to see them</i><extra></extra>"
            ),
            showlegend=False,
            name="squares",
        )
    )
    # Every click goes to the nearest square's centre, which is the square clicked.
    figure.update_layout(hovermode="closest", hoverdistance=-1, clickmode="event+select")
    return figure


def _square_text(count: int, row_total: int) -> str:
    """The hover text of a square: "3 of 20 photos (15%, likely 5–36%)"."""
    if not row_total:
        return f"{count} photos"
    low, high = headline.wilson_interval(count, row_total)
    photos = wording.plural(row_total, "photo", "photos")
    return f"{count} of {photos} ({count / row_total:.0%}, likely {low:.0%}–{high:.0%})"


def _selected_points(selection) -> list:
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


def selected_cell(selection) -> tuple[str, str] | None:
    """Returns the square of the confusion matrix a person clicked.

    Args:
        selection: What `st.plotly_chart(clickable_confusion_matrix_figure(...),
            on_select=...)` returned, or its value in `st.session_state`.

    Returns:
        `(true class, predicted class)`, or None when no square is selected.
    """
    for point in _selected_points(selection):
        if point.get("x") is not None and point.get("y") is not None:
            return str(point["y"]), str(point["x"])
    return None


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
        data_map: A `tlcore.datamap.DataMap`.
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
            ("Other classes", {"color": MUTED, "opacity": 0.35}, others),
            (highlight, {"color": PRIMARY, "size": 10}, members),
        ]
    elif colour_by == "correct":
        right = [index for index, point in enumerate(points) if point.correct]
        wrong = [index for index, point in enumerate(points) if not point.correct]
        groups = [
            ("Recognised", {"color": GOOD}, right),
            ("Not recognised", {"color": WARNING}, wrong),
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
    return _base_layout(figure, 560)


def selected_point(selection, data_map) -> int | None:
    """Returns the index in `data_map.points` of the point a person clicked on the map.

    Args:
        selection: What `st.plotly_chart(data_map_figure(...), on_select=...)` returned.
        data_map: The map the figure was drawn from.

    Returns:
        The index, or None when no point is selected.
    """
    for point in _selected_points(selection):
        custom = point.get("customdata")
        if isinstance(custom, (list, tuple)) and custom:
            custom = custom[0]
        if isinstance(custom, (int, float)) and 0 <= int(custom) < len(data_map.points):
            return int(custom)
    return None
