"""Likely mislabelled photos, found by out-of-fold predictions.

Each photo is predicted by a model that never saw it (out-of-fold predictions of a k-fold
cross-validation, 5 folds by default), calibrated so that its "how sure" is honest
(`tlcore.checks.calibration`); a photo whose prediction names another class than its label with at
least 60% is listed, and a one-click move is offered from 80%. The model is NumPy alone, on the
photos' pooled features from the frozen base. `tlcore.checks.quality` runs it with the other checks.
"""

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np

from tlcore.checks import calibration
from tlcore.checks.photo_references import PhotoReference
from tlcore.features import cosine

# The number of main directions the out-of-fold model fits on, when there are many photos.
_FIT_DIMENSIONS = 128


@dataclasses.dataclass(frozen=True)
class MislabelledPhoto:
    """A photo that a model which never saw it confidently puts in another class.

    Args:
        photo: The photo, with the class it is labelled with.
        suggested_class: The class the model chose.
        confidence: The calibrated probability the model gave `suggested_class`.
        label_probability: The calibrated probability it gave the photo's own label.
        offer_move: Whether the model is sure enough to offer a one-click move
            (`QualitySettings.move_confidence`); otherwise the photo is only worth a look.
    """

    photo: PhotoReference
    suggested_class: str
    confidence: float
    label_probability: float
    offer_move: bool = True


def fold_assignment(labels: np.ndarray, folds: int, seed: int = 0) -> np.ndarray:
    """Deals each class's photos out to the folds in turn, after a seeded shuffle.

    Args:
        labels: The class index of each photo.
        folds: The number of folds.
        seed: Seeds the shuffle.

    Returns:
        The fold (0 to `folds - 1`) of each photo. Each fold holds about the same share of
        every class.
    """
    labels = np.asarray(labels)
    generator = np.random.default_rng(seed)
    assignment = np.zeros(len(labels), dtype=np.int64)
    # One offset per class keeps small classes from all landing in the first folds.
    offset = 0
    for label in np.unique(labels):
        rows = generator.permutation(np.flatnonzero(labels == label))
        assignment[rows] = (np.arange(len(rows)) + offset) % folds
        offset += len(rows)
    return assignment


