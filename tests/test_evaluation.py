"""Evaluation figures, checked against counts worked out by hand."""

import numpy as np
import pytest

from tlcore.evaluation import metrics


def test_figures_match_a_hand_worked_example():
    # Three photos of class a (two right), two of class b (one right).
    probabilities = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6], [0.95, 0.05]])
    labels = [0, 0, 0, 1, 1]
    result = metrics.evaluate(
        probabilities, labels, ["a", "b"], file_names=["1", "2", "3", "4", "5"]
    )
    assert result.accuracy == pytest.approx(3 / 5)
    assert result.confusion_matrix == [[2, 1], [1, 1]]
    a_figures, b_figures = result.per_class
    assert a_figures.precision == pytest.approx(2 / 3)
    assert a_figures.recall == pytest.approx(2 / 3)
    assert b_figures.precision == pytest.approx(1 / 2)
    assert b_figures.recall == pytest.approx(1 / 2)
    assert b_figures.f1 == pytest.approx(1 / 2)
    assert [a_figures.support, b_figures.support] == [3, 2]
    # The most confident mistake comes first.
    assert [mistake.file_name for mistake in result.misclassified] == ["5", "3"]
    assert result.misclassified[0].true_class == "b"
    assert result.misclassified[0].predicted_class == "a"
    assert result.misclassified[0].confidence == pytest.approx(0.95)


def test_a_class_never_predicted_has_zero_precision_not_an_error():
    result = metrics.evaluate(np.array([[1.0, 0.0], [1.0, 0.0]]), [0, 1], ["a", "b"])
    assert result.per_class[1].precision == 0.0
    assert result.per_class[1].f1 == 0.0


def test_round_trip_through_plain_data():
    result = metrics.evaluate(np.array([[0.2, 0.8], [0.6, 0.4]]), [1, 1], ["a", "b"])
    assert metrics.Evaluation.from_dict(result.to_dict()) == result


def test_every_photo_is_kept_so_each_square_of_the_matrix_shows_its_photos():
    probabilities = np.array([[0.9, 0.1], [0.3, 0.7], [0.2, 0.8], [0.6, 0.4]])
    scores = metrics.evaluate(
        probabilities,
        [0, 0, 1, 1],
        ["Apple", "Milk"],
        file_names=["a1.jpg", "a2.jpg", "m1.jpg", "m2.jpg"],
        content_hashes=["h1", "h2", "h3", "h4"],
    )
    assert [answer.file_name for answer in scores.predictions] == [
        "a1.jpg",
        "a2.jpg",
        "m1.jpg",
        "m2.jpg",
    ]
    assert [answer.file_name for answer in scores.photos_in_cell("Apple", "Apple")] == ["a1.jpg"]
    assert [answer.content_hash for answer in scores.photos_in_cell("Apple", "Milk")] == ["h2"]
    assert scores.photos_in_cell("Milk", "Apple")[0].confidence == pytest.approx(0.6)
    again = metrics.Evaluation.from_dict(scores.to_dict())
    assert again == scores


def test_an_evaluation_saved_before_every_photo_was_kept_still_loads():
    scores = metrics.evaluate(np.array([[0.2, 0.8], [0.9, 0.1]]), [0, 0], ["Apple", "Milk"])
    old = scores.to_dict()
    del old["predictions"]
    loaded = metrics.Evaluation.from_dict(old)
    assert loaded.predictions == []
    # The squares off the diagonal still show their photos, from the list of mistakes.
    assert [answer.file_name for answer in loaded.photos_in_cell("Apple", "Milk")] == ["photo 1"]
    assert loaded.photos_in_cell("Apple", "Apple") == []
