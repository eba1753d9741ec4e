"""Home's Share menu, and what a share link, a stranger's link and a withdrawn link open."""

import pytest
from app_fixtures import APP_FILE, FAST_PAGE_TIMEOUT, app_workspace_fixture, tiny_photo  # noqa: F401
from streamlit.testing.v1 import AppTest

from tlcore import store
from tlcore.store import access

OWNER = "owner-token-for-sharing-tests"
STRANGER = "stranger-token-for-sharing"


@pytest.fixture(autouse=True)
def no_local_workers(monkeypatch):
    """These tests need no photo embedded, so the app runs no worker of its own here
    (`TLCORE_WORKERS=0`, as a web server whose workers run on other machines)."""
    monkeypatch.setenv("TLCORE_WORKERS", "0")


def texts(elements) -> str:
    return "\n".join(str(element.value) for element in elements)


@pytest.fixture
def project(app_workspace) -> store.Project:
    made = store.Workspace(app_workspace).create_project("Shop shelf", OWNER)
    # Enough to train, so that Train shows its button.
    for name, colour in (("Apple", (200, 30, 30)), ("Pear", (30, 160, 40))):
        made.add_class(name)
        made.add_photos(
            name, [(f"{name}_{index}.jpg", tiny_photo((*colour[:2], index))) for index in range(5)]
        )
    return made


def visit(address: dict, page: str | None = None) -> AppTest:
    """Opens Home (then `page`) with an address, as a browser would with a link."""
    app = AppTest.from_file(str(APP_FILE), default_timeout=FAST_PAGE_TIMEOUT)
    app.query_params.update(address)
    # Straight to the page, as a link to it would: no run of Home before.
    return app.switch_page(page).run() if page else app.run()


def test_the_owner_makes_a_link_without_their_own_token_and_withdraws_it(project):
    app = visit({"owner": OWNER})
    app.button(key=f"share_view_{project.id}").click().run()
    assert not app.exception
    (link,) = project.refresh().share_links
    assert link.role == access.VIEW
    shown = texts(app.code)
    assert f"?project={project.id}&share={link.token}" in shown
    assert OWNER not in shown
    app.button(key=f"revoke_share_{link.token[:16]}").click().run()
    assert not app.exception
    assert project.refresh().share_links == []
    assert "no longer opens the project" in texts(app.success)


def test_a_strangers_link_with_the_projects_id_opens_nothing(project):
    for page in (None, "pages/1_Collect.py"):
        app = visit({"owner": STRANGER, "project": project.id}, page)
        assert not app.exception
        assert access.NOT_ALLOWED in texts(app.warning)
        assert "project" not in app.query_params
        assert "Shop shelf" not in texts(app.markdown) + texts(app.success)


def test_a_view_link_shows_the_project_with_nothing_to_change(project):
    link = project.make_share_link(access.VIEW)
    address = {"owner": STRANGER, "project": project.id, "share": link.token}
    home = visit(address)
    assert "**Shop shelf** was shared with you: you can look only" in texts(home.success)
    # Not listed among the visitor's own projects, and not theirs to rename or share.
    assert f"share_view_{project.id}" not in [button.key for button in home.button]
    app = visit(address, "pages/1_Collect.py")
    assert not app.exception
    assert "was shared with you to look at" in texts(app.info)
    assert app.button(key="add_class").disabled
    assert not [button for button in app.button if button.key.startswith("remove_")]
    assert all(uploader.disabled for uploader in app.file_uploader)
    assert app.query_params["share"] == link.token
    train = visit(address, "pages/2_Train.py")
    assert train.button(key="train_button").disabled


def test_an_edit_link_lets_its_holder_add_a_class(project):
    link = project.make_share_link(access.EDIT)
    app = visit(
        {"owner": STRANGER, "project": project.id, "share": link.token}, "pages/1_Collect.py"
    )
    assert "to look at" not in texts(app.info)
    app.text_input(key="new_class_name").input("Lime")
    app.button(key="add_class").click().run()
    assert not app.exception
    assert project.refresh().class_names == ["Apple", "Pear", "Lime"]


