"""The headline and every accuracy with its range and count, in words for the pages.

Pure functions of a project's training record (no Streamlit), so the Train, Evaluate and Home
pages and their tests say the same thing the same way.
"""

from tlcore import wording
from tlcore.evaluation import headline
from tlcore.evaluation import metrics as evaluation

#: Fewer photos than this in a class, and its figure is marked as resting on few photos.
FEW_PHOTOS = 10


def record_headline(record) -> headline.Headline | None:
    """Returns the headline of a training record, or None for a training before it.

    Args:
        record: A `store.TrainingRecord`, or None.
    """
    if record is None:
        return None
    try:
        return headline.Headline.from_dict(record.headline)
    except (KeyError, TypeError, ValueError):
        # A record edited by hand loses only its headline; the page falls back to the rest.
        return None


def percent_range(low: float, high: float) -> str:
    """Returns "68–77%" for a range of fractions."""
    return f"{low:.0%}".rstrip("%") + f"–{high:.0%}"


def headline_sentence(measured: headline.Headline) -> str:
    """One sentence with the headline and its range, in Markdown.

    Args:
        measured: The headline.

    Returns:
        "On new photos, expect it to name the right class about **72%** of the time (likely
        between 68% and 77%)."
    """
    if measured.method == headline.BASIS_TEST:
        return (
            f"On the {measured.photo_count:,} test photos you added it named the right class "
            f"**{measured.accuracy:.0%}** of the time (likely between {measured.low:.0%} and "
            f"{measured.high:.0%} for photos like them)."
        )
    return (
        f"On new photos, expect it to name the right class about **{measured.accuracy:.0%}** "
        f"of the time (likely between {measured.low:.0%} and {measured.high:.0%})."
    )


def record_sentence(record) -> str:
    """The sentence the Train page leads with for a finished training.

    Args:
        record: A `store.TrainingRecord`.

    Returns:
        The headline sentence, or for a training before the headline was measured the share
        of validation photos recognised, with its range and a word on what it leaves out.
    """
    measured = record_headline(record)
    if measured is not None:
        return headline_sentence(measured)
    scores = (record.evaluation or {}) if record is not None else {}
    if "accuracy" not in scores:
        return ""
    return (
        f"It recognised **{scores['accuracy']:.0%}** of the photos it had not learned from "
        f"({accuracy_with_range(scores['accuracy'], int(scores.get('photo_count', 0)))}). "
        "Train again for a figure that allows for photos unlike the ones it learned from."
    )


def card_text(record) -> str:
    """The few words of a project's card on Home: "about 72% right on new photos (68–77%)".

    Args:
        record: A `store.TrainingRecord`, or None.

    Returns:
        The words, or "" when there is no headline to show.
    """
    measured = record_headline(record)
    if measured is None:
        return ""
    return (
        f"about {measured.accuracy:.0%} right on new photos "
        f"({percent_range(measured.low, measured.high)})"
    )


def accuracy_with_range(share: float, photo_count: int) -> str:
    """Returns "17 of 20 photos, likely 64–95%": a share with its count and Wilson range.

    Args:
        share: The share right, from 0 to 1.
        photo_count: How many photos it counts.
    """
    if photo_count <= 0:
        return "no photos"
    right = round(share * photo_count)
    low, high = headline.wilson_interval(right, photo_count)
    photos = wording.plural(photo_count, "photo", "photos")
    text = f"{right:,} of {photos}, likely {percent_range(low, high)}"
    if photo_count < FEW_PHOTOS:
        text += "; few photos, so a rough figure"
    return text


def class_ranges(per_class: list[evaluation.ClassMetrics]) -> list[tuple[float, float]]:
    """Returns the Wilson range of each class's share of photos recognised, in order."""
    return [
        headline.wilson_interval(round(metrics.recall * metrics.support), metrics.support)
        for metrics in per_class
    ]
