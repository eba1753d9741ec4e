"""The app's pure helpers: Plotly figures, messages, tables and small words."""

import csv
import datetime
import io

import pytest

from tlapp import charts, messages, state, tables
from tlcore import datasets, prediction, workspace


def test_photos_per_class_marks_classes_without_enough_photos():
    figure = charts.photos_per_class_figure({"Apple": 12, "Milk": 1}, minimum=2, recommended=10)
    bars = figure.data[0]
    assert list(bars.x) == ["Apple", "Milk"] and list(bars.y) == [12, 1]
    assert list(bars.marker.color) == [charts.PRIMARY, charts.WARNING]
    assert figure.layout.shapes[0].y0 == 10


def test_training_history_has_both_sets_of_photos_in_both_charts():
    history = {
        "accuracy": [0.5, 0.8, 0.9],
        "val_accuracy": [0.4, 0.7, 0.85],
        "loss": [1.2, 0.6, 0.3],
        "val_loss": [1.3, 0.8, 0.4],
    }
    figure = charts.training_history_figure(history)
    names = [trace.name for trace in figure.data]
    assert names == [charts.LEARNING_LABEL, charts.CHECKING_LABEL] * 2
    assert list(figure.data[0].y) == pytest.approx([50, 80, 90])
    assert list(figure.data[0].x) == [1, 2, 3]
    assert list(figure.data[3].y) == pytest.approx([1.3, 0.8, 0.4])
    assert figure.layout.annotations[0].text == "How often it is right"


def test_training_history_draws_while_it_is_still_empty():
    figure = charts.training_history_figure({"accuracy": [], "loss": []})
    assert all(len(trace.y) == 0 for trace in figure.data)


def test_class_accuracy_shows_percentages_per_class():
    figure = charts.class_accuracy_figure(["Apple", "Milk"], [1.0, 0.5])
    assert list(figure.data[0].y) == ["Apple", "Milk"]
    assert list(figure.data[0].text) == ["100%", "50%"]


def test_confusion_matrix_names_the_classes_and_colours_the_mistakes():
    figure = charts.confusion_matrix_figure(["Apple", "Milk"], [[3, 1], [0, 4]])
    right, wrong = figure.data
    assert list(right.x) == ["Apple", "Milk"] and list(right.y) == ["Apple", "Milk"]
    # The right answers and the mistakes are two layers with their own colours.
    assert [list(row) for row in right.z] == [[3, None], [None, 4]]
    assert [list(row) for row in wrong.z] == [[None, 1], [0, None]]
    assert right.colorscale[-1][1] == charts.GOOD and wrong.colorscale[-1][1] == charts.WARNING
    assert figure.layout.xaxis.title.text == "What the model said"
    assert figure.layout.yaxis.title.text == "What the photo shows"


def test_probabilities_are_sorted_with_the_answer_first():
    figure = charts.probability_figure(["Apple", "Lime", "Milk"], [0.1, 0.7, 0.2])
    assert list(figure.data[0].y) == ["Lime", "Milk", "Apple"]
    assert list(figure.data[0].x) == pytest.approx([70, 20, 10])


def test_added_photos_are_described_good_news_first():
    result = workspace.AddResult(
        added=["a.jpg", "b.jpg"],
        skipped=[datasets.SkippedFile("notes.txt", "the file is not a photo")],
        duplicates=[
            datasets.DuplicatePhoto("c.jpg", "Apple", "a.jpg", "Apple"),
            datasets.DuplicatePhoto("d.jpg", "Apple", "m.jpg", "Milk"),
        ],
    )
    said = messages.add_result_messages(result, "Apple")
    kinds = [kind for kind, _ in said]
    assert kinds == ["success", "warning", "info", "warning"]
    assert said[0][1] == "Added 2 photos to **Apple**."
    assert "**notes.txt**: the file is not a photo" in said[1][1]
    assert "**c.jpg** (the same as **a.jpg**)" in said[2][1]
    assert "**m.jpg** in **Milk**" in said[3][1]


def test_long_lists_are_cut_short():
    skipped = [datasets.SkippedFile(f"file{index}.txt", "not a photo") for index in range(20)]
    said = messages.add_result_messages(workspace.AddResult(skipped=skipped), "Apple")
    assert "- and 12 more" in said[0][1]


def test_nothing_added_says_so():
    assert messages.add_result_messages(workspace.AddResult(), "Apple") == [
        ("info", "No photos were added.")
    ]


@pytest.mark.parametrize(
    ("counts", "expected_kinds", "expected_text"),
    [
        ({}, ["warning"], "Add at least **2 classes**"),
        ({"Apple": 5}, ["warning"], "Add at least **2 classes**"),
        ({"Apple": 5, "Milk": 1}, ["warning"], "**Milk** has 1 photo: add at least 1 more"),
        ({"Apple": 5, "Milk": 3}, ["info"], "Ready to train."),
        ({"Apple": 10, "Milk": 12}, ["success"], "Ready to train"),
    ],
)
def test_readiness_says_what_to_do(counts, expected_kinds, expected_text):
    said = messages.readiness_messages(counts, minimum=2, recommended=10)
    assert [kind for kind, _ in said] == expected_kinds
    assert expected_text in " ".join(text for _, text in said)


def test_predictions_become_rows_and_a_csv():
    answers = [
        prediction.Prediction(
            "a.jpg", ["Apple", "Milk"], [0.9, 0.1], [("Apple", 0.9), ("Milk", 0.1)]
        ),
        prediction.Prediction("b.txt", ["Apple", "Milk"], [], [], "the file is not a photo"),
    ]
    rows = tables.prediction_rows(answers)
    assert rows[0] == {
        "Photo": "a.jpg",
        "Looks like": "Apple",
        "Certainty": 0.9,
        "Second guess": "Milk (10%)",
        "Problem": "",
    }
    assert rows[1]["Problem"] == "the file is not a photo" and rows[1]["Certainty"] is None
    table = list(csv.reader(io.StringIO(tables.predictions_csv(answers))))
    assert table[0] == ["photo", "predicted_class", "probability", "Apple", "Milk", "problem"]
    assert table[1] == ["a.jpg", "Apple", "0.9000", "0.9000", "0.1000", ""]
    assert table[2][0] == "b.txt" and table[2][-1] == "the file is not a photo"


def test_time_is_described_in_words():
    now = datetime.datetime(2026, 1, 10, 12, 0, tzinfo=datetime.UTC)
    assert state.time_ago("2026-01-10T11:59:30+00:00", now) == "just now"
    assert state.time_ago("2026-01-10T11:55:00+00:00", now) == "5 minutes ago"
    assert state.time_ago("2026-01-10T11:00:00+00:00", now) == "1 hour ago"
    assert state.time_ago("2026-01-07T12:00:00+00:00", now) == "3 days ago"
    assert state.time_ago("not a time", now) == "at an unknown time"


def test_download_names_keep_the_project_name_without_unsafe_characters():
    assert state.file_name_for("Example: fruit and milk") == "Example fruit and milk"
    assert state.file_name_for("../../etc/passwd") == "etcpasswd"
    assert state.file_name_for("Äpfel & Birnen") == "Äpfel Birnen"
    assert state.file_name_for("///") == "project"
