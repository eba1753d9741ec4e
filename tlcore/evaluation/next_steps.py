"""The most useful next steps after a training, ranked by what they could gain.

Each step comes from the validation figures of the training
(`evaluation.metrics.Evaluation.to_dict()`)
and the photo counts of the classes:

- **Two classes it mixes up**: the pair of classes with the most validation photos put in the
  other class of the pair. Add photos of both that show how they differ.
- **A class it often misses, with few photos**: a class whose recall is below the model's
  accuracy and whose photo count is below the typical class's. Add photos of it.
- **Classes taken in one sitting** (when a data check found them, `tlcore.checks.health`): their
  figures are too good to believe, so no gain can be measured; they come after the others.

The gain given is the most the step can bring on the validation photos: the share of them that
it is about and that the model got wrong today. More photos rarely fix every one of those
mistakes, so it is an upper bound, and the steps are ranked by it. How many photos to add is a
rule of thumb, stated as one: each class of the pair up to twice its photos (at least 10 more);
a small class up to the typical class's count.
"""

import dataclasses
import statistics
from collections.abc import Sequence

import numpy as np

# The most steps listed.
MOST_STEPS = 3


@dataclasses.dataclass(frozen=True)
class NextStep:
    """One thing to do next.

    Args:
        title: A short line for people.
        detail: Why, and what to do.
        gain: The most it could add to the validation accuracy, as a share (None when it cannot
            be measured from the validation photos).
        classes: The classes it is about.
        photos_to_add: About how many photos to add to each of `classes`.
    """

    title: str
    detail: str
    gain: float | None
    classes: tuple[str, ...]
    photos_to_add: tuple[int, ...] = ()


def confused_pair_steps(evaluation: dict, counts: dict[str, int]) -> list[NextStep]:
    """A step for each pair of classes the model mixed up on the validation photos."""
    names = list(evaluation["class_names"])
    confusion = np.asarray(evaluation["confusion_matrix"], dtype=np.int64)
    total = max(int(confusion.sum()), 1)
    steps = []
    for first in range(len(names)):
        for second in range(first + 1, len(names)):
            mixed = int(confusion[first, second] + confusion[second, first])
            if mixed == 0:
                continue
            pair = (names[first], names[second])
            to_add = tuple(max(10, counts.get(name, 0)) for name in pair)
            steps.append(
                NextStep(
                    title=f"Tell {pair[0]} and {pair[1]} apart",
                    detail=f"It mixed them up on {mixed} of the {total} photos kept aside. Add "
                    f"about {to_add[0]} photos of {pair[0]} and {to_add[1]} of {pair[1]}, "
                    "showing what differs between them (labels, shape, colour), taken in "
                    "several places and lights.",
                    gain=mixed / total,
                    classes=pair,
                    photos_to_add=to_add,
                )
            )
    return steps


def small_class_steps(evaluation: dict, counts: dict[str, int]) -> list[NextStep]:
    """A step for each class the model often misses that has fewer photos than typical."""
    accuracy = float(evaluation["accuracy"])
    total = max(sum(int(item["support"]) for item in evaluation["per_class"]), 1)
    used = [count for count in counts.values() if count > 0]
    typical = round(statistics.median(used)) if used else 0
    steps = []
    for item in evaluation["per_class"]:
        name, support, recall = item["class_name"], int(item["support"]), float(item["recall"])
        count = counts.get(name, 0)
        missed = round(support * (1 - recall))
        if missed == 0 or recall >= accuracy or count >= typical:
            continue
        to_add = max(10, typical - count)
        steps.append(
            NextStep(
                title=f"More photos of {name}",
                detail=f"It recognised {recall:.0%} of the {name} photos kept aside ({missed} "
                f"missed), and {name} has {count} photos where a typical class has "
                f"{typical}. Add about {to_add}.",
                gain=missed / total,
                classes=(name,),
                photos_to_add=(to_add,),
            )
        )
    return steps


def one_sitting_steps(one_sitting: Sequence[str], counts: dict[str, int]) -> list[NextStep]:
    """A step for the classes whose photos were all taken in one sitting."""
    if not one_sitting:
        return []
    names = ", ".join(one_sitting)
    return [
        NextStep(
            title="Photos from another day, place or light",
            detail=f"All photos of {names} look taken in one sitting. The model may have "
            "learned that sitting's background and light; its figures cannot tell, since "
            "the photos kept aside come from the same sitting.",
            gain=None,
            classes=tuple(one_sitting),
            photos_to_add=tuple(max(5, counts.get(name, 0) // 2) for name in one_sitting),
        )
    ]


def next_steps(
    evaluation: dict | None,
    counts: dict[str, int],
    one_sitting: Sequence[str] = (),
    most: int = MOST_STEPS,
) -> list[NextStep]:
    """Returns the most useful next steps, the largest possible gain first.

    Args:
        evaluation: The training's validation figures (`Evaluation.to_dict()`), or None.
        counts: Each class's photo count now.
        one_sitting: Classes whose photos were all taken in one sitting, if known.
        most: The most steps returned.

    Returns:
        At most `most` steps; a class is named by one step only.
    """
    measured: list[NextStep] = []
    if evaluation and evaluation.get("confusion_matrix"):
        measured = confused_pair_steps(evaluation, counts) + small_class_steps(evaluation, counts)
    measured.sort(key=lambda step: -(step.gain or 0.0))
    chosen: list[NextStep] = []
    named: set[str] = set()
    for step in measured + one_sitting_steps(one_sitting, counts):
        if named.intersection(step.classes) and step.gain is not None:
            continue
        chosen.append(step)
        named.update(step.classes)
        if len(chosen) == most:
            break
    return chosen
