"""The map of the data: every photo as a point, and its Plotly figure."""

import numpy as np
import pytest

from tlapp.charts import common
from tlapp.charts import data_map as data_map_charts
from tlcore.checks import datamap, photo_references, quality

CLASSES = ["apple", "banana"]


def two_clouds(per_class=20, seed=0):
    """Two clouds of positive features that differ in their first dimensions."""
    generator = np.random.default_rng(seed)
    first = generator.normal(0, 0.2, (per_class, 16)) + np.r_[np.full(4, 3.0), np.ones(12)]
    second = (
        generator.normal(0, 0.2, (per_class, 16)) + np.r_[np.ones(4), np.full(4, 3.0), np.ones(8)]
    )
    features = np.clip(np.concatenate([first, second]), 0, None).astype(np.float32)
    labels = np.array([0] * per_class + [1] * per_class)
    photos = [
        photo_references.PhotoReference(f"{CLASSES[label]}_{row}.jpg", CLASSES[label], f"hash{row}")
        for row, label in enumerate(labels)
    ]
    return features, labels, photos


def test_the_plane_separates_two_clouds_along_its_first_axis():
    features, labels, _ = two_clouds()
    coordinates, shares = datamap.project_to_plane(features)
    assert coordinates.shape == (len(features), 2)
    first, second = coordinates[labels == 0, 0], coordinates[labels == 1, 0]
    assert first.max() < second.min() or second.max() < first.min()
    assert shares[0] > shares[1] > 0 and sum(shares) <= 1.0
    again, _ = datamap.project_to_plane(features)
    np.testing.assert_array_equal(coordinates, again)


def test_one_photo_sits_at_the_origin():
    coordinates, shares = datamap.project_to_plane(np.ones((1, 8), dtype=np.float32))
    assert coordinates.tolist() == [[0.0, 0.0]] and shares == (0.0, 0.0)


@pytest.fixture
def data_map():
    features, labels, photos = two_clouds()
    # Photo 0 is an apple by its features but labelled banana: the map marks it wrong.
    labels = labels.copy()
    labels[0] = 1
    photos[0] = photo_references.PhotoReference("apple_0.jpg", "banana", "hash0")
    report = quality.check_features(features, labels, CLASSES, photos)
    return datamap.build_data_map(report)


def test_each_photo_becomes_a_point_that_knows_if_it_was_recognised(data_map):
    assert len(data_map.points) == 40
    point = data_map.points[0]
    assert point.photo.class_name == "banana" and point.predicted_class == "apple"
    assert not point.correct
    assert data_map.correct_share == pytest.approx(39 / 40)


def test_the_figure_has_a_trace_per_class_and_finds_the_point_clicked(data_map):
    figure = data_map_charts.data_map_figure(data_map, colour_by="class")
    assert [trace.name for trace in figure.data] == CLASSES
    assert sum(len(trace.x) for trace in figure.data) == 40
    banana = figure.data[1]
    index = banana.customdata[0][0]
    assert data_map.points[index].photo.class_name == "banana"
    assert data_map.points[index].photo.file_name in banana.hovertext[0]
    selection = {"selection": {"points": [{"curve_number": 1, "customdata": [index]}]}}
    assert data_map_charts.selected_point(selection, data_map) == index
    assert data_map_charts.selected_point({"selection": {"points": []}}, data_map) is None
    assert data_map_charts.selected_point(None, data_map) is None


def test_the_figure_can_colour_right_and_wrong(data_map):
    figure = data_map_charts.data_map_figure(data_map, colour_by="correct")
    right, wrong = figure.data
    assert (right.name, wrong.name) == ("Recognised", "Not recognised")
    assert len(right.x) == 39 and [row[0] for row in wrong.customdata] == [0]
    assert right.marker.color == common.GOOD and wrong.marker.color == common.WARNING
