"""The figure the app leads with: the accuracy to expect on new photos, with its range.

A model checked on photos like those it learned from looks better than it will be in a shop.
On the grocery photos (81 classes), validation photos held out at random were 94% right,
validation photos held out in whole groups of near-copies 85%, and photos of the same products
taken on another day 71%. No hold-out inside one day's photos can show how unlike the next
day's photos will be; the one that comes closest holds out, in each class, the groups of
near-copies least like the rest of the class (`least_alike_rows`), the way spatial
cross-validation holds out whole regions, and checks them with a second model trained the same
way without them. On the grocery photos that figure was 67-72% over three seeds, against
71-72% on the other day's photos (see docs/benchmarks.md).

The headline is that figure, with a bootstrap range that draws whole groups of near-copies
(photos of one group are right or wrong together, so counting them as independent photos would
make the range too narrow). Every figure comes from photos the model that was scored never
learned from; nothing is subtracted or scaled. When the project has test photos, the headline
is their accuracy instead.
"""

import dataclasses
import statistics
from collections.abc import Sequence

import numpy as np

from tlcore.features import cosine

# The share of bootstrap draws the range holds.
CONFIDENCE = 0.95
BOOTSTRAP_REPEATS = 2000

# The kinds of measurement, and the sentence that says how each was made.
BASIS_LEAST = "least alike photos"
BASIS_TEST = "test photos"


@dataclasses.dataclass(frozen=True)
class Headline:
    """An accuracy on photos the model never learned from, with its range.

    Args:
        accuracy: The share of those photos named right, from 0 to 1.
        low: The low end of the range (`CONFIDENCE` of bootstrap draws above it).
        high: The high end of the range.
        basis: How it was measured, in plain words for a person.
        photo_count: How many photos it counts.
        method: `BASIS_LEAST` or `BASIS_TEST`.
        parts: The figures it was made of, for the curious: name -> {accuracy, photos}.
    """

    accuracy: float
    low: float
    high: float
    basis: str
    photo_count: int = 0
    method: str = BASIS_LEAST
    parts: dict = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict:
        """Returns the headline as plain JSON-ready data (fractions)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> "Headline | None":
        """Rebuilds a headline from `to_dict`'s output; None for a model saved before it.

        Raises:
            ValueError: If a figure is not a fraction or the range does not hold the accuracy.
        """
        if data is None:
            return None
        headline = cls(
            accuracy=float(data["accuracy"]),
            low=float(data["low"]),
            high=float(data["high"]),
            basis=str(data.get("basis", "")),
            photo_count=int(data.get("photo_count", 0)),
            method=str(data.get("method", BASIS_LEAST)),
            parts=dict(data.get("parts") or {}),
        )
        # A billionth of slack: trainings saved before `wilson_interval` gave exactly 1 for all
        # right stored 0.9999999999999999 as the top of the range of an accuracy of 1.
        slack = 1e-9
        holds = headline.low - slack <= headline.accuracy <= headline.high + slack
        if not (holds and 0.0 <= headline.low and headline.high <= 1.0):
            raise ValueError("The headline's figures are not a range around its accuracy.")
        return headline


def wilson_interval(right: int, total: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Returns the Wilson score interval of a share `right / total`.

    It stays inside 0-1 and is sensible for a handful of photos, unlike the normal
    approximation, which gives 100% +- 0 for 3 of 3.

    Args:
        right: How many were right.
        total: How many there were.
        confidence: The interval's confidence.

    Returns:
        (low, high); (0, 1) when there is nothing to count.
    """
    if total <= 0:
        return 0.0, 1.0
    z = statistics.NormalDist().inv_cdf(0.5 + confidence / 2)
    share = right / total
    denominator = 1 + z * z / total
    centre = (share + z * z / (2 * total)) / denominator
    spread = share * (1 - share) / total + z * z / (4 * total * total)
    half_width = z * np.sqrt(spread) / denominator
    low, high = max(0.0, centre - half_width), min(1.0, centre + half_width)
    # At 0 or all right the bound is exactly 0 or 1; rounding made it 0.9999999999999999,
    # below the accuracy itself, and a saved headline was then refused as no range around it.
    if right >= total:
        high = 1.0
    if right <= 0:
        low = 0.0
    return float(low), float(high)


