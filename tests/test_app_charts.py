"""The app's pure helpers: Plotly figures, messages, tables and small words."""

import csv
import datetime
import io

import pytest

from tlapp import messages, paging, state, tables
from tlapp.charts import class_counts, common, learning
from tlapp.charts import data_map as data_map_charts
from tlapp.charts import evaluation as evaluation_charts
from tlapp.charts import probabilities as prediction_charts
from tlcore import store
from tlcore.checks import datamap, photo_references
from tlcore.data import datasets
from tlcore.evaluation import metrics
from tlcore.nets import prediction


def test_photos_per_class_marks_classes_without_enough_photos():
    figure = class_counts.photos_per_class_figure(
        {"Apple": 12, "Milk": 1}, minimum=2, recommended=10
    )
    bars = figure.data[0]
    assert list(bars.x) == ["Apple", "Milk"] and list(bars.y) == [12, 1]
    assert list(bars.marker.color) == [common.PRIMARY, common.WARNING]
    assert figure.layout.shapes[0].y0 == 10


def test_training_history_has_both_sets_of_photos_in_both_charts():
    history = {
        "accuracy": [0.5, 0.8, 0.9],
        "val_accuracy": [0.4, 0.7, 0.85],
        "loss": [1.2, 0.6, 0.3],
        "val_loss": [1.3, 0.8, 0.4],
    }
    figure = learning.training_history_figure(history)
    names = [trace.name for trace in figure.data]
    assert names == [learning.LEARNING_LABEL, learning.CHECKING_LABEL] * 2
    assert list(figure.data[0].y) == pytest.approx([50, 80, 90])
    assert list(figure.data[0].x) == [1, 2, 3]
    assert list(figure.data[3].y) == pytest.approx([1.3, 0.8, 0.4])
    assert figure.layout.annotations[0].text == "How often it is right"


def test_training_history_marks_whole_rounds_only():
    one_round = learning.training_history_figure({"accuracy": [0.5], "loss": [1.0]})
    assert one_round.layout.xaxis.dtick == 1 and one_round.layout.xaxis2.dtick == 1
    many = learning.training_history_figure({"accuracy": [0.5] * 40, "loss": [1.0] * 40})
    assert many.layout.xaxis.dtick is None


def test_training_history_draws_while_it_is_still_empty():
    figure = learning.training_history_figure({"accuracy": [], "loss": []})
    assert all(len(trace.y) == 0 for trace in figure.data)


def test_class_accuracy_shows_percentages_per_class():
    figure = evaluation_charts.class_accuracy_figure(["Apple", "Milk"], [1.0, 0.5])
    assert list(figure.data[0].y) == ["Apple", "Milk"]
    assert list(figure.data[0].text) == ["100%", "50%"]


def test_confusion_matrix_names_the_classes_and_colours_the_mistakes():
    figure = evaluation_charts.confusion_matrix_figure(["Apple", "Milk"], [[3, 1], [0, 4]])
    right, wrong = figure.data
    assert list(right.x) == ["Apple", "Milk"] and list(right.y) == ["Apple", "Milk"]
    # The right answers and the mistakes are two layers with their own colours.
    assert [list(row) for row in right.z] == [[3, None], [None, 4]]
    assert [list(row) for row in wrong.z] == [[None, 1], [0, None]]
    assert right.colorscale[-1][1] == common.GOOD and wrong.colorscale[-1][1] == common.WARNING
    assert figure.layout.xaxis.title.text == "What the model said"
    assert figure.layout.yaxis.title.text == "What the photo shows"


def test_probabilities_are_sorted_with_the_answer_first():
    figure = prediction_charts.probability_figure(["Apple", "Lime", "Milk"], [0.1, 0.7, 0.2])
    assert list(figure.data[0].y) == ["Lime", "Milk", "Apple"]
    assert list(figure.data[0].x) == pytest.approx([70, 20, 10])


