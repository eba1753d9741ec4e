"""The pages with a big project: 200 classes show a page of class cards, photos and squares.

The project holds 200 classes of 2 tiny made-up photos each: enough for every list of the pages
to be long, while the tests stay fast. The Evaluate and Check your data pages get a made-up
evaluation and data check of those photos, so no test loads TensorFlow.
"""

import dataclasses
import io
import json
import pathlib

import numpy as np
import pytest
from app_fixtures import APP_FILE, FAST_PAGE_TIMEOUT, open_page, texts
from PIL import Image
from streamlit.testing.v1 import AppTest

from tlapp.charts import confusion
from tlcore import store
from tlcore.checks import datamap, mislabelled, near_duplicates, outliers, photo_references, quality
from tlcore.evaluation import metrics as evaluation

OWNER = "owner-token-for-scale-tests"
CLASS_COUNT = 200
PHOTOS_PER_CLASS = 2
# As on the pages.
CLASS_CARDS_PER_PAGE = 8
PHOTOS_PER_GALLERY_PAGE = 24
PHOTOS_PER_CHECK_PAGE = 12


def class_name(number: int) -> str:
    return f"Product {number:03d}"


def tiny_jpeg(number: int) -> bytes:
    """A 32-pixel JPEG whose comment makes its bytes, and so its content hash, its own."""
    buffer = io.BytesIO()
    colour = ((number * 37) % 256, (number * 91) % 256, (number * 53) % 256)
    Image.new("RGB", (32, 32), colour).save(
        buffer, "JPEG", quality=90, comment=f"photo {number}".encode()
    )
    return buffer.getvalue()


@dataclasses.dataclass
class BigProject:
    folder: pathlib.Path
    project: store.Project


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """A workspace with one project of 200 classes, made once for the module."""
    folder = tmp_path_factory.mktemp("scale_workspace")
    project = store.Workspace(folder).create_project("Big shop", OWNER)
    for number in range(1, CLASS_COUNT + 1):
        name = class_name(number)
        project.add_class(name)
        first = number * PHOTOS_PER_CLASS
        project.add_photos(
            name,
            [
                (f"{name}-{index}.jpg", tiny_jpeg(first + index))
                for index in range(PHOTOS_PER_CLASS)
            ],
        )
    return BigProject(folder, project.refresh())


@pytest.fixture
def in_workspace(big, monkeypatch):
    monkeypatch.setenv("TLCORE_WORKSPACE", str(big.folder))
    return big


def class_uploaders(app: AppTest) -> list:
    return [item for item in app.file_uploader if item.key.startswith("upload_")]


def class_keys(project: store.Project, names) -> set[str]:
    return {item.key for item in project.classes() if item.name in names}


def shown_class_keys(app: AppTest) -> set[str]:
    # An uploader's key is `upload_<class key>_<round>`.
    return {item.key.removeprefix("upload_").rsplit("_", 1)[0] for item in class_uploaders(app)}


# Collect.


def test_collect_shows_one_page_of_class_cards_among_200(in_workspace):
    app = open_page(in_workspace.project, "pages/1_Collect.py", timeout=FAST_PAGE_TIMEOUT)
    assert not app.exception
    first_page = [class_name(number) for number in range(1, CLASS_CARDS_PER_PAGE + 1)]
    assert shown_class_keys(app) == class_keys(in_workspace.project, first_page)
    # Only the cards on view make thumbnails: 8 classes of 2 photos, not 400.
    assert len(app.get("image")) == CLASS_CARDS_PER_PAGE * PHOTOS_PER_CLASS
    assert "Showing classes 1–8 of 200." in texts(app.caption)
    assert app.selectbox(key="collect_class_page").value == 1
    # The chart sums the 200 classes up instead of drawing 200 bars.
    chart = json.loads(app.get("plotly_chart")[0].proto.spec)
    assert "your 200 classes" in chart["layout"]["title"]["text"]
    assert len(chart["data"][0]["x"]) < 40


def test_collect_turns_the_pages_of_classes(in_workspace):
    app = open_page(in_workspace.project, "pages/1_Collect.py", timeout=FAST_PAGE_TIMEOUT)
    app.button(key="collect_class_page_next").click().run()
    assert not app.exception
    second_page = [class_name(number) for number in range(9, 17)]
    assert shown_class_keys(app) == class_keys(in_workspace.project, second_page)
    assert "Showing classes 9–16 of 200." in texts(app.caption)
    app.selectbox(key="collect_class_page").set_value(25).run()
    assert not app.exception
    last_page = [class_name(number) for number in range(193, 201)]
    assert shown_class_keys(app) == class_keys(in_workspace.project, last_page)
    assert app.button(key="collect_class_page_next").disabled