def principal_components(normalised: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Projects rows onto their main directions of variation (PCA).

    Args:
        normalised: `(photos, dimensions)` rows, centred (as `normalise` gives them).
        count: How many directions to keep; fewer when there are fewer photos or dimensions.

    Returns:
        The projected rows `(photos, count)` and the share of the total variance each
        direction holds. Each direction's sign is fixed (its largest weight is positive), so
        the same photos always give the same picture.
    """
    normalised = np.asarray(normalised, dtype=np.float64)
    count = max(0, min(count, normalised.shape[0], normalised.shape[1]))
    # The eigenvectors of the dimensions' covariance: cheaper than an SVD of the photos when
    # there are more photos than dimensions, and the same directions.
    eigenvalues, eigenvectors = np.linalg.eigh(normalised.T @ normalised)
    order = np.argsort(eigenvalues)[::-1][:count]
    directions = eigenvectors[:, order]
    largest = np.argmax(np.abs(directions), axis=0)
    directions = directions * np.sign(directions[largest, np.arange(count)])
    total = float(np.clip(eigenvalues, 0, None).sum())
    shares = np.clip(eigenvalues[order], 0, None) / total if total > 0 else np.zeros(count)
    return (normalised @ directions).astype(np.float32), shares


def fit_softmax_regression(
    features: np.ndarray,
    labels: np.ndarray,
    class_count: int,
    l2_penalty: float = 1e-3,
    steps: int = 100,
    learning_rate: float = 0.05,
) -> tuple[np.ndarray, np.ndarray]:
    """Fits a multinomial logistic regression with full-batch Adam.

    Args:
        features: `(photos, dimensions)` standardised inputs.
        labels: The class index of each photo.
        class_count: The number of classes.
        l2_penalty: The L2 penalty on the weights.
        steps: The number of full-batch steps.
        learning_rate: Adam's step size.

    Returns:
        The weights `(dimensions, classes)` and biases `(classes,)`.
    """
    features = np.asarray(features, dtype=np.float32)
    photo_count, dimensions = features.shape
    targets = np.zeros((photo_count, class_count), dtype=np.float32)
    targets[np.arange(photo_count), labels] = 1.0
    parameters = [
        np.zeros((dimensions, class_count), dtype=np.float32),
        np.zeros(class_count, dtype=np.float32),
    ]
    first_moments = [np.zeros_like(parameter) for parameter in parameters]
    second_moments = [np.zeros_like(parameter) for parameter in parameters]
    beta_one, beta_two, epsilon = 0.9, 0.999, 1e-8
    for step in range(1, steps + 1):
        probabilities = softmax(features @ parameters[0] + parameters[1])
        error = (probabilities - targets) / photo_count
        gradients = [
            features.T @ error + l2_penalty * parameters[0],
            error.sum(axis=0),
        ]
        for index, gradient in enumerate(gradients):
            first_moments[index] = beta_one * first_moments[index] + (1 - beta_one) * gradient
            second_moments[index] = beta_two * second_moments[index] + (1 - beta_two) * (
                gradient * gradient
            )
            corrected_first = first_moments[index] / (1 - beta_one**step)
            corrected_second = second_moments[index] / (1 - beta_two**step)
            parameters[index] -= (
                learning_rate * corrected_first / (np.sqrt(corrected_second) + epsilon)
            )
    return parameters[0], parameters[1]


softmax = calibration.softmax


def out_of_fold_probabilities(
    features: np.ndarray,
    labels: Sequence[int],
    class_count: int,
    folds: int = 5,
    seed: int = 0,
    on_fold: Callable[[], None] | None = None,
) -> np.ndarray:
    """Predicts every photo with a model trained on the other folds only.

    The model is a multinomial logistic regression on the features, written in NumPy: it is
    convex, so it gives the same answer on every run and machine (a Keras head depends on its
    initial weights and on the order of its batches), needs no TensorFlow, and fits 5 folds of
    3,000 photos in a few seconds on two cores. Being linear on the frozen base's features it
    sees what the trained head sees, nearly as well.

    Args:
        features: `(photos, feature_count)` pooled features.
        labels: The class index of each photo.
        class_count: The number of classes.
        folds: The number of folds; each photo is predicted by the model of the other folds.
        seed: Seeds the split into folds.
        on_fold: Called after each fold's model has predicted its photos.

    Returns:
        `(photos, class_count)` probabilities.
    """
    labels = np.asarray(labels, dtype=np.int64)
    photo_count = len(labels)
    probabilities = np.full((photo_count, class_count), 1.0 / max(class_count, 1))
    if photo_count < 2 or class_count < 2:
        return probabilities.astype(np.float32)
    inputs = cosine.normalise(features)
    # With many photos the fit runs on the 128 main directions of their features (found
    # without their labels, so no label leaks between folds): within about a point of the full
    # 1280 dimensions' out-of-fold accuracy on the Grocery Store photos, at a fifth of the time.
    # With few photos the full features are cheap, and the main directions would be mostly
    # those of single photos, which ruins the predictions of the photos held out.
    if len(inputs) >= 4 * _FIT_DIMENSIONS and inputs.shape[1] > _FIT_DIMENSIONS:
        inputs, _ = principal_components(inputs, _FIT_DIMENSIONS)
    folds = max(2, min(folds, photo_count))
    assignment = fold_assignment(labels, folds, seed)
    for fold in range(folds):
        held_out = assignment == fold
        training_rows = ~held_out
        if not held_out.any() or not training_rows.any():
            continue
        training_inputs = inputs[training_rows]
        # One scale for every dimension keeps their relative sizes, which carry the meaning;
        # scaling each to unit variance would blow up directions that are mostly noise.
        mean = training_inputs.mean(axis=0)
        scale = float(training_inputs.std()) + 1e-6
        weights, biases = fit_softmax_regression(
            (training_inputs - mean) / scale, labels[training_rows], class_count
        )
        probabilities[held_out] = softmax(((inputs[held_out] - mean) / scale) @ weights + biases)
        if on_fold is not None:
            on_fold()
    return probabilities.astype(np.float32)


def calibrated_out_of_fold(
    features: np.ndarray,
    labels: Sequence[int],
    class_count: int,
    folds: int = 5,
    seed: int = 0,
    on_fold: Callable[[], None] | None = None,
) -> calibration.Calibrated:
    """Predicts every photo with models that never saw it, with an honest "how sure".

    Two out-of-fold models score the photos, on the same folds: the logistic regression of
    `out_of_fold_probabilities`, and the nearest class centre (`calibration`); each is
    temperature-scaled on the photos' labels and the one that fits them best is kept. On 55
    grocery photos in 5 classes the nearest centre wins (the regression, fitted on 44 photos
    in 1,280 dimensions, is hundreds of times too sure); on 2,640 photos in 81 classes the
    regression does.

    Args:
        features: `(photos, feature_count)` pooled features.
        labels: The class index of each photo.
        class_count: The number of classes.
        folds: The number of folds.
        seed: Seeds the split into folds.
        on_fold: Called after each fold of the regression.

    Returns:
        The calibrated probabilities, with the model kept and its temperature.
    """
    labels = np.asarray(labels, dtype=np.int64)
    regression = out_of_fold_probabilities(features, labels, class_count, folds, seed, on_fold)
    if len(labels) < 2 or class_count < 2:
        return calibration.Calibrated(regression, "regression", 1.0, 0.0)
    assignment = fold_assignment(labels, max(2, min(folds, len(labels))), seed)
    centres = calibration.nearest_centre_scores(
        cosine.normalise(features), labels, class_count, assignment
    )
    return calibration.best_calibrated(
        {"regression": np.log(np.clip(regression, 1e-12, 1.0)), "nearest centre": centres},
        labels,
    )


def likely_mislabelled(
    out_of_fold: np.ndarray,
    labels: Sequence[int],
    photos: Sequence[PhotoReference],
    class_names: Sequence[str],
    confidence: float = 0.6,
    move_confidence: float = 0.8,
    normalised: np.ndarray | None = None,
) -> list[MislabelledPhoto]:
    """Lists the photos whose out-of-fold prediction confidently names another class.

    Classes with a single photo are left out: their photo was predicted by models that never
    saw its class at all. With the photos' features, a photo is listed only when its nearest
    other photo is not of its own class too: a right photo unlike most of its class (three
    mushrooms held in a hand, in a class of mushrooms in crates, look like the oat milk cartons
    held in a hand) has its look-alikes in its own class, while a misfiled photo has them in
    its true class. On grocery photos moved to a wrong class on purpose this raised the share
    of listed photos really misfiled from 81% to 89% (small projects) and from 87% to 95%
    (2,640 photos), for 3 points of recall on small projects and none on large ones
    (docs/benchmarks.md).

    Args:
        out_of_fold: `(photos, classes)` out-of-fold probabilities.
        labels: Each photo's class index.
        photos: Each photo's reference.
        class_names: The classes.
        confidence: The least probability the other class must get.
        move_confidence: The least probability for a one-click move to be offered.
        normalised: The photos' features, `normalise`d; when given, a photo whose nearest
            other photo is of its own class is not listed.

    Returns:
        The photos, the largest gap between the other class and the label first.
    """
    labels = np.asarray(labels, dtype=np.int64)
    counts = np.bincount(labels, minlength=len(class_names))
    predicted_classes = np.argmax(out_of_fold, axis=1)
    candidates = [
        row
        for row, label in enumerate(labels)
        if counts[label] >= 2
        and predicted_classes[row] != label
        and out_of_fold[row, predicted_classes[row]] >= confidence
    ]
    if normalised is not None and candidates:
        nearest = cosine.nearest_other_rows(normalised, candidates)
        candidates = [
            row
            for row, other in zip(candidates, nearest, strict=True)
            if labels[other] != labels[row]
        ]
    found = []
    for row in candidates:
        label, predicted = labels[row], int(predicted_classes[row])
        found.append(
            MislabelledPhoto(
                photo=photos[row],
                suggested_class=class_names[predicted],
                confidence=float(out_of_fold[row, predicted]),
                label_probability=float(out_of_fold[row, label]),
                offer_move=bool(out_of_fold[row, predicted] >= move_confidence),
            )
        )
    found.sort(key=lambda item: item.label_probability - item.confidence)
    return found