def test_added_photos_are_described_good_news_first():
    result = store.AddResult(
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
    said = messages.add_result_messages(store.AddResult(skipped=skipped), "Apple")
    assert "- and 12 more" in said[0][1]


def test_nothing_added_says_so():
    assert messages.add_result_messages(store.AddResult(), "Apple") == [
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
    assert state.file_name_for("../../etc/passwd") == "etc passwd"
    assert state.file_name_for("Äpfel & Birnen") == "Äpfel & Birnen"
    assert state.file_name_for("///") == "project"


# A big project: 200 classes.

MANY_CLASSES = [f"Product {number:03d}" for number in range(1, 201)]


def test_photos_per_class_lie_one_under_another_for_a_few_dozen_classes():
    counts = {name: 10 for name in MANY_CLASSES[:20]} | {MANY_CLASSES[20]: 1}
    figure = class_counts.photos_per_class_figure(counts, minimum=2, recommended=10)
    bars = figure.data[0]
    assert bars.orientation == "h" and list(bars.y) == list(counts)
    assert bars.marker.color[-1] == common.WARNING
    assert figure.layout.height > 320
    assert figure.layout.shapes[0].x0 == 10


def test_photos_per_class_are_summed_up_for_200_classes_with_the_short_ones_in_red():
    counts = {name: 95 + index % 11 for index, name in enumerate(MANY_CLASSES)}
    counts[MANY_CLASSES[3]] = 1
    counts[MANY_CLASSES[4]] = 0
    figure = class_counts.photos_per_class_figure(counts, minimum=2, recommended=10)
    bars = figure.data[0]
    assert len(bars.x) <= 31 and sum(bars.y) == 200
    # The red bar holds exactly the two classes that cannot be trained, and says which.
    assert bars.marker.color[0] == common.WARNING and bars.y[0] == 2
    assert set(bars.marker.color[1:]) == {common.PRIMARY}
    assert "Product 004, Product 005" in bars.hovertext[0]
    assert "2 of 200 classes have fewer than 2 photos" in figure.layout.title.subtitle.text
    assert figure.layout.height == 320


def test_photo_count_bins_give_too_few_photos_a_range_of_their_own():
    bins = class_counts.photo_count_bins(
        {"a": 0, "b": 1, "c": 2, "d": 40}, minimum=2, recommended=10
    )
    assert bins[0] == (0, 1, ["a", "b"])
    assert bins[1][0] == 2 and "c" in bins[1][2]
    assert bins[-1][0] <= 40 <= bins[-1][1] and bins[-1][2] == ["d"]
    # The ranges follow one another without gaps or overlaps.
    highs = [high for _, high, _ in bins[:-1]]
    lows = [low for low, _, _ in bins[1:]]
    assert [high + 1 for high in highs] == lows


def test_class_accuracy_of_200_classes_shows_the_worst_first():
    accuracies = [1.0] * 200
    accuracies[150], accuracies[7], accuracies[42] = 0.2, 0.5, 0.2
    figure = evaluation_charts.class_accuracy_figure(MANY_CLASSES, accuracies, most_shown=25)
    bars = figure.data[0]
    assert len(bars.y) == 25
    assert list(bars.y[:3]) == [MANY_CLASSES[42], MANY_CLASSES[150], MANY_CLASSES[7]]
    assert figure.layout.title.text == "The 25 classes recognised worst, of 200"


def diagonal_matrix(size: int) -> list[list[int]]:
    matrix = [[20 if row == column else 0 for column in range(size)] for row in range(size)]
    matrix[3][9] = 1
    matrix[3][3] = 19
    return matrix


def test_a_confusion_matrix_of_200_classes_has_no_numbers_and_names_on_hover():
    figure = evaluation_charts.clickable_confusion_matrix_figure(MANY_CLASSES, diagonal_matrix(200))
    right, wrong, squares = figure.data
    assert right.texttemplate is None and wrong.texttemplate is None
    assert figure.layout.xaxis.showticklabels is False
    assert figure.layout.yaxis.showticklabels is False
    # Empty squares stay blank, and one mistake is as visible as any.
    assert wrong.z[0][1] is None and wrong.z[3][9] == 1 and wrong.zmin == 1
    # Clickable squares only where there are photos: the diagonal and the one mistake.
    assert len(squares.x) == 201
    assert (squares.y[4], squares.x[4], squares.text[4]) == (
        MANY_CLASSES[3],
        MANY_CLASSES[9],
        "1 of 20 photos (5%, likely 1%–24%)",
    )
    assert 1000 < figure.layout.height <= 1300
    assert squares.marker.size < 46


def test_a_confusion_matrix_of_a_few_classes_keeps_its_numbers_and_names():
    figure = evaluation_charts.clickable_confusion_matrix_figure(
        MANY_CLASSES[:10], diagonal_matrix(10)
    )
    right, wrong, squares = figure.data
    assert right.texttemplate == "%{text}" and wrong.text[3][9] == "1"
    assert figure.layout.xaxis.showticklabels is not False
    assert len(squares.x) == 100 and squares.marker.size == 46


def test_probabilities_of_200_classes_show_the_likeliest_dozen():
    probabilities = [0.001] * 200
    probabilities[77] = 0.6
    figure = prediction_charts.probability_figure(MANY_CLASSES, probabilities)
    assert len(figure.data[0].y) == 12 and figure.data[0].y[0] == MANY_CLASSES[77]
    assert "12 likeliest of 200 classes" in figure.layout.title.text


def big_data_map(photo_count: int = 20_000, class_names=MANY_CLASSES):
    points = [
        datamap.MapPoint(
            x=float(index % 97),
            y=float(index % 89),
            photo=photo_references.PhotoReference(
                f"photo-{index}.jpg", class_names[index % len(class_names)], f"h{index}"
            ),
            predicted_class=class_names[(index + (index % 10 == 0)) % len(class_names)],
            confidence=0.8,
        )
        for index in range(photo_count)
    ]
    return datamap.DataMap(points=points, class_names=list(class_names), variance_shares=(0.2, 0.1))


def test_a_map_of_20000_photos_is_drawn_with_webgl_and_without_a_legend():
    data_map = big_data_map()
    figure = data_map_charts.data_map_figure(data_map, colour_by="class")
    (trace,) = figure.data
    assert trace.type == "scattergl" and len(trace.x) == 20_000
    assert figure.layout.showlegend is False
    # Each point's colour is its class's number on a scale of the classes' colours.
    assert len(trace.marker.colorscale) == 200 and trace.marker.color[201] == 1
    assert trace.hovertext[5] == "photo-5.jpg" and trace.customdata[5][1] == MANY_CLASSES[5]
    # A click still finds the photo.
    click = {"selection": {"points": [{"customdata": list(trace.customdata[12_345])}]}}
    assert data_map_charts.selected_point(click, data_map) == 12_345
    # Colouring by right and wrong keeps its two-entry legend.
    right, wrong = data_map_charts.data_map_figure(data_map, colour_by="correct").data
    assert right.type == "scattergl" and len(right.x) + len(wrong.x) == 20_000


def test_one_class_can_be_picked_out_on_a_big_map():
    data_map = big_data_map(3000)
    others, picked = data_map_charts.data_map_figure(data_map, highlight=MANY_CLASSES[7]).data
    assert picked.name == MANY_CLASSES[7] and len(picked.x) == 15
    assert picked.marker.color == common.PRIMARY and others.marker.opacity < 1
    assert {data_map.points[row[0]].photo.class_name for row in picked.customdata} == {
        MANY_CLASSES[7]
    }


def test_a_small_map_stays_svg_with_a_legend():
    data_map = big_data_map(40, MANY_CLASSES[:3])
    figure = data_map_charts.data_map_figure(data_map)
    assert all(trace.type == "scatter" for trace in figure.data)
    assert [trace.name for trace in figure.data] == MANY_CLASSES[:3]
    assert figure.layout.showlegend is True


def test_pages_of_a_long_list():
    assert paging.page_count(0, 8) == 1 and paging.page_count(200, 8) == 25
    assert paging.page_count(201, 8) == 26
    assert paging.page_bounds(200, 8, 1) == (0, 8)
    assert paging.page_bounds(200, 8, 25) == (192, 200)
    assert paging.page_bounds(20, 8, 3) == (16, 20)
    # A page past the end is the last page; one before the start the first.
    assert paging.page_bounds(20, 8, 9) == (16, 20)
    assert paging.page_bounds(20, 8, 0) == (0, 8)


def test_a_class_is_found_by_any_part_of_its_name():
    assert paging.matches("Oatly Oat Milk", "milk")
    assert paging.matches("Oatly Oat Milk", "oat  MILK")
    assert not paging.matches("Oatly Oat Milk", "soy milk")
    assert paging.matches("Äpfel", "äp") and paging.matches("anything", "  ")


def test_many_names_are_cut_short():
    assert messages.names_listed(["Apple", "Milk"]) == "**Apple**, **Milk**"
    assert messages.names_listed(MANY_CLASSES, bold=False, limit=2) == (
        "Product 001, Product 002 and 198 more"
    )
    assert messages.class_counts_summary({"Apple": 12, "Milk": 10}) == "Apple: 12, Milk: 10"
    counts = {name: 100 for name in MANY_CLASSES}
    assert messages.class_counts_summary(counts) == "100 photos each"
    counts[MANY_CLASSES[9]] = 95
    assert messages.class_counts_summary(counts) == "from 95 to 100 photos each"


def test_every_class_becomes_a_row_worst_first():
    per_class = [
        metrics.ClassMetrics("Apple", 1.0, 0.9, 0.95, 10),
        metrics.ClassMetrics("Milk", 0.5, 0.4, 0.45, 10),
    ]
    rows = tables.class_metric_rows(per_class)
    assert [row["Class"] for row in rows] == ["Milk", "Apple"]
    assert rows[0] == {
        "Class": "Milk",
        tables.RECOGNISED: 0.4,
        tables.PRECISE: 0.5,
        "Photos checked": 10,
        "Likely range": "17–69%",
    }
