"""The charts of Evaluate: each class's accuracy and the confusion matrix, clickable."""

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from tlapp.charts import common
from tlcore import wording
from tlcore.evaluation import headline


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
        common.GOOD if value >= 90 else common.SECONDARY if value >= 70 else common.WARNING
        for value in percentages
    ]
    figure = common.percentage_bars(
        [name for name, _ in pairs],
        percentages,
        colours,
        [f"{value:.0f}%" for value in percentages],
        "%{y}: %{x:.0f}% recognised<extra></extra>",
        title,
        "Photos recognised (%)",
    )
    if any(checked[name] for name, _ in pairs):
        _add_class_ranges(figure, pairs, checked)
    bar_height = 42 if len(pairs) <= common.UPRIGHT_BARS else 26
    return common.base_layout(figure, max(220, 60 + bar_height * len(pairs)))


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
            "color": common.MUTED,
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
_TINTS = {common.GOOD: "#CDEBD8", common.WARNING: "#F6C9C9"}


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
    for layer, colour, label in (
        (right, common.GOOD, "right"),
        (wrong, common.WARNING, "wrong"),
    ):
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
    return common.base_layout(figure, _matrix_height(len(names)))


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


def selected_cell(selection) -> tuple[str, str] | None:
    """Returns the square of the confusion matrix a person clicked.

    Args:
        selection: What `st.plotly_chart(clickable_confusion_matrix_figure(...),
            on_select=...)` returned, or its value in `st.session_state`.

    Returns:
        `(true class, predicted class)`, or None when no square is selected.
    """
    for point in common.selected_points(selection):
        if point.get("x") is not None and point.get("y") is not None:
            return str(point["y"]), str(point["x"])
    return None
