"""Unknown photos: below a threshold set on the validation photos, an answer reads "not sure"."""

import dataclasses
import io
import json
import pathlib

import numpy as np
import pytest
from app_fixtures import (  # noqa: F401
    APP_FILE,
    PREDICT_PAGE,
    SLOW_PAGE_TIMEOUT,
    app_workspace_fixture,
    grocery_photos,
    open_page,
)
from engine_fixtures import GROCERY_DIR, TEST_CLASSES
from PIL import Image

from tlcore.training import scores, trainer

# Grocery classes the small model was never taught, some close to its classes (another
# pepper, another oat milk), some not.
UNTAUGHT_CLASSES = (
    "Yellow-Bell-Pepper",
    "Oatly-Natural-Oatghurt",
    "Arla-Standard-Milk",
    "Kiwi",
    "Lemon",
    "Cucumber",
)


def test_the_threshold_keeps_nearly_all_correct_answers_sure():
    rows = np.random.default_rng(0).dirichlet(np.ones(4) * 0.3, size=200)
    labels = rows.argmax(axis=1)
    labels[:20] = (labels[:20] + 1) % 4
    threshold = scores.unknown_threshold(rows, labels)
    correct = rows.argmax(axis=1) == labels
    kept = (rows.max(axis=1)[correct] >= threshold).mean()
    assert 0.95 <= kept < 1.0
    assert 0.25 <= threshold < 1.0


def test_the_threshold_with_few_or_no_right_answers():
    few = np.array([[0.6, 0.4], [0.2, 0.8], [0.7, 0.3]])
    # With fewer than twenty right answers, all of them stay sure.
    assert scores.unknown_threshold(few, [0, 1, 0]) == pytest.approx(0.6)
    assert scores.unknown_threshold(few, [1, 0, 1]) == 1.0
    assert scores.unknown_threshold(np.zeros((0, 2)), []) == scores.FALLBACK_UNKNOWN_THRESHOLD


def test_answers_say_whether_they_are_sure():
    from tlapp import tables
    from tlcore.nets import prediction

    unsure = prediction.Prediction(
        "x.jpg", ["Apple", "Milk"], [0.55, 0.45], [("Apple", 0.55), ("Milk", 0.45)], None, False
    )
    assert unsure.best_class == "Apple" and unsure.sure_class is None
    assert unsure.to_dict()["sure"] is False
    assert tables.prediction_rows([unsure])[0]["Looks like"] == "Not sure (perhaps Apple)"
    broken = prediction.Prediction("y.jpg", ["Apple"], [], [], "not a photo", False)
    assert "sure" not in broken.to_dict()


