"""The bounds a shared server puts on what people store, through the engine and the pages.

Each limit (photos per project, bytes per upload, projects per workspace and per owner) is set
small here, through `store.Limits` or the environment variables a server would set. A batch
that goes over a limit keeps what fits and names the rest; a project over a limit is refused
with a message; the page shows either without an exception.
"""

import io
import tomllib
import zipfile

import pytest
from app_fixtures import (  # noqa: F401
    APP_FILE,
    FAST_PAGE_TIMEOUT,
    ROOT,
    app_workspace_fixture,
    as_uploads,
    open_page,
    texts,
    tiny_photo,
)
from streamlit.testing.v1 import AppTest

from tlcore import store
from tlcore.data import loading

OWNER = "owner-token-for-limit-tests"


@pytest.fixture(autouse=True)
def no_local_workers(monkeypatch):
    """These tests need no photo embedded, so the app runs no worker of its own here
    (`TLCORE_WORKERS=0`, as a web server whose workers run on other machines)."""
    monkeypatch.setenv("TLCORE_WORKERS", "0")


def distinct_photos(count: int, first: int = 0) -> list[tuple[str, bytes]]:
    """Returns `count` small photos that all differ, named photo_<n>.png."""
    return [
        (f"photo_{index}.png", tiny_photo((index % 250, (index * 7) % 250, 90), "PNG"))
        for index in range(first, first + count)
    ]


def upload_photos(app: AppTest, project: store.Project, class_name: str, files) -> AppTest:
    key = next(item.key for item in project.refresh().classes() if item.name == class_name)
    uploader = next(item for item in app.file_uploader if item.key.startswith(f"upload_{key}_"))
    uploader.set_value(as_uploads(files, "image/png"))
    return app.run()


# Photos per project.


@pytest.mark.reliability(
    area="Limits",
    case="photos per project (limit 5: a batch of 4 onto 3)",
    through="Project.add_photos",
    expected="the 2 that fit are kept, the other 2 named with the reason",
)
def test_a_batch_over_the_photo_limit_keeps_what_fits(tmp_path):
    space = store.Workspace(tmp_path, store.Limits(max_photos_per_project=5))
    project = space.create_project("Fruit", OWNER)
    project.add_class("Apple")
    project.add_class("Lime")
    assert project.add_photos("Apple", distinct_photos(3)).added
    result = project.add_photos("Lime", distinct_photos(4, first=3))
    assert result.added == ["photo_3.png", "photo_4.png"]
    assert [item.file_name for item in result.left_out] == ["photo_5.png", "photo_6.png"]
    assert "the project holds 5 photos, the most a project can have" in result.left_out[0].reason
    assert project.refresh().photo_counts() == {"Apple": 3, "Lime": 2}
    # Only the photos kept are on disk.
    assert len(list((project.folder / store.PHOTOS_FOLDER).rglob("*.png"))) == 5
    assert project.add_photos("Lime", distinct_photos(1, first=10)).left_out
    project.remove_photo("Apple", project.photos("Apple")[0].content_hash)
    assert project.add_photos("Lime", distinct_photos(1, first=10)).added == ["photo_10.png"]


@pytest.mark.reliability(
    area="Limits",
    case="photos per project (limit 5: a zip of 6)",
    through="Project.add_dataset",
    expected="the first 5 kept, the 6th named with the reason",
)
def test_a_zip_over_the_photo_limit_keeps_what_fits(tmp_path):
    space = store.Workspace(tmp_path, store.Limits(max_photos_per_project=5))
    project = space.create_project("Fruit", OWNER)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for class_name, photos in (("apple", distinct_photos(3)), ("lime", distinct_photos(3, 3))):
            for file_name, data in photos:
                archive.writestr(f"{class_name}/{file_name}", data)
    result = project.add_dataset(loading.load_zip(buffer.getvalue()))
    assert len(result.added) == 5
    assert [item.file_name for item in result.left_out] == ["photo_5.png"]
    assert project.refresh().photo_count() == 5


@pytest.mark.reliability(
    area="Limits",
    case="photos per project (limit 5: a batch of 4 onto 3)",
    through="Collect page (upload)",
    expected="the 2 that fit are kept, the other 2 named with the reason",
)
def test_the_collect_page_names_the_photos_over_the_limit(app_workspace, monkeypatch):
    monkeypatch.setenv("TLCORE_MAX_PHOTOS_PER_PROJECT", "5")
    project = store.Workspace(app_workspace).create_project("Fruit", OWNER)
    project.add_class("Apple")
    project.add_photos("Apple", distinct_photos(3))
    app = upload_photos(
        open_page(project, "pages/1_Collect.py", timeout=FAST_PAGE_TIMEOUT),
        project,
        "Apple",
        distinct_photos(4, 3),
    )
    assert not app.exception
    assert "Added 2 photos to **Apple**" in texts(app.success)
    warning = texts(app.warning)
    assert "2 photos were not added: the project holds 5 photos" in warning
    assert "**photo_5.png**" in warning and "**photo_6.png**" in warning
    assert project.refresh().photo_count() == 5


# Bytes per upload.