def test_a_withdrawn_link_closes_the_project_on_the_next_step(project):
    link = project.make_share_link(access.EDIT)
    app = visit(
        {"owner": STRANGER, "project": project.id, "share": link.token}, "pages/1_Collect.py"
    )
    project.revoke_share_link(link.token)
    app.text_input(key="new_class_name").input("Lime")
    app.button(key="add_class").click().run()
    assert not app.exception
    assert project.refresh().class_names == ["Apple", "Pear"]
    assert access.NOT_ALLOWED in texts(app.warning) + texts(app.info)
    assert "project" not in app.query_params and "share" not in app.query_params


def test_a_project_opened_by_its_link_is_listed_under_shared_with_you(project):
    assert "Shared with you" not in texts(visit({"owner": STRANGER}).subheader)
    link = project.make_share_link(access.VIEW)
    visit({"owner": STRANGER, "project": project.id, "share": link.token})

    # Back on Home later, with the visitor's own address only: no link needed.
    home = visit({"owner": STRANGER})
    assert not home.exception
    assert "Shared with you" in texts(home.subheader)
    assert "**Shop shelf**" in texts(home.markdown)
    photos = sum(project.photo_counts().values())
    assert f"you can look only · 2 classes · {photos} photos" in texts(home.caption)
    # Listed to open, never among the visitor's own projects to rename, share or delete.
    assert f"delete_confirm_{project.id}" not in [button.key for button in home.button]
    home.button(key=f"open_shared_{project.id}").click().run()
    assert not home.exception
    assert home.query_params["share"] == link.token
    assert home.query_params["project"] == project.id
    assert "was shared with you to look at" in texts(home.info)

    # Neither its owner nor a third browser lists it as shared with them.
    assert "Shared with you" not in texts(visit({"owner": OWNER}).subheader)
    assert "Shared with you" not in texts(visit({"owner": "a-third-browser-token"}).subheader)

    # Withdrawn: gone from the list at once, though the visitor's record said they had it.
    project.revoke_share_link(link.token)
    home = visit({"owner": STRANGER})
    assert not home.exception
    assert "Shared with you" not in texts(home.subheader)
    assert f"open_shared_{project.id}" not in [button.key for button in home.button]


def test_an_edit_link_is_listed_with_its_role_and_a_new_link_replaces_a_withdrawn_one(project):
    space = project.workspace
    view = project.make_share_link(access.VIEW)
    space.open_as(project.id, STRANGER, view.token)
    project.revoke_share_link(view.token)
    edit = project.make_share_link(access.EDIT)
    space.open_as(project.id, STRANGER, edit.token)
    (listed,) = space.list_shared_with(STRANGER)
    assert listed.access == access.Access(access.EDIT, share_token=edit.token)
    home = visit({"owner": STRANGER})
    assert "you can look and change · 2 classes" in texts(home.caption)
    # The owner opening their own project leaves no record, and lists nothing as shared.
    space.open_as(project.id, OWNER, edit.token)
    assert space.list_shared_with(OWNER) == []
    # Deleting the project takes its records with it.
    space.delete_project(project.id)
    assert space.list_shared_with(STRANGER) == []


def test_a_link_pasted_on_the_visitors_own_address_lists_the_project_there(project):
    link = project.make_share_link(access.EDIT)
    home = visit({"owner": STRANGER})
    home.text_input(key="open_share_link").input("https://example.org/?project=x")
    home.button(key="open_share_link_button").click().run()
    assert "This is not a share link" in texts(home.error)
    home.text_input(key="open_share_link").input(
        f"http://127.0.0.1:8501/?project={project.id}&share={link.token}"
    )
    home.button(key="open_share_link_button").click().run()
    assert not home.exception
    assert home.query_params["owner"] == STRANGER
    assert home.query_params["share"] == link.token
    assert "to look at" not in texts(home.info)
    assert [listed.id for listed in project.workspace.list_shared_with(STRANGER)] == [project.id]
    # A guessed token opens nothing, in the words of any refusal.
    home = visit({"owner": "a-third-browser-token"})
    home.text_input(key="open_share_link").input(f"/?project={project.id}&share=guessed")
    home.button(key="open_share_link_button").click().run()
    assert access.NOT_ALLOWED in texts(home.error)
    assert project.workspace.list_shared_with("a-third-browser-token") == []