def test_collect_finds_a_class_by_its_name(in_workspace):
    app = open_page(in_workspace.project, "pages/1_Collect.py", timeout=FAST_PAGE_TIMEOUT)
    app.selectbox(key="collect_class_page").set_value(3).run()
    app.text_input(key="collect_class_filter").input("product 137").run()
    assert not app.exception
    assert shown_class_keys(app) == class_keys(in_workspace.project, [class_name(137)])
    assert len(app.get("image")) == PHOTOS_PER_CLASS
    # Part of a name finds every class that holds it, from their first page on.
    app.text_input(key="collect_class_filter").input("13").run()
    # Products 013, 113 and 130 to 139.
    assert "Showing classes 1–8 of 12." in texts(app.caption)
    app.text_input(key="collect_class_filter").input("Pineapple").run()
    assert not class_uploaders(app)
    assert "No class name contains “Pineapple”." in texts(app.info)


def test_a_class_added_to_many_comes_into_view(tmp_path, monkeypatch):
    # A workspace of its own, since this test adds a class.
    monkeypatch.setenv("TLCORE_WORKSPACE", str(tmp_path))
    project = store.Workspace(tmp_path).create_project("Nine classes", OWNER)
    for number in range(1, 10):
        project.add_class(class_name(number))
    app = open_page(project, "pages/1_Collect.py", timeout=FAST_PAGE_TIMEOUT)
    app.text_input(key="new_class_name").input("Zucchini")
    app.button(key="add_class").click().run()
    assert not app.exception
    assert app.text_input(key="collect_class_filter").value == "Zucchini"
    assert shown_class_keys(app) == class_keys(project.refresh(), ["Zucchini"])


# Evaluate.


@pytest.fixture(scope="module")
def evaluated(big):
    """The big project with a made-up training record: a third of its photos are mistaken."""
    project = big.project
    photos = [photo for name in project.class_names for photo in project.photos(name)]
    labels = np.array([project.class_names.index(photo.class_name) for photo in photos])
    generator = np.random.default_rng(0)
    probabilities = generator.random((len(photos), CLASS_COUNT)) * 0.1
    said = np.where(
        generator.random(len(photos)) < 0.3,
        generator.integers(0, CLASS_COUNT, len(photos)),
        labels,
    )
    probabilities[np.arange(len(photos)), said] += 3.0
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    scores = evaluation.evaluate(
        probabilities,
        labels,
        project.class_names,
        [photo.file_name for photo in photos],
        [photo.content_hash for photo in photos],
    )
    record = {
        "created_at": "2026-01-10T12:00:00+00:00",
        "class_names": project.class_names,
        "settings": {"image_size": 96},
        "history": {"accuracy": [0.5, 0.7], "val_accuracy": [0.5, 0.7]},
        "evaluation": scores.to_dict(),
        "backbone_id": "mobilenet_v2_1.0-96",
    }
    # No page of these tests loads the model itself: its file only has to be there.
    project.model_path.write_bytes(b"a made-up model")
    (project.folder / store.TRAINING_FILE).write_text(json.dumps(record))
    yield scores
    project.model_path.unlink()
    (project.folder / store.TRAINING_FILE).unlink()


def test_evaluate_with_200_classes_keeps_its_charts_and_galleries_small(in_workspace, evaluated):
    assert len(evaluated.misclassified) > 2 * PHOTOS_PER_GALLERY_PAGE
    app = open_page(in_workspace.project, "pages/3_Evaluate.py", timeout=FAST_PAGE_TIMEOUT)
    assert not app.exception
    accuracy_chart, pairs_chart, whole_matrix, matrix_chart = (
        json.loads(chart.proto.spec) for chart in app.get("plotly_chart")
    )
    bars = accuracy_chart["data"][0]
    assert len(bars["y"]) == 25 and "of 200" in accuracy_chart["layout"]["title"]["text"]
    worst = sorted(evaluated.per_class, key=lambda metrics: metrics.recall)[0]
    assert bars["y"][0] == worst.class_name
    # The mistakes made most often come first, one bar a pair of classes.
    assert 0 < len(pairs_chart["data"][0]["y"]) <= confusion.PAIRS_SHOWN
    # The whole matrix, to zoom into: no numbers in its 40,000 squares, every class named.
    assert not whole_matrix["data"][0].get("texttemplate")
    assert whole_matrix["layout"]["height"] > 1000
    # The clickable matrix holds the classes most often confused, a square only where photos are.
    indices = confusion.most_confused_classes(evaluated.confusion_matrix)
    names, counts = confusion.sub_matrix(evaluated.class_names, evaluated.confusion_matrix, indices)
    squares = matrix_chart["data"][2]
    filled = sum(1 for row in counts for count in row if count)
    assert len(names) == len(indices) <= confusion.CLASSES_SHOWN
    assert len(squares["x"]) == filled
    # Every class's figures, worst first, in a table that scrolls.
    table = app.dataframe[0].value
    assert len(table) == CLASS_COUNT and table["Class"].iloc[0] == worst.class_name
    # The mistakes come a page at a time.
    assert len(app.get("image")) == PHOTOS_PER_GALLERY_PAGE
    first_captions = texts(app.caption)
    app.button(key="evaluate_mistake_page_next").click().run()
    assert not app.exception
    assert len(app.get("image")) == PHOTOS_PER_GALLERY_PAGE
    assert texts(app.caption) != first_captions
    assert f"Showing photos 25–48 of {len(evaluated.misclassified)}." in texts(app.caption)


