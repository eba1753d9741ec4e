"""Plotly figures for the app's pages: pure functions from tlcore results to figures.

Nothing here imports Streamlit or TensorFlow, so every figure can be built and checked in a
test. The words on the axes are for people who have never trained a model.
"""

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

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


def photos_per_class_figure(
    counts: Mapping[str, int], minimum: int = 2, recommended: int = 10
) -> go.Figure:
    """A bar per class with its number of photos; too few photos show in red.

    Args:
        counts: The number of photos of each class, in the order to show.
        minimum: Classes with fewer photos cannot be trained and show in red.
        recommended: A dashed line marks this many photos, the number that trains well.

    Returns:
        The figure.
    """
    names = list(counts)
    values = [int(counts[name]) for name in names]
    colours = [WARNING if value < minimum else PRIMARY for value in values]
    figure = go.Figure(
        go.Bar(
            x=names,
            y=values,
            marker_color=colours,
            text=values,
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{x}: %{y} photos<extra></extra>",
            name="Photos",
        )
    )
    figure.add_hline(y=recommended, line_dash="dash", line_color=MUTED)
    figure.update_layout(
        title={
            "text": "Photos per class",
            "subtitle": {"text": f"The dashed line marks {recommended} photos, a good number"},
        },
        yaxis={"title": "Photos", "rangemode": "tozero"},
        xaxis={"title": None, "type": "category"},
        showlegend=False,
    )
    top = max([*values, recommended])
    figure.update_yaxes(range=[0, top * 1.2 + 1])
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
    figure.update_xaxes(title_text="Round of learning", rangemode="tozero")
    figure.update_yaxes(title_text="Right (%)", range=[0, 105], row=1, col=1)
    figure.update_yaxes(title_text="Error", rangemode="tozero", row=1, col=2)
    figure.update_layout(
        legend={"orientation": "h", "yanchor": "bottom", "y": -0.35, "x": 0.5, "xanchor": "center"}
    )
    figure = _base_layout(figure, 380)
    figure.update_layout(margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return figure


def class_accuracy_figure(class_names: Sequence[str], accuracies: Sequence[float]) -> go.Figure:
    """A horizontal bar per class: the share of its checking photos the model got right.

    Args:
        class_names: The classes.
        accuracies: The share (0 to 1) of each class's photos recognised (its recall).

    Returns:
        The figure.
    """
    percentages = [float(value) * 100 for value in accuracies]
    colours = [
        GOOD if value >= 90 else SECONDARY if value >= 70 else WARNING for value in percentages
    ]
    figure = go.Figure(
        go.Bar(
            x=percentages,
            y=list(class_names),
            orientation="h",
            marker_color=colours,
            text=[f"{value:.0f}%" for value in percentages],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:.0f}% recognised<extra></extra>",
        )
    )
    figure.update_layout(
        title={"text": "Recognised correctly, per class"},
        xaxis={"title": "Photos recognised (%)", "range": [0, 112]},
        yaxis={"autorange": "reversed", "type": "category"},
        showlegend=False,
    )
    return _base_layout(figure, max(220, 60 + 42 * len(class_names)))


def confusion_matrix_figure(
    class_names: Sequence[str], confusion_matrix: Sequence[Sequence[int]]
) -> go.Figure:
    """A heatmap of what the model said (columns) for photos of each class (rows).

    Args:
        class_names: The classes, in the matrix's order.
        confusion_matrix: Counts; row = the photo's true class, column = the class predicted.

    Returns:
        The figure; the diagonal holds the photos recognised correctly.
    """
    names = list(class_names)
    counts = [[int(value) for value in row] for row in confusion_matrix]
    largest = max([1, *(value for row in counts for value in row)])
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
        figure.add_trace(
            go.Heatmap(
                z=layer,
                x=names,
                y=names,
                zmin=0,
                zmax=largest,
                colorscale=[[0.0, "#F4F6FA"], [1.0, colour]],
                showscale=False,
                text=[["" if value is None else str(value) for value in row] for row in layer],
                texttemplate="%{text}",
                textfont={"size": 16},
                hovertemplate=(
                    "Really %{y}, the model said %{x}: %{z} photos<extra>" + label + "</extra>"
                ),
                xgap=2,
                ygap=2,
                name=label,
            )
        )
    figure.update_layout(
        title={"text": "What the model said for each class"},
        xaxis={"title": "What the model said", "type": "category", "side": "bottom"},
        yaxis={"title": "What the photo shows", "type": "category", "autorange": "reversed"},
    )
    size = max(300, 120 + 60 * len(names))
    return _base_layout(figure, size)


