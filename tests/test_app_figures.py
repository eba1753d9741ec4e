"""Every accuracy with its range and count: the headline's words, per-class ranges, and the
readable form of a confusion matrix of many classes."""

import types

import pytest

from tlapp import figures
from tlapp.charts import confusion
from tlapp.charts import evaluation as evaluation_charts
from tlcore.evaluation import headline

MANY_CLASSES = [f"Product {number:03d}" for number in range(81)]


def record_with(measured: headline.Headline | None, evaluation: dict | None = None):
    return types.SimpleNamespace(
        headline=measured.to_dict() if measured else None, evaluation=evaluation or {}
    )


def test_the_headline_sentence_and_card_carry_the_range():
    measured = headline.least_alike_headline(
        [True] * 70 + [False] * 30, list(range(100)), [True] * 9 + [False]
    )
    sentence = figures.record_sentence(record_with(measured))
    assert "about **70%**" in sentence and f"{measured.low:.0%} and {measured.high:.0%}" in sentence
    assert figures.card_text(record_with(measured)).startswith("about 70% right on new photos (")


def test_a_training_before_the_headline_says_what_its_figure_leaves_out():
    record = record_with(None, {"accuracy": 0.85, "photo_count": 20})
    sentence = figures.record_sentence(record)
    assert "17 of 20 photos, likely" in sentence and "Train again" in sentence
    assert figures.card_text(record) == ""


def test_few_photos_are_called_a_rough_figure():
    assert figures.accuracy_with_range(1.0, 3).endswith("few photos, so a rough figure")
    assert "rough" not in figures.accuracy_with_range(0.9, 200)


def test_class_accuracy_bars_carry_ranges_and_counts():
    figure = evaluation_charts.class_accuracy_figure(
        ["Apple", "Milk"], [1.0, 0.5], supports=[3, 40]
    )
    bars = figure.data[0]
    assert bars.error_x.arrayminus[0] == pytest.approx(
        100 - 100 * headline.wilson_interval(3, 3)[0]
    )
    assert bars.hovertext[0].startswith("Apple: 3 of 3 recognised (100%, likely 44%–100%; few")
    assert bars.hovertext[1].startswith("Milk: 20 of 40 recognised (50%, likely 35%–65%)")


def many_class_matrix():
    matrix = [[30 if row == column else 0 for column in range(81)] for row in range(81)]
    for row, column, count in ((5, 6, 7), (40, 41, 3), (40, 7, 1), (70, 2, 2)):
        matrix[row][column] = count
        matrix[row][row] -= count
    return matrix


def test_the_most_confused_pairs_come_first_with_their_ranges():
    pairs = confusion.confused_pairs(MANY_CLASSES, many_class_matrix())
    assert [(pair["true_class"], pair["count"]) for pair in pairs] == [
        ("Product 005", 7),
        ("Product 040", 3),
        ("Product 070", 2),
        ("Product 040", 1),
    ]
    assert pairs[0]["photos"] == 30 and pairs[0]["low"] < 7 / 30 < pairs[0]["high"]
    figure = confusion.confused_pairs_figure(pairs, 81)
    assert figure.data[0].y[0] == "Product 005 → Product 006 (7 of 30)"
    assert "81 classes" in figure.layout.title.text


def test_the_matrix_of_the_most_confused_classes_has_names_on_its_sides():
    indices = confusion.most_confused_classes(many_class_matrix())
    assert indices == [2, 5, 6, 7, 40, 41, 70]
    names, counts = confusion.sub_matrix(MANY_CLASSES, many_class_matrix(), indices)
    figure = evaluation_charts.clickable_confusion_matrix_figure(names, counts)
    assert figure.layout.xaxis.showticklabels is not False
    assert counts[1][2] == 7 and names[1] == "Product 005"
    whole = confusion.zoomable_matrix_figure(MANY_CLASSES, many_class_matrix())
    assert whole.layout.xaxis.showticklabels is True