def test_evaluate_offers_the_biggest_mistakes_first(in_workspace, evaluated):
    app = open_page(in_workspace.project, "pages/3_Evaluate.py", timeout=FAST_PAGE_TIMEOUT)
    square = app.selectbox(key="evaluate_cell")
    first = square.options[1]
    assert first.startswith("Really ")
    assert ", recognised (" in square.options[-1]
    mistakes = [
        count
        for row, values in enumerate(evaluated.confusion_matrix)
        for column, count in enumerate(values)
        if row != column and count
    ]
    assert f"({max(mistakes)} photo" in first


# Check your data.


def made_up_check(project: store.Project) -> dict:
    """A data check of the big project's photos, as the page keeps it, without the network."""
    photos = [
        photo_references.PhotoReference(photo.file_name, photo.class_name, photo.content_hash)
        for name in project.class_names
        for photo in project.photos(name)
    ]
    labels = np.array([project.class_names.index(photo.class_name) for photo in photos])
    generator = np.random.default_rng(1)
    features = generator.random((len(photos), 16)).astype(np.float32)
    out_of_fold = np.full((len(photos), CLASS_COUNT), 0.1 / CLASS_COUNT)
    out_of_fold[np.arange(len(photos)), (labels + 1) % CLASS_COUNT] += 0.9
    report = quality.QualityReport(
        class_names=project.class_names,
        photos=photos,
        labels=labels,
        features=features,
        out_of_fold=out_of_fold,
        mislabelled=[
            mislabelled.MislabelledPhoto(photo, project.class_names[0], 0.9, 0.01)
            for photo in photos[:40]
        ],
        near_duplicates=[
            near_duplicates.NearDuplicate(photos[index], photos[index + 1], 0.95)
            for index in range(0, 60, 2)
        ],
        outliers=[outliers.Outlier(photo, 0.1, 0.8, 6.0) for photo in photos[100:130]],
        settings=quality.QualitySettings(),
    )
    return {"project": project.id, "report": report, "map": datamap.build_data_map(report)}


def test_check_your_data_pages_its_lists_and_maps_200_classes_without_a_legend(in_workspace):
    project = in_workspace.project
    app = AppTest.from_file(str(APP_FILE), default_timeout=FAST_PAGE_TIMEOUT)
    app.query_params.update({"owner": project.owner, "project": project.id})
    app.run()
    app.switch_page("pages/6_Check_data.py")
    app.session_state["check_data_report"] = {**made_up_check(project), "changed": 0}
    app.run()
    assert not app.exception
    # Lists of 40 photos, 30 pairs and 30 photos: a page of 12 photos or pairs each.
    assert len(app.get("image")) == PHOTOS_PER_CHECK_PAGE * (1 + 2 + 1)
    captions = texts(app.caption)
    assert "Showing photos 1–12 of 40." in captions
    assert "Showing pairs 1–12 of 30." in captions
    app.selectbox(key="check_data_mislabelled_page").set_value(4).run()
    assert not app.exception
    assert "Showing photos 37–40 of 40." in texts(app.caption)
    chart = json.loads(app.get("plotly_chart")[0].proto.spec)
    assert chart["layout"]["showlegend"] is False
    assert len(chart["data"]) == 1
    app.selectbox(key="check_data_highlight").set_value(class_name(7)).run()
    assert not app.exception
    chart = json.loads(app.get("plotly_chart")[0].proto.spec)
    assert [trace["name"] for trace in chart["data"]] == ["Other classes", class_name(7)]