def probability_figure(class_names: Sequence[str], probabilities: Sequence[float]) -> go.Figure:
    """A horizontal bar per class with the model's probability for one photo, highest first.

    Args:
        class_names: Every class, in the model's order.
        probabilities: The probability of each class (0 to 1), in the same order.

    Returns:
        The figure.
    """
    pairs = sorted(zip(class_names, probabilities, strict=True), key=lambda pair: -pair[1])
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
        title={"text": "How sure the model is, per class"},
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
    square clicked shows as a frame. `selected_cell` reads the click back.

    Args:
        class_names: The classes, in the matrix's order.
        confusion_matrix: Counts; row = the photo's true class, column = the class predicted.

    Returns:
        The figure: the two heatmap layers of `confusion_matrix_figure`, then the markers.
    """
    figure = confusion_matrix_figure(class_names, confusion_matrix)
    figure.update_traces(hoverinfo="skip", hovertemplate=None, selector={"type": "heatmap"})
    names = list(class_names)
    true_classes, predicted_classes, counts = [], [], []
    for row, values in enumerate(confusion_matrix):
        for column, value in enumerate(values):
            true_classes.append(names[row])
            predicted_classes.append(names[column])
            counts.append(int(value))
    figure.add_trace(
        go.Scatter(
            x=predicted_classes,
            y=true_classes,
            mode="markers",
            marker={
                "symbol": "square-open",
                "size": 46,
                "color": "#1F2937",
                "line": {"width": 3},
                "opacity": 0,
            },
            selected={"marker": {"opacity": 1}},
            unselected={"marker": {"opacity": 0}},
            text=[f"{count} photo" if count == 1 else f"{count} photos" for count in counts],
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


def data_map_figure(data_map, colour_by: str = "class") -> go.Figure:
    """Every photo as a point, placed by what the model sees in it.

    Args:
        data_map: A `tlcore.datamap.DataMap`.
        colour_by: "class" gives each class its colour; "correct" colours the photos that a
            model which never saw them gets right and wrong.

    Returns:
        The figure. Each point's `customdata` is its index in `data_map.points`, which
        `selected_point` reads back from a click.
    """
    groups: list[tuple[str, str, list[int]]] = []
    if colour_by == "correct":
        right = [index for index, point in enumerate(data_map.points) if point.correct]
        wrong = [index for index, point in enumerate(data_map.points) if not point.correct]
        groups = [("Recognised", GOOD, right), ("Not recognised", WARNING, wrong)]
    else:
        for number, name in enumerate(data_map.class_names):
            members = [
                index
                for index, point in enumerate(data_map.points)
                if point.photo.class_name == name
            ]
            groups.append((name, CLASS_COLOURS[number % len(CLASS_COLOURS)], members))
    figure = go.Figure()
    for label, colour, members in groups:
        points = [data_map.points[index] for index in members]
        figure.add_trace(
            go.Scatter(
                x=[point.x for point in points],
                y=[point.y for point in points],
                mode="markers",
                name=label,
                marker={"color": colour, "size": 9, "line": {"width": 0.5, "color": "white"}},
                customdata=[[index] for index in members],
                hovertext=[
                    f"<b>{point.photo.file_name}</b><br>Class: {point.photo.class_name}<br>"
                    f"A model that never saw it says: {point.predicted_class} "
                    f"({min(point.confidence, 0.99):.0%})"
                    for point in points
                ],
                hovertemplate="%{hovertext}<extra></extra>",
            )
        )
    shown = sum(data_map.variance_shares)
    figure.update_layout(
        title={
            "text": "Map of your photos",
            "subtitle": {
                "text": "Photos the model finds alike lie close together; click a point to "
                f"see the photo (the map shows {shown:.0%} of their differences)"
            },
        },
        xaxis={"title": None, "showticklabels": False, "zeroline": False},
        yaxis={"title": None, "showticklabels": False, "zeroline": False},
        legend={"title": {"text": "Colour"}, "itemsizing": "constant"},
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