@pytest.mark.reliability(
    area="Limits",
    case="bytes per upload (a batch over the limit)",
    through="Project.add_photos, Collect page (upload)",
    expected="the first photos within the limit kept, the others named with the reason",
)
def test_an_upload_over_the_byte_limit_keeps_the_first_photos(app_workspace, monkeypatch):
    photos = distinct_photos(4)
    limit = sum(len(data) for _, data in photos[:2]) + 10
    monkeypatch.setenv("TLCORE_MAX_UPLOAD_BYTES", str(limit))
    project = store.Workspace(app_workspace).create_project("Fruit", OWNER)
    project.add_class("Apple")
    result = project.add_photos("Apple", photos)
    assert result.added == ["photo_0.png", "photo_1.png"]
    assert [item.file_name for item in result.left_out] == ["photo_2.png", "photo_3.png"]
    assert "the most one upload may hold; add these photos in another upload" in (
        result.left_out[0].reason
    )
    # The page says the same, and the photos left out go in with the next upload.
    app = upload_photos(
        open_page(project, "pages/1_Collect.py", timeout=FAST_PAGE_TIMEOUT),
        project,
        "Apple",
        photos[2:],
    )
    assert not app.exception
    assert "Added 2 photos to **Apple**" in texts(app.success)
    app = upload_photos(app, project, "Apple", distinct_photos(3, 10))
    assert "1 photo was not added: the upload holds more than" in texts(app.warning)
    assert project.refresh().photo_count() == 6


def test_the_default_upload_limit_is_the_servers_upload_size():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert store.MAX_UPLOAD_BYTES == config["server"]["maxUploadSize"] * 1024**2
    assert store.Limits() == store.Limits(
        max_photos_per_project=25_000,
        max_upload_bytes=200 * 1024**2,
        max_projects_per_workspace=500,
        max_projects_per_owner=50,
    )


# Projects per workspace and per owner.


@pytest.mark.reliability(
    area="Limits",
    case="projects per workspace (limit 3)",
    through="Workspace.create_project, import_project_file, create_example_project",
    expected="refused with a message; allowed again once one is deleted",
)
def test_the_workspace_refuses_projects_over_its_limit(tmp_path):
    space = store.Workspace(tmp_path, store.Limits(max_projects_per_workspace=3))
    made = [space.create_project(f"Project {number}", f"owner-{number}") for number in range(3)]
    message = "This server holds 3 projects, the most it can keep"
    with pytest.raises(store.WorkspaceError, match=message):
        space.create_project("One more", "owner-9")
    with pytest.raises(store.WorkspaceError, match=message):
        space.create_example_project("owner-9")
    with pytest.raises(store.WorkspaceError, match=message):
        space.import_project_file(b"not even a project", "owner-9", "Imported")
    assert sum(store.is_project_id(path.name) for path in tmp_path.iterdir()) == 3
    space.delete_project(made[0].id)
    assert space.create_project("One more", "owner-9").name == "One more"


@pytest.mark.reliability(
    area="Limits",
    case="projects per owner (limit 2)",
    through="Workspace.create_project, Home page",
    expected="refused with a message for that owner only",
)
def test_each_owner_has_a_limit_of_projects(app_workspace, monkeypatch):
    monkeypatch.setenv("TLCORE_MAX_PROJECTS_PER_OWNER", "2")
    space = store.Workspace(app_workspace)
    space.create_project("First", OWNER)
    space.create_project("Second", OWNER)
    with pytest.raises(store.WorkspaceError, match="You have 2 projects, the most one"):
        space.create_project("Third", OWNER)
    assert space.create_project("Someone else's", "another-owner").owner == "another-owner"
    # The Home page says why, for a new project as for the example photos.
    app = AppTest.from_file(str(APP_FILE), default_timeout=FAST_PAGE_TIMEOUT)
    app.query_params.update({"owner": OWNER})
    app.run()
    app.text_input(key="new_project_name").input("Third")
    app.button(key="create_project").click().run()
    assert not app.exception
    assert "You have 2 projects, the most one person can keep" in texts(app.error)
    app.button(key="try_examples").click().run()
    assert not app.exception
    assert "You have 2 projects" in texts(app.error)
    assert [project.name for project in space.list_projects(OWNER)] == ["Second", "First"]


def test_limits_come_from_the_environment_and_bad_values_are_ignored():
    limits = store.Limits.from_environment(
        {
            "TLCORE_MAX_PHOTOS_PER_PROJECT": " 12 ",
            "TLCORE_MAX_UPLOAD_BYTES": "1048576",
            "TLCORE_MAX_PROJECTS_PER_WORKSPACE": "zero",
            "TLCORE_MAX_PROJECTS_PER_OWNER": "-3",
        }
    )
    assert limits.max_photos_per_project == 12
    assert limits.max_upload_bytes == 1024**2
    assert limits.max_projects_per_workspace == store.MAX_PROJECTS_PER_WORKSPACE
    assert limits.max_projects_per_owner == store.MAX_PROJECTS_PER_OWNER
    assert store.Limits.from_environment({}) == store.Limits()


def test_a_workspace_reads_its_limits_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("TLCORE_MAX_PROJECTS_PER_WORKSPACE", "7")
    assert store.Workspace(tmp_path).limits.max_projects_per_workspace == 7