def noise_photos(count: int, size: int = 48) -> list[bytes]:
    """Tiny made-up photos of coloured noise, nothing like any product."""
    random = np.random.default_rng(7)
    photos = []
    for _ in range(count):
        buffer = io.BytesIO()
        pixels = random.integers(0, 256, (size, size, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(buffer, format="PNG")
        photos.append(buffer.getvalue())
    return photos


@pytest.fixture(scope="module")
def trained_at_128(small_training):
    """The small subset trained at 128 px.

    At 96 px, a head trained on ten photos a class is close to certain of everything, made-up
    noise included: the features of so small a picture say too little. At 128 px they say
    enough for its confidence to mean something, for a few more seconds of embedding.
    """
    settings = dataclasses.replace(small_training.settings, image_size=128)
    return trainer.train(small_training.dataset, settings)


@pytest.mark.slow
def test_untaught_photos_and_noise_are_less_often_sure_than_taught_ones(trained_at_128):
    from tlcore.nets import prediction

    trained = trained_at_128
    assert 0.0 < trained.unknown_threshold <= 1.0
    taught = [
        path for name in TEST_CLASSES for path in sorted((GROCERY_DIR / "val" / name).glob("*"))
    ]
    untaught = [
        path
        for name in UNTAUGHT_CLASSES
        for path in sorted((GROCERY_DIR / "val" / name).glob("*"))[:4]
    ]
    assert len(taught) > 20 and len(untaught) >= 15
    taught_answers = prediction.predict(trained, taught)
    untaught_answers = prediction.predict(trained, untaught)
    noise_answers = prediction.predict(trained, noise_photos(8))

    def share_sure(answers):
        return np.mean([answer.is_sure for answer in answers])

    def mean_confidence(answers):
        return np.mean([answer.top[0][1] for answer in answers])

    # Photos of what it was taught are mostly sure; the others are less often sure and get
    # lower confidence, on the whole (a single photo may still fool it).
    assert share_sure(taught_answers) >= 0.6
    assert share_sure(untaught_answers) < share_sure(taught_answers)
    assert share_sure(noise_answers) < share_sure(taught_answers)
    assert mean_confidence(untaught_answers) < mean_confidence(taught_answers)
    assert mean_confidence(noise_answers) < mean_confidence(taught_answers)
    assert all(answer.threshold == trained.unknown_threshold for answer in noise_answers)


@pytest.mark.slow
def test_the_threshold_travels_in_the_project_file_and_the_command_line(
    small_training, tmp_path, capsys
):
    from tlcore import cli
    from tlcore.serving import project_file as projects

    trained = small_training.trained
    project_file = projects.save_project(trained, tmp_path / "small.zip")
    loaded = projects.load_project(project_file)
    assert loaded.unknown_threshold == pytest.approx(trained.unknown_threshold)

    photo = tmp_path / "noise.png"
    photo.write_bytes(noise_photos(1)[0])
    banana = sorted((GROCERY_DIR / "val" / "Banana").glob("*"))[0]
    assert cli.main(["predict", str(project_file), str(photo), str(banana), "--quiet"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [type(line["sure"]) for line in lines] == [bool, bool]

    # A project saved before the threshold existed falls back to the old rule: sure from 50%.
    metadata = projects.project_metadata(trained)
    del metadata["unknown_threshold"]
    old_file = tmp_path / "old.zip"
    import zipfile

    with zipfile.ZipFile(project_file) as archive, zipfile.ZipFile(old_file, "w") as copy:
        copy.writestr(projects.METADATA_ENTRY, json.dumps(metadata))
        copy.writestr(projects.MODEL_ENTRY, archive.read(projects.MODEL_ENTRY))
    old = projects.load_project(old_file)
    assert old.unknown_threshold is None and old.sure_threshold == 0.5


def trained_project(folder: pathlib.Path, trained, threshold: float):
    """A workspace project holding the small model with its threshold set to `threshold`."""
    from tlcore import store

    project = store.Workspace(folder).create_project("Unknown", "owner-token-for-unknown-tests")
    for class_name in trained.class_names:
        project.add_class(class_name)
        project.add_photos(class_name, grocery_photos(class_name, 2))
    project.save_trained(dataclasses.replace(trained, unknown_threshold=threshold))
    return project


@pytest.mark.slow
def test_the_predict_page_says_not_sure_below_the_threshold(app_workspace, small_training):
    project = trained_project(app_workspace, small_training.trained, threshold=1.0)
    app = open_page(project, PREDICT_PAGE)
    assert not app.exception
    # The model was trained without test-time augmentation, so the toggle starts off.
    assert app.toggle(key="predict_test_time_augmentation").value is False
    file_name, data = grocery_photos("Banana", 1, split="val")[0]
    app.file_uploader(key="predict_upload").set_value((file_name, data, "image/jpeg"))
    app.run()
    assert not app.exception
    assert [header.value for header in app.subheader] == [
        "Not sure — it may be something it was not taught"
    ]
    assert "Its best guess is" in " ".join(markdown.value for markdown in app.markdown)
    assert len(app.get("plotly_chart")) == 1
    app.toggle(key="predict_test_time_augmentation").set_value(True).run()
    assert not app.exception
    assert app.subheader[0].value.startswith("Not sure")


@pytest.mark.slow
def test_the_predict_page_names_the_class_above_the_threshold(app_workspace, small_training):
    project = trained_project(app_workspace, small_training.trained, threshold=0.0)
    app = open_page(project, PREDICT_PAGE)
    file_name, data = grocery_photos("Banana", 1, split="val")[0]
    app.file_uploader(key="predict_upload").set_value((file_name, data, "image/jpeg"))
    app.run()
    assert not app.exception
    assert app.subheader[0].value.startswith("This looks like: ")
