"""Slips a new user trips over: each fixed, and kept fixed here."""

import io
import pathlib
import zipfile

from app_fixtures import (  # noqa: F401
    APP_FILE,
    FAST_PAGE_TIMEOUT,
    app_workspace_fixture,
    grocery_photos,
    texts,
)
from streamlit.testing.v1 import AppTest

from tlapp import media, messages, state
from tlcore import store
from tlcore.data import loading
from tlcore.nets import prediction
from tlcore.training import epoch_reports


def test_with_several_learners_the_bar_counts_each_learners_rounds():
    reports = []
    reporter = epoch_reports.EpochReporter(reports.append, epochs=100, run=1, runs=5)
    reporter.on_epoch_end(2, {"loss": 1.0, "accuracy": 0.5})
    progress = reports[-1]
    assert progress.message == "Learner 2 of 5: round 3 of 100"
    # The bar still moves over all the learners together.
    assert (progress.done, progress.total) == (103, 500)
    single = epoch_reports.EpochReporter(reports.append, epochs=100)
    single.on_epoch_end(2, {})
    assert reports[-1].message == "Learning: round 3 of 100"


def test_the_augmentation_preview_says_whether_training_uses_copies():
    off = messages.augmentation_preview_caption(0, 8)
    assert "off" in off and "photos alone" in off and "learns from" in off
    assert messages.augmentation_preview_caption(3, 3) == (
        "The computer also learns from 3 changed copies of each photo; for this one:"
    )
    assert "the first 8" in messages.augmentation_preview_caption(10, 8)


def answer(name: str, best: str | None, sure: bool = True) -> prediction.Prediction:
    if best is None:
        return prediction.Prediction(name, ["A", "B"], [], [], error="not a photo")
    return prediction.Prediction(name, ["A", "B"], [0.9, 0.1], [(best, 0.9)], is_sure=sure)


def test_a_batch_summary_adds_up_and_names_the_file_not_read():
    batch = [answer("1.jpg", "A"), answer("2.jpg", "A"), answer("3.jpg", "B", sure=False)]
    batch.append(answer("notes.txt", None))
    summary = messages.predictions_summary(batch)
    assert summary == "**3 photos**: 2 × A, 1 × not sure · 1 file could not be read"
    assert messages.unreadable_files_line([("notes.txt", "not a photo")]) == (
        "1 file could not be read as a photo and got no answer:\n\n- **notes.txt**: not a photo"
    )
    two = [("a.txt", "not a photo"), ("b.txt", "not a photo")]
    assert "as photos" in messages.unreadable_files_line(two)
    assert media.NO_PREVIEW.startswith("data:image/svg+xml;base64,")


def test_a_zip_whose_photos_are_all_refused_makes_no_class(tmp_path):
    project = store.Workspace(tmp_path).create_project("Zip", "owner-zip")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a/zeros.jpg", bytes(4096))
        archive.writestr("b/real.jpg", grocery_photos("Banana", 1)[0][1])
    result = project.add_dataset(loading.load_zip(buffer.getvalue()))
    assert result.created_classes == ["b"]
    assert project.refresh().class_names == ["b"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("c/zeros.jpg", bytes(4096))
    result = project.add_dataset(loading.load_zip(buffer.getvalue()))
    assert result.created_classes == [] and project.refresh().class_names == ["b"]
    words = texts_of(messages.add_result_messages(result, None))
    assert "Made" not in words and "no class was made" in words


def texts_of(pairs) -> str:
    return "\n".join(text for _, text in pairs)


def test_a_link_to_a_missing_project_says_it_cannot_be_opened(app_workspace):
    app = AppTest.from_file(str(APP_FILE), default_timeout=FAST_PAGE_TIMEOUT).run()
    # A bookmarked link straight to a step, naming a project that is not there.
    app.query_params["project"] = "0123456789abcdef"
    app.switch_page("pages/1_Collect.py").run()
    assert not app.exception
    assert "cannot be opened: it does not exist any more" in texts(app.warning)
    assert "Open a project first" in texts(app.info)


def test_deleting_an_untrained_project_speaks_of_its_photos_only(app_workspace):
    app = AppTest.from_file(str(APP_FILE), default_timeout=FAST_PAGE_TIMEOUT).run()
    project = store.Workspace(app_workspace).create_project("Fresh", app.query_params["owner"])
    project.add_class("Apple")
    app.run()
    warning = texts(app.warning)
    assert "Delete **Fresh** with its 0 photos?" in warning
    assert "trained model" not in warning


def test_a_downloaded_project_file_keeps_the_punctuation_of_its_name():
    for name in ("Fruit & veg (v2)!", "Äpfel, Birnen; 100% bio", "Milk 1.5%"):
        file_name = f"{state.file_name_for(name)}.zip"
        # Opening the file again names the project after the file (pages/5_Export.py).
        assert pathlib.Path(file_name).stem == name
    assert state.file_name_for('a/b:c*?"<>|') == "a b c"
    assert state.file_name_for("../..") == "project"
