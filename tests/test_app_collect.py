"""Collect: classes, photos by upload, zip and camera, thumbnails, the chart and the warnings."""

import io
import zipfile

import pytest
from app_fixtures import (  # noqa: F401
    APP_FILE,
    FAST_PAGE_TIMEOUT,
    app_workspace_fixture,
    as_uploads,
    grocery_photos,
    texts,
    tiny_photo,
)
from streamlit.testing.v1 import AppTest

from tlcore import store


@pytest.fixture(autouse=True)
def no_local_workers(monkeypatch):
    """These tests need no photo embedded, so the app runs no worker of its own here
    (`TLCORE_WORKERS=0`, as a web server whose workers run on other machines)."""
    monkeypatch.setenv("TLCORE_WORKERS", "0")


@pytest.fixture
def project(app_workspace) -> store.Project:
    return store.Workspace(app_workspace).create_project("Groceries", "owner-token-for-tests")


def open_collect(project: store.Project) -> AppTest:
    app = AppTest.from_file(str(APP_FILE), default_timeout=FAST_PAGE_TIMEOUT)
    app.query_params.update({"owner": project.owner, "project": project.id})
    app.run()
    return app.switch_page("pages/1_Collect.py").run()


def add_class(app: AppTest, name: str) -> AppTest:
    app.text_input(key="new_class_name").input(name)
    return app.button(key="add_class").click().run()


def class_key(project: store.Project, name: str) -> str:
    return next(item.key for item in project.refresh().classes() if item.name == name)


def upload(app: AppTest, project: store.Project, class_name: str, files, mime="image/jpeg"):
    key = class_key(project, class_name)
    uploader = next(item for item in app.file_uploader if item.key.startswith(f"upload_{key}_"))
    uploader.set_value(as_uploads(files, mime))
    return app.run()


def test_an_empty_project_asks_for_a_first_class(project):
    app = open_collect(project)
    assert not app.exception
    assert app.title[0].value == "1 · Collect photos"
    assert "Start by adding a class" in texts(app.info)


def test_classes_are_added_and_a_bad_name_explained(project):
    app = add_class(open_collect(project), "Banana")
    assert not app.exception
    assert "Added the class **Banana**" in texts(app.success)
    app = add_class(app, "banana")
    assert "too close to the existing class 'Banana'" in texts(app.error)
    app = add_class(app, "  ")
    assert app.error
    assert project.refresh().class_names == ["Banana"]


def test_one_class_alone_is_flagged_with_what_to_do(project):
    project.add_class("Banana")
    app = open_collect(project)
    warnings = texts(app.warning)
    assert "Add at least **2 classes**" in warnings
    assert "**Banana** has 0 photos: add at least 2 more" in warnings


def test_many_real_photos_are_uploaded_at_once_and_shown(project):
    project.add_class("Banana")
    project.add_class("Oatly milk")
    app = open_collect(project)
    app = upload(app, project, "Banana", grocery_photos("Banana", 6))
    assert not app.exception
    assert "Added 6 photos to **Banana**" in texts(app.success)
    assert project.refresh().photo_counts() == {"Banana": 6, "Oatly milk": 0}
    # The upload widget starts empty again, so the same files are not added twice.
    key = class_key(project, "Banana")
    uploader = next(item for item in app.file_uploader if item.key.startswith(f"upload_{key}_"))
    assert not uploader.value
    assert len(app.get("image")) == 6
    assert app.get("plotly_chart")
    assert "**Oatly milk** has 0 photos" in texts(app.warning)


def test_unreadable_files_are_named_and_the_rest_kept(project):
    project.add_class("Banana")
    photos = grocery_photos("Banana", 2)
    broken = [("notes.jpg", b"this is text, not a photo"), ("cut.jpg", photos[0][1][:300])]
    app = upload(open_collect(project), project, "Banana", photos + broken)
    assert not app.exception
    assert "Added 2 photos" in texts(app.success)
    warnings = texts(app.warning)
    assert "2 files were left out" in warnings
    assert "**notes.jpg**" in warnings and "**cut.jpg**" in warnings
    assert project.refresh().photo_counts()["Banana"] == 2


