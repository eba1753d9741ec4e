"""Test photos in the app: added on Evaluate per class and by zip, counted apart on Collect."""

import io
import zipfile

import pytest
from app_fixtures import (  # noqa: F401
    APP_FILE,
    FAST_PAGE_TIMEOUT,
    app_workspace_fixture,
    as_uploads,
    grocery_photos,
    tiny_photo,
)
from streamlit.testing.v1 import AppTest

from tlcore import store


def texts(elements) -> str:
    return "\n".join(str(element.value) for element in elements)


@pytest.fixture
def project(app_workspace) -> store.Project:
    made = store.Workspace(app_workspace).create_project("Groceries", "owner-token-for-tests")
    made.add_class("Banana")
    made.add_class("Carrots")
    made.add_photos("Banana", grocery_photos("Banana", 3))
    return made


def open_page(project: store.Project, page: str) -> AppTest:
    app = AppTest.from_file(str(APP_FILE), default_timeout=FAST_PAGE_TIMEOUT)
    app.query_params.update({"owner": project.owner, "project": project.id})
    app.run()
    return app.switch_page(page).run()


def class_key(project: store.Project, name: str) -> str:
    return next(item.key for item in project.refresh().classes() if item.name == name)


def test_test_photos_are_added_per_class_and_counted_apart(project):
    app = open_page(project, "pages/3_Evaluate.py")
    assert not app.exception
    uploader = app.file_uploader(key=f"test_photos_upload_{class_key(project, 'Banana')}")
    val_photos = grocery_photos("Banana", 2, split="val")
    training_photo = grocery_photos("Banana", 1)
    broken = [("broken.jpg", b"\xff\xd8 not really a photo")]
    uploader.set_value(as_uploads(val_photos + training_photo + broken))
    app = app.run()
    assert not app.exception
    assert "Added 2 test photos to **Banana**" in texts(app.success)
    warnings = texts(app.warning)
    assert "broken.jpg" in warnings
    assert "already a training photo" in warnings and training_photo[0][0] in warnings
    assert "Nothing was added" not in warnings
    assert project.refresh().test_photo_counts() == {"Banana": 2, "Carrots": 0}
    assert project.photo_counts() == {"Banana": 3, "Carrots": 0}
    assert len([b for b in app.button if b.key.startswith("test_photos_remove_")]) == 2

    # The same run again adds nothing twice: the uploader keeps its files between runs.
    app = app.run()
    assert project.refresh().test_photo_counts()["Banana"] == 2

    # Removing one.
    removal = next(b for b in app.button if b.key.startswith("test_photos_remove_"))
    app = removal.click().run()
    assert project.refresh().test_photo_counts()["Banana"] == 1
    assert "Removed the test photo" in texts(app.success)

    collect = open_page(project, "pages/1_Collect.py")
    assert "1 test photo kept apart" in texts(collect.caption)


def test_a_zip_of_test_photos_keeps_known_classes_and_says_why_not_others(project):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Carrots/c.jpg", tiny_photo((230, 120, 40)))
        archive.writestr("Kiwi/k.jpg", tiny_photo((90, 140, 40)))
    app = open_page(project, "pages/3_Evaluate.py")
    app.file_uploader(key="test_photos_zip").set_value(
        ("test.zip", buffer.getvalue(), "application/zip")
    )
    app = app.run()
    assert not app.exception
    assert "Added 1 test photo" in texts(app.success)
    assert "no class called 'Kiwi'" in texts(app.warning)
    assert project.refresh().class_names == ["Banana", "Carrots"]
    assert project.test_photo_counts() == {"Banana": 0, "Carrots": 1}

    app.file_uploader(key="test_photos_zip").set_value(("bad.zip", b"not a zip", "application/zip"))
    app = app.run()
    assert not app.exception
    assert "not a zip archive" in texts(app.error)
