"""Honest "how sure": out-of-fold predictions calibrated on the photos' own labels.

A model fitted on few photos is far too sure of itself: on 55 grocery photos in 5 classes, the
out-of-fold logistic regression of `tlcore.checks.quality` gave 99% to wrong classes for photos that
were labelled right, and fewer than half of its "maybe in the wrong class" flags were real
mistakes. Two things make the probabilities honest:

- **Two models, the better one kept.** Besides the logistic regression, each photo is scored by
  its cosine similarity to the centre of each class of the other folds (nearest class centre).
  With a handful of photos a class, the centre is steadier than a fitted hyperplane; with many,
  the regression tells similar classes apart better. The model whose calibrated out-of-fold
  predictions fit the labels best (the lowest log loss) is kept.
- **Temperature scaling.** Each model's scores are divided by the one temperature that makes
  its out-of-fold probabilities fit the photos' labels best. Every score comes from a model that
  never saw its photo, so the fit measures how sure a model should be on photos it has not
  seen. A few wrong labels among them only make it a little less sure.

Everything here is NumPy and deterministic.
"""

import dataclasses

import numpy as np

# The temperatures tried: from 1/200 (scores in [-1, 1], such as cosine similarities, need a
# large factor) to 50 (a regression that is hundreds of times too sure).
_TEMPERATURES = np.exp(np.linspace(np.log(0.005), np.log(50.0), 161))


@dataclasses.dataclass(frozen=True)
class Calibrated:
    """Out-of-fold probabilities made honest.

    Args:
        probabilities: `(photos, classes)` calibrated probabilities.
        method: Which model gave them: "regression" or "nearest centre".
        temperature: What its scores were divided by.
        log_loss: The mean negative log-probability of the photos' labels: lower fits better.
    """

    probabilities: np.ndarray
    method: str
    temperature: float
    log_loss: float


def softmax(scores: np.ndarray) -> np.ndarray:
    """Returns the softmax of each row, computed stably."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    exponentials = np.exp(shifted)
    return exponentials / exponentials.sum(axis=1, keepdims=True)


def label_log_loss(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """Returns the mean negative log-probability given to each photo's label."""
    chosen = probabilities[np.arange(len(labels)), labels]
    return float(-np.log(np.clip(chosen, 1e-12, 1.0)).mean())


def fit_temperature(scores: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Finds the temperature whose softmax of `scores / temperature` fits the labels best.

    Args:
        scores: `(photos, classes)` out-of-fold scores (logits, log-probabilities or
            similarities: anything a softmax turns into probabilities).
        labels: Each photo's class index.

    Returns:
        The temperature and the calibrated probabilities.
    """
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    best_loss, best_temperature = np.inf, 1.0
    for temperature in _TEMPERATURES:
        loss = label_log_loss(softmax(scores / temperature), labels)
        if loss < best_loss:
            best_loss, best_temperature = loss, float(temperature)
    return best_temperature, softmax(scores / best_temperature)


def nearest_centre_scores(
    vectors: np.ndarray, labels: np.ndarray, class_count: int, assignment: np.ndarray
) -> np.ndarray:
    """Scores each photo by its cosine similarity to each class's centre in the other folds.

    Args:
        vectors: `(photos, dimensions)` centred rows of length one (`features.cosine.normalise`).
        labels: Each photo's class index.
        class_count: The number of classes.
        assignment: Each photo's fold (`checks.mislabelled.fold_assignment`).

    Returns:
        `(photos, class_count)` similarities; a class with no photo in the other folds gets
        -1, the least possible.
    """
    labels = np.asarray(labels, dtype=np.int64)
    scores = np.full((len(labels), class_count), -1.0)
    for fold in np.unique(assignment):
        held_out = assignment == fold
        # Each class's sum of the other folds' rows, as one product with a one-hot matrix.
        one_hot = np.zeros((class_count, int((~held_out).sum())), dtype=np.float32)
        one_hot[labels[~held_out], np.arange(one_hot.shape[1])] = 1.0
        centres = one_hot @ vectors[~held_out]
        lengths = np.linalg.norm(centres, axis=1)
        present = lengths > 1e-12
        similarities = vectors[held_out] @ (centres[present] / lengths[present, None]).T
        fold_scores = np.full((int(held_out.sum()), class_count), -1.0)
        fold_scores[:, present] = similarities
        scores[held_out] = fold_scores
    return scores


def best_calibrated(candidates: dict[str, np.ndarray], labels: np.ndarray) -> Calibrated:
    """Calibrates each model's out-of-fold scores and keeps the one that fits the labels best.

    Args:
        candidates: Each model's name and its `(photos, classes)` out-of-fold scores.
        labels: Each photo's class index.

    Returns:
        The calibrated probabilities of the best model.
    """
    labels = np.asarray(labels, dtype=np.int64)
    calibrated = []
    for method, scores in candidates.items():
        temperature, probabilities = fit_temperature(scores, labels)
        calibrated.append(
            Calibrated(probabilities, method, temperature, label_log_loss(probabilities, labels))
        )
    if len(calibrated) > 1:
        # Both models together: the mean of their calibrated log-probabilities, calibrated again.
        together = np.mean(
            [np.log(np.clip(item.probabilities, 1e-12, 1.0)) for item in calibrated], axis=0
        )
        temperature, probabilities = fit_temperature(together, labels)
        calibrated.append(
            Calibrated(probabilities, "both", temperature, label_log_loss(probabilities, labels))
        )
    best = min(calibrated, key=lambda item: item.log_loss)
    return dataclasses.replace(best, probabilities=best.probabilities.astype(np.float32))
