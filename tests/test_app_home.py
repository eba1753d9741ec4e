"""Home: the four steps, creating, opening, renaming and deleting projects, and sessions."""

import pytest
from app_fixtures import APP_FILE, FAST_PAGE_TIMEOUT, app_workspace_fixture, texts  # noqa: F401
from streamlit.testing.v1 import AppTest

from tlcore import files, store
from tlcore.data import examples
from tlcore.jobs import exports, project_removal


def open_home(query_params: dict | None = None) -> AppTest:
    app = AppTest.from_file(str(APP_FILE), default_timeout=FAST_PAGE_TIMEOUT)
    if query_params:
        app.query_params.update(query_params)
    return app.run()


def create_project(app: AppTest, name: str) -> AppTest:
    app.text_input(key="new_project_name").input(name)
    return app.button(key="create_project").click().run()


def test_home_explains_the_tool_and_its_four_steps(app_workspace):
    app = open_home()
    assert not app.exception
    assert "Photo Classifier Trainer" in app.title[0].value
    page_text = texts(app.markdown)
    for step in ("1 · Collect", "2 · Train", "3 · Evaluate", "4 · Predict"):
        assert step in page_text
    assert "You have no projects yet" in texts(app.info)


def test_the_first_visit_gets_an_owner_token_kept_in_the_address(app_workspace):
    app = open_home()
    token = app.query_params["owner"]
    assert len(token) >= 16
    # Another visit with the same address is the same owner.
    assert open_home({"owner": token}).query_params["owner"] == token
    # A visit without it is someone else.
    assert open_home().query_params["owner"] != token


def test_a_new_project_is_created_and_opened_on_collect(app_workspace):
    app = create_project(open_home(), "Fruit stand")
    assert not app.exception
    assert app.title[0].value == "1 · Collect photos"
    assert "Opened **Fruit stand**" in texts(app.success)
    project_id = app.query_params["project"]
    assert store.Workspace(app_workspace).open_project(project_id).name == "Fruit stand"


def test_bad_project_names_give_a_clear_message(app_workspace):
    app = create_project(open_home(), "   ")
    assert not app.exception
    assert app.error and "project name" in texts(app.error).lower()
    app = create_project(app, "Fruit")
    app = create_project(open_home({"owner": app.query_params["owner"]}), "fruit")
    assert "already a project called 'Fruit'" in texts(app.error)


def test_the_example_photos_make_a_ready_project(app_workspace):
    app = open_home()
    app.button(key="try_examples").click().run()
    assert not app.exception
    assert app.title[0].value == "1 · Collect photos"
    project = store.Workspace(app_workspace).open_project(app.query_params["project"])
    assert project.name == examples.EXAMPLE_PROJECT_NAME
    assert list(project.photo_counts()) == list(examples.EXAMPLE_CLASS_NAMES)
    assert project.photo_count() == sum(map(len, examples.example_photos().values()))
    assert "Ready to train" in texts(app.success) + texts(app.info)


def test_each_browser_sees_only_its_own_projects(app_workspace):
    space = store.Workspace(app_workspace)
    space.create_project("Someone else's", "another-owner-token-123")
    app = open_home()
    space.create_project("Mine", app.query_params["owner"])
    app.run()
    page_text = texts(app.markdown)
    assert "**Mine**" in page_text
    assert "Someone else" not in page_text


def test_one_of_your_projects_is_opened_by_its_exact_name(app_workspace):
    space = store.Workspace(app_workspace)
    space.create_project("Bakery", "another-owner-token-123")
    app = open_home()
    app.text_input(key="open_by_name").input("bakery")
    app.button(key="open_by_name_button").click().run()
    # Someone else's project of that name is not found.
    assert "None of your projects is called 'bakery'" in texts(app.error)
    assert "project" not in app.query_params
    mine = space.create_project("Bakery", app.query_params["owner"])
    app.text_input(key="open_by_name").input("Bakeri")
    app.button(key="open_by_name_button").click().run()
    assert "None of your projects is called 'Bakeri'" in texts(app.error)
    app.text_input(key="open_by_name").input("bakery")
    app.button(key="open_by_name_button").click().run()
    assert not app.exception
    assert app.query_params["project"] == mine.id
    assert app.title[0].value == "1 · Collect photos"


def test_a_reload_or_a_restart_brings_the_open_project_back(app_workspace):
    app = create_project(open_home(), "Kept")
    address = {"owner": app.query_params["owner"], "project": app.query_params["project"]}
    # A new session with the same address, as after a reload or a server restart.
    again = open_home(address)
    assert "You are working on **Kept**" in texts(again.success)
    assert "**Kept**" in texts(again.markdown)


def test_a_project_is_renamed_and_deleted_after_confirmation(app_workspace):
    app = open_home()
    owner = app.query_params["owner"]
    space = store.Workspace(app_workspace)
    project = space.create_project("Old name", owner)
    app.run()
    app.text_input(key=f"rename_to_{project.id}").input("New name")
    app.button(key=f"rename_save_{project.id}").click().run()
    assert not app.exception
    assert space.open_project(project.id).name == "New name"
    assert "Renamed to **New name**" in texts(app.success)
    export = exports.export_path(app_workspace, project.id, "stamp", "onnx")
    files.write_atomically(export, b"model", "the export")
    app.button(key=f"delete_confirm_{project.id}").click().run()
    assert not app.exception
    assert space.list_projects(owner) == []
    # Its kept export went with it (`tlcore.jobs.project_removal`).
    assert not any(
        path.exists() for path in project_removal.kept_folders(app_workspace, project.id)
    )
    assert "Deleted **New name**" in texts(app.success)


def test_a_deleted_project_in_the_address_is_closed_with_a_message(app_workspace):
    app = create_project(open_home(), "Gone soon")
    address = {"owner": app.query_params["owner"], "project": app.query_params["project"]}
    store.Workspace(app_workspace).delete_project(address["project"])
    again = open_home(address)
    assert not again.exception
    assert "does not exist any more" in texts(again.warning)
    assert "project" not in again.query_params


@pytest.mark.parametrize(
    "page", ["pages/1_Collect.py", "pages/2_Train.py", "pages/3_Evaluate.py", "pages/4_Predict.py"]
)
def test_every_step_without_a_project_says_to_open_one(app_workspace, page):
    app = open_home()
    app.switch_page(page).run(timeout=120)
    assert not app.exception
    assert "Open a project first" in texts(app.info)


def test_export_without_a_project_still_opens_project_files(app_workspace):
    app = open_home()
    app.switch_page("pages/5_Export.py").run(timeout=120)
    assert not app.exception
    assert "Open a project on Home" in texts(app.info)
    assert app.file_uploader
