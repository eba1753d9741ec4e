"""What a training measures beyond the validation figures, each from its own data.

The confidence below which an answer reads "not sure" (`unknown_threshold`), the classes
whose photos look taken in one sitting (`one_sitting_classes`), and, when test photos are
given, which of them can measure the model and the headline they give
(`usable_test_photos`, `test_photos_headline`).
"""

from __future__ import annotations

import numpy as np

from tlcore import errors
from tlcore.checks import health
from tlcore.data import datasets
from tlcore.evaluation import headline, metrics
from tlcore.features import embeddings, splitting
from tlcore.nets import prediction

# The share of correct validation answers that must stay "sure": the confidence below which
# an answer reads "not sure" is set so that 95% of the validation photos the model got right
# are above it.
SURE_SHARE_OF_CORRECT = 0.95

# The rule for models saved before the threshold was measured (`training.types.TrainedModel`).
FALLBACK_UNKNOWN_THRESHOLD = prediction.FALLBACK_UNKNOWN_THRESHOLD


def unknown_threshold(
    probabilities: np.ndarray, labels: np.ndarray, sure_share: float = SURE_SHARE_OF_CORRECT
) -> float:
    """Returns the confidence below which an answer should read "not sure".

    A photo of something the model was never taught still gets probabilities that add up to
    one, but they are spread more thinly: its most likely class is less probable than for the
    photos the model knows. The threshold is chosen on the validation photos so that at least
    `sure_share` of those the model got right stay above it: below it, an answer is less
    certain than nearly all of the model's correct answers on photos it never learned from.

    Args:
        probabilities: `(photos, classes)` validation probabilities.
        labels: The true class of each validation photo.
        sure_share: The share of correct validation answers that must stay sure.

    Returns:
        A probability from 0 to 1. When the model got no validation photo right, 1: none of
        its answers can be trusted.
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if probabilities.size == 0:
        return FALLBACK_UNKNOWN_THRESHOLD
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == np.asarray(labels)
    if not correct.any():
        return 1.0
    # "lower" picks an observed confidence at or below the quantile, so that with few
    # validation photos every correct one still counts as sure.
    return float(np.quantile(confidence[correct], 1.0 - sure_share, method="lower"))


def one_sitting_classes(
    labels: np.ndarray, groups: np.ndarray, class_names: list[str]
) -> list[str]:
    """Returns the classes whose photos all look taken in one sitting, by the data check's
    rule (`checks.health.taken_in_one_sitting`) on the groups of near-copies the split used."""
    return [
        name
        for index, name in enumerate(class_names)
        if health.taken_in_one_sitting(
            int(np.sum(labels == index)), len(np.unique(groups[labels == index]))
        )
    ]


def usable_test_photos(
    dataset: datasets.Dataset, test_dataset: datasets.Dataset | None
) -> tuple[list[datasets.Photo], int]:
    """Returns the test photos that can measure the model, and how many were left out for
    being training photos too; checked before training starts, so a mistake shows at once.

    Raises:
        DatasetError: If test photos were given but none is of a class being trained.
    """
    if test_dataset is None or not test_dataset.photos:
        return [], 0
    known = {name.casefold() for name in dataset.class_names}
    of_known_classes = [
        photo for photo in test_dataset.photos if photo.class_name.casefold() in known
    ]
    if not of_known_classes:
        raise errors.DatasetError(
            "None of the test photos is in a class being trained. Name their folders like the "
            "classes: " + ", ".join(dataset.class_names) + "."
        )
    training_hashes = {photo.content_hash for photo in dataset.photos}
    usable = [photo for photo in of_known_classes if photo.content_hash not in training_hashes]
    return usable, len(of_known_classes) - len(usable)


def test_photos_headline(trained, test_photos, left_out, shared_base, cache) -> headline.Headline:
    """Scores the finished model on the test photos, through the whole model as predictions
    are made, and groups them into near-copies (from their cached features) for the range."""
    test_set = datasets.Dataset(
        class_names=trained.class_names, photos=test_photos, skipped=[], duplicates=[]
    )
    scores = metrics.evaluate_dataset(trained, test_set)
    index = {name.casefold(): number for number, name in enumerate(trained.class_names)}
    labels = np.array([index[photo.class_name.casefold()] for photo in test_photos])
    features = embeddings.embed_photos(test_photos, shared_base, cache)
    correct = np.array(
        [answer.true_class == answer.predicted_class for answer in scores.predictions]
    )
    return headline.test_headline(
        correct, splitting.near_copy_groups(features, labels), left_out, trained.headline
    )