def group_bootstrap_interval(
    correct: Sequence[bool],
    groups: Sequence[int],
    confidence: float = CONFIDENCE,
    repeats: int = BOOTSTRAP_REPEATS,
    seed: int = 0,
) -> tuple[float, float]:
    """Returns a bootstrap range of an accuracy, drawing whole groups of photos.

    Args:
        correct: Whether each photo was named right.
        groups: Each photo's group; photos of one group are drawn together.
        confidence: The share of draws inside the range.
        repeats: How many draws.
        seed: Seeds the draws, so one training always gives the same range.

    Returns:
        (low, high); (0, 1) with no photo. When every photo is right (or every one wrong)
        the draws cannot differ, and the Wilson range over the groups is given instead.
    """
    correct = np.asarray(correct, dtype=np.float64)
    if correct.size == 0:
        return 0.0, 1.0
    draws = _group_bootstrap_draws(correct, groups, repeats, seed)
    low, high = _range_of(draws, float(correct.mean()), confidence)
    if low == high:
        # Every photo right (or every one wrong): no draw can differ, yet a few dozen groups
        # do not prove 100%. The Wilson range over the groups, the independent answers,
        # says how far it may be off.
        group_count = len(np.unique(np.asarray(groups)))
        return wilson_interval(round(low * group_count), group_count, confidence)
    return low, high


def _group_bootstrap_draws(
    correct, groups, repeats: int = BOOTSTRAP_REPEATS, seed: int = 0
) -> np.ndarray:
    """Returns `repeats` accuracies, each of a draw of whole groups with replacement."""
    correct = np.asarray(correct, dtype=np.float64)
    _, group_index = np.unique(np.asarray(groups), return_inverse=True)
    right_per_group = np.bincount(group_index, weights=correct)
    photos_per_group = np.bincount(group_index).astype(np.float64)
    draws = np.random.default_rng(seed).integers(
        0, len(photos_per_group), size=(repeats, len(photos_per_group))
    )
    return right_per_group[draws].sum(axis=1) / photos_per_group[draws].sum(axis=1)


def _range_of(draws: np.ndarray, share: float, confidence: float = CONFIDENCE):
    """The central `confidence` of the draws, widened to hold `share` itself."""
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail])
    return float(min(low, share)), float(max(high, share))


def least_alike_rows(
    features: np.ndarray, labels: Sequence[int], groups: Sequence[int], counts: Sequence[int]
) -> np.ndarray:
    """Returns, in each class, up to `counts[class]` photos from the groups least like the rest.

    A group's likeness is the mean, over its photos, of the cosine similarity (of centred
    features) to the closest photo of the same class outside the group. Whole groups are taken,
    least alike first, while they fit in the count; a group is never split, since a near-copy
    left to learn from would make its photos easy, and a group too big to fit is passed over,
    so that no class loses more than its count of photos to learn from.

    Args:
        features: `(photos, feature_count)` features of the photos as they are.
        labels: Each photo's class index.
        groups: Each photo's near-copy group (`features.splitting.near_copy_groups`).
        counts: The most photos to take from each class (`features.splitting.validation_counts`).

    Returns:
        The sorted rows taken.
    """
    labels = np.asarray(labels, dtype=np.int64)
    groups = np.asarray(groups, dtype=np.int64)
    vectors = cosine.normalise(features)
    chosen: list[int] = []
    for class_index, wanted in enumerate(counts):
        members = np.flatnonzero(labels == class_index)
        likeness = []
        for group in np.unique(groups[members]):
            inside = members[groups[members] == group]
            outside = members[groups[members] != group]
            if not len(outside):
                continue
            closest = (vectors[inside] @ vectors[outside].T).max(axis=1)
            likeness.append((float(closest.mean()), int(group), inside))
        likeness.sort(key=lambda item: (item[0], item[1]))
        taken = 0
        for _, _, inside in likeness:
            if taken + len(inside) <= wanted:
                chosen.extend(inside.tolist())
                taken += len(inside)
    return np.array(sorted(chosen), dtype=np.int64)


