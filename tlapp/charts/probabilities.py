"""The chart of a prediction: the model's probability for each class of one photo."""

from collections.abc import Sequence

import plotly.graph_objects as go

from tlapp.charts import common


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
    colours = [common.PRIMARY if index == 0 else common.MUTED for index in range(len(pairs))]
    figure = common.percentage_bars(
        [name for name, _ in pairs],
        percentages,
        colours,
        [f"{value:.0f}%" if value >= 0.5 else "<1%" for value in percentages],
        "%{y}: %{x:.1f}%<extra></extra>",
        title,
        "Probability (%)",
    )
    return common.base_layout(figure, max(200, 70 + 38 * len(pairs)))
