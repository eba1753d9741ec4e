"""Home's Share menu, and what a share link, a stranger's link and a withdrawn link open."""

import pytest
from app_fixtures import APP_FILE, FAST_PAGE_TIMEOUT, app_workspace_fixture, tiny_photo  # noqa: F401
from streamlit.testing.v1 import AppTest

from tlcore import access, store

OWNER = "owner-token-for-sharing-tests"
STRANGER = "stranger-token-for-sharing"


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