def test_duplicates_are_flagged_with_what_to_do(project):
    project.add_class("Banana")
    project.add_class("Milk")
    photos = grocery_photos("Banana", 2)
    project.add_photos("Banana", photos)
    app = open_collect(project)
    app = upload(app, project, "Banana", [("again.jpg", photos[0][1])])
    assert "already in the class and not added twice" in texts(app.info)
    app = upload(app, project, "Milk", [("milk.jpg", photos[1][1])])
    warning = texts(app.warning)
    assert "a photo can belong to only one class" in warning
    assert "remove it from the other class first" in warning
    assert project.refresh().photo_counts() == {"Banana": 2, "Milk": 0}


def test_a_zip_with_a_folder_per_class_makes_classes(project):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for class_name in ("Banana", "Carrots"):
            for file_name, data in grocery_photos(class_name, 3):
                archive.writestr(f"shop/{class_name}/{file_name}", data)
    app = open_collect(project)
    zip_uploader = next(item for item in app.file_uploader if item.key.startswith("zip_upload_"))
    zip_uploader.set_value(("shop.zip", buffer.getvalue(), "application/zip"))
    app.run()
    assert not app.exception
    assert "Made 2 classes: **Banana**, **Carrots**" in texts(app.success)
    assert project.refresh().photo_counts() == {"Banana": 3, "Carrots": 3}


def test_a_file_that_is_not_a_zip_gives_a_message(project):
    app = open_collect(project)
    zip_uploader = next(item for item in app.file_uploader if item.key.startswith("zip_upload_"))
    zip_uploader.set_value(("photos.zip", b"not a zip", "application/zip"))
    app.run()
    assert not app.exception
    assert "is not a zip archive" in texts(app.error)


def test_a_camera_photo_is_added_to_its_class(project):
    project.add_class("Banana")
    app = open_collect(project)
    key = class_key(project, "Banana")
    app.toggle(key=f"camera_on_{key}").set_value(True).run()
    camera = next(item for item in app.camera_input if item.key.startswith(f"camera_{key}_"))
    camera.set_value(("shot.jpg", grocery_photos("Banana", 1)[0][1], "image/jpeg"))
    app.run()
    assert not app.exception
    assert "Added 1 photo to **Banana**" in texts(app.success)
    assert project.refresh().photos("Banana")[0].file_name.startswith("camera-")


def test_a_single_photo_is_removed(project):
    project.add_class("Banana")
    project.add_photos("Banana", grocery_photos("Banana", 3))
    victim = project.photos("Banana")[1]
    app = open_collect(project)
    key = class_key(project, "Banana")
    app.button(key=f"remove_{key}_{victim.content_hash[:24]}").click().run()
    assert not app.exception
    assert f"Removed **{victim.file_name}**" in texts(app.success)
    assert project.refresh().photo_counts()["Banana"] == 2


def test_a_class_is_renamed_and_deleted_after_confirmation(project):
    project.add_class("Banana")
    project.add_photos("Banana", grocery_photos("Banana", 2))
    app = open_collect(project)
    key = class_key(project, "Banana")
    app.text_input(key=f"rename_class_to_{key}").input("Yellow banana")
    app.button(key=f"rename_class_{key}").click().run()
    assert project.refresh().class_names == ["Yellow banana"]
    assert app.button(key=f"delete_class_{key}").disabled
    app.checkbox(key=f"delete_class_sure_{key}").check().run()
    app.button(key=f"delete_class_{key}").click().run()
    assert not app.exception
    assert project.refresh().class_names == []


def test_many_photos_show_a_few_until_asked(project):
    project.add_class("Banana")
    project.add_photos("Banana", grocery_photos("Banana", 15))
    app = open_collect(project)
    assert len(app.get("image")) == 12
    key = class_key(project, "Banana")
    app.toggle(key=f"show_all_{key}").set_value(True).run()
    assert len(app.get("image")) == 15