def least_alike_headline(
    least_alike_correct: Sequence[bool],
    least_alike_groups: Sequence[int],
    validation_correct: Sequence[bool],
    fine_tuned: bool = False,
) -> Headline:
    """Makes the headline from the least alike photos (see the module's docstring).

    Args:
        least_alike_correct: Whether the second model named each least alike photo right.
        least_alike_groups: Their near-copy groups, drawn whole by the bootstrap.
        validation_correct: Whether the model named each of its own validation photos right:
            kept as the figure for photos like those it learned from.
        fine_tuned: Whether the model was fine-tuned (the second model never is).

    Returns:
        The headline. With no least alike photo (every class one group of near-copies), the
        validation photos stand in, and the sentence says so.
    """
    least_alike_correct = np.asarray(least_alike_correct, dtype=bool)
    validation_correct = np.asarray(validation_correct, dtype=bool)
    like_share = _share(validation_correct)
    parts = {
        "like_learned": {"accuracy": like_share, "photos": int(len(validation_correct))},
        "least_alike": {
            "accuracy": _share(least_alike_correct),
            "photos": int(len(least_alike_correct)),
        },
    }
    if not len(least_alike_correct):
        low, high = wilson_interval(int(validation_correct.sum()), len(validation_correct))
        basis = (
            f"Measured on the {len(validation_correct):,} photos kept aside to check it. Each "
            "class's photos look alike, so there were no photos unlike the others to check "
            "it on: photos taken another day may do worse."
        )
        return Headline(like_share, low, high, basis, len(validation_correct), BASIS_LEAST, parts)
    accuracy = _share(least_alike_correct)
    low, high = group_bootstrap_interval(least_alike_correct, least_alike_groups)
    basis = (
        f"Measured on the {len(least_alike_correct):,} photos least like the others of their "
        "class (whole groups of near-copies, up to a fifth of each class), checked by a second "
        "model trained the same way without them: photos taken on another day are often as "
        f"unlike. On photos like the ones it learned from it does better: {like_share:.0%} "
        f"of {len(validation_correct):,}."
    )
    if fine_tuned:
        basis += " The second model was not fine-tuned, so the figure may be a little low."
    return Headline(accuracy, low, high, basis, int(len(least_alike_correct)), BASIS_LEAST, parts)


def test_headline(
    correct: Sequence[bool],
    groups: Sequence[int],
    left_out: int = 0,
    held_out: Headline | None = None,
) -> Headline:
    """Makes the headline from the project's test photos, which training never saw.

    Args:
        correct: Whether the model named each test photo right.
        groups: Their near-copy groups, drawn whole by the bootstrap.
        left_out: How many test photos were left out for being training photos too.
        held_out: The headline measured on the training photos, kept among the parts.

    Returns:
        The headline.
    """
    correct = np.asarray(correct, dtype=bool)
    low, high = group_bootstrap_interval(correct, groups)
    basis = (
        f"Measured on {len(correct):,} test photos you added, which training never saw. The range "
        "is for photos like them: test photos taken on other days than the training photos "
        "say most about new photos."
    )
    if left_out:
        basis += f" {left_out:,} test photos were also training photos, so they were left out."
    parts = {"test_photos": {"accuracy": _share(correct), "photos": int(len(correct))}}
    if held_out is not None:
        parts.update(held_out.parts)
    return Headline(_share(correct), low, high, basis, int(len(correct)), BASIS_TEST, parts)


def _share(correct: np.ndarray) -> float:
    return float(np.mean(correct)) if len(correct) else 0.0
