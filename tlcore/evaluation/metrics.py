"""How good a trained model is: accuracy, per-class figures, confusion, and its mistakes."""

import dataclasses
from collections.abc import Sequence

import numpy as np


@dataclasses.dataclass(frozen=True)
class ClassMetrics:
    """One class's figures on the validation photos.

    Args:
        class_name: The class.
        precision: Of the photos predicted as this class, the share that are.
        recall: Of this class's photos, the share found (the class's accuracy).
        f1: The harmonic mean of precision and recall.
        support: How many validation photos the class has.
    """

    class_name: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclasses.dataclass(frozen=True)
class PhotoPrediction:
    """The model's answer for one evaluated photo, right or wrong (a mistake when its classes
    differ).

    Args:
        file_name: The photo's name.
        true_class: The class it belongs to.
        predicted_class: The class the model chose.
        confidence: The probability the model gave its choice.
        content_hash: The photo's content hash, to find the photo again.
    """

    file_name: str
    true_class: str
    predicted_class: str
    confidence: float
    content_hash: str


@dataclasses.dataclass(frozen=True)
class Evaluation:
    """The figures of a model on labelled photos.

    Args:
        accuracy: The share of photos predicted right.
        class_names: The classes, in the order of the confusion matrix.
        per_class: Precision, recall, F1 and support for each class.
        confusion_matrix: Counts; row = true class, column = predicted class.
        misclassified: The photos predicted wrong, most confident mistake first.
        photo_count: How many photos were evaluated.
        predictions: Every evaluated photo's answer, in the order evaluated, so that each
            square of the confusion matrix can show its photos. Empty for evaluations saved
            before it was kept.
    """

    accuracy: float
    class_names: list[str]
    per_class: list[ClassMetrics]
    confusion_matrix: list[list[int]]
    misclassified: list[PhotoPrediction]
    photo_count: int
    predictions: list[PhotoPrediction] = dataclasses.field(default_factory=list)

    def to_dict(self) -> dict:
        """Returns the evaluation as plain JSON-ready data."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Evaluation":
        """Rebuilds an evaluation from `to_dict`'s output."""
        return cls(
            accuracy=float(data["accuracy"]),
            class_names=list(data["class_names"]),
            per_class=[ClassMetrics(**item) for item in data["per_class"]],
            confusion_matrix=[list(map(int, row)) for row in data["confusion_matrix"]],
            misclassified=[PhotoPrediction(**item) for item in data["misclassified"]],
            photo_count=int(data.get("photo_count", 0)),
            predictions=[PhotoPrediction(**item) for item in data.get("predictions") or []],
        )

    def photos_in_cell(self, true_class: str, predicted_class: str) -> list[PhotoPrediction]:
        """Returns the photos behind one square of the confusion matrix.

        Args:
            true_class: The square's row: the class the photos belong to.
            predicted_class: The square's column: the class the model said.

        Returns:
            Those photos, the most confident answer first. Evaluations saved before every
            answer was kept know only their mistakes, so a square of the diagonal is empty.
        """
        source = self.predictions or self.misclassified
        found = [
            item
            for item in source
            if item.true_class == true_class and item.predicted_class == predicted_class
        ]
        return sorted(found, key=lambda item: -item.confidence)


def evaluate(
    probabilities: np.ndarray,
    labels: Sequence[int],
    class_names: Sequence[str],
    file_names: Sequence[str] | None = None,
    content_hashes: Sequence[str] | None = None,
) -> Evaluation:
    """Scores predicted probabilities against the true labels.

    Args:
        probabilities: `(photos, classes)` predicted probabilities.
        labels: The true class index of each photo.
        class_names: The name of each class index.
        file_names: Each photo's name, for the list of mistakes.
        content_hashes: Each photo's content hash, for the list of mistakes.

    Returns:
        The evaluation. With no photos, accuracy is 0 and every list is empty of mistakes.
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    class_count = len(class_names)
    photo_count = int(labels.size)
    predicted = probabilities.argmax(axis=1) if photo_count else np.zeros(0, dtype=np.int64)
    confusion = np.zeros((class_count, class_count), dtype=np.int64)
    np.add.at(confusion, (labels, predicted), 1)

    per_class = []
    for index, name in enumerate(class_names):
        true_positive = confusion[index, index]
        predicted_count = confusion[:, index].sum()
        support = confusion[index, :].sum()
        precision = true_positive / predicted_count if predicted_count else 0.0
        recall = true_positive / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class.append(
            ClassMetrics(name, float(precision), float(recall), float(f1), int(support))
        )

    predictions = [
        PhotoPrediction(
            file_name=file_names[row] if file_names is not None else f"photo {row + 1}",
            true_class=class_names[labels[row]],
            predicted_class=class_names[predicted[row]],
            confidence=float(probabilities[row, predicted[row]]),
            content_hash=content_hashes[row] if content_hashes is not None else "",
        )
        for row in range(photo_count)
    ]
    misclassified = [
        answer for answer in predictions if answer.true_class != answer.predicted_class
    ]
    misclassified.sort(key=lambda mistake: -mistake.confidence)
    accuracy = float((predicted == labels).mean()) if photo_count else 0.0
    return Evaluation(
        accuracy=accuracy,
        class_names=list(class_names),
        per_class=per_class,
        confusion_matrix=confusion.tolist(),
        misclassified=misclassified,
        photo_count=photo_count,
        predictions=predictions,
    )


def evaluate_dataset(trained, dataset, on_progress=None, batch_size: int = 32) -> Evaluation:
    """Scores a trained model on a labelled dataset, through the whole model on pixels.

    Photos of classes the model does not know are left out; their count is in the result's
    `photo_count` gap against the dataset.

    Args:
        trained: A `training.types.TrainedModel`.
        dataset: A `data.datasets.Dataset` whose class names match (some of) the model's.
        on_progress: Called with (photos done, photos in all) after each batch.
        batch_size: How many photos go through the model at once.

    Returns:
        The evaluation over the model's classes.

    Raises:
        DatasetError: If no photo belongs to a class the model knows.
    """
    # Imported here: evaluation's own figures need NumPy alone, this path needs the model.
    from tlcore import errors
    from tlcore.nets import prediction, runtimes

    model_index = {name.casefold(): index for index, name in enumerate(trained.class_names)}
    photos = [photo for photo in dataset.photos if photo.class_name.casefold() in model_index]
    if not photos:
        known = ", ".join(trained.class_names)
        raise errors.DatasetError(
            f"None of these photos is in a class the model knows. Its classes are: {known}."
        )
    labels = [model_index[photo.class_name.casefold()] for photo in photos]
    probabilities = prediction.photo_probabilities(
        # The model's ONNX form when it has a checked one (`nets.runtimes.classifier_for`).
        runtimes.classifier_for(trained),
        photos,
        trained.input_size,
        trained.settings.augmentation if trained.settings.test_time_augmentation else None,
        batch_size,
        on_progress,
    )
    return evaluate(
        probabilities,
        labels,
        trained.class_names,
        file_names=[photo.file_name for photo in photos],
        content_hashes=[photo.content_hash for photo in photos],
    )
