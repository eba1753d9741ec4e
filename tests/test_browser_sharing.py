"""In a real browser, two people: the second cannot get into the first's project by its name,
its id or a guessed link; a view link lets them look only, an edit link lets them change it,
a project they opened by a link is listed on their Home under "Shared with you", and a
withdrawn link stops working, and leaves that list, at once.

Screenshots go to `test-artifacts/screenshots/` for a person to look at.
"""

import urllib.parse

import pytest
from app_fixtures import tiny_photo
from server_fixtures import chromium, new_page, running_app, screenshot, settle

from tlcore import store
from tlcore.store import access

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PROJECT_NAME = "Shop shelf"


@pytest.fixture
def server(tmp_path):
    with running_app(tmp_path / "workspace", tmp_path) as running:
        yield running


@pytest.fixture
def browsers(server):
    """Two pages in two browser contexts: two people, each with their own address bar."""
    with chromium() as browser:
        yield [new_page(browser, 1440, 1200) for _ in range(2)]


def main_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def shared_heading(page):
    return page.get_by_role("heading", name="Shared with you")


def address_parameter(page, name: str) -> str:
    return urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query).get(name, [""])[0]


def visit(page, address: str) -> None:
    page.goto(address)
    settle(page)


def make_link(owner_page, button_name: str) -> str:
    """Opens the project card's Share menu on Home, makes a link and returns its address."""
    owner_page.get_by_role("button", name="Share").click()
    settle(owner_page)
    codes = owner_page.locator('[data-testid="stPopoverBody"] [data-testid="stCode"]')
    before = codes.count()
    owner_page.get_by_role("button", name=button_name).click()
    settle(owner_page)
    codes.nth(before).wait_for()
    # The newest link is shown first.
    return codes.first.inner_text().strip()


def test_a_second_browser_gets_in_only_through_a_link_the_owner_made(server, browsers):
    owner_page, stranger_page = browsers
    visit(owner_page, server.address)
    owner_page.get_by_label("Name", exact=True).fill(PROJECT_NAME)
    owner_page.get_by_role("button", name="Create project").click()
    owner_page.get_by_text(f"Opened {PROJECT_NAME}").wait_for()
    owner = address_parameter(owner_page, "owner")
    space = store.Workspace(server.workspace)
    project = space.find_by_name(PROJECT_NAME, owner)
    project.add_class("Apple")
    project.add_photos("Apple", [(f"apple_{n}.jpg", tiny_photo((200, 30, n))) for n in range(3)])

    # By name: not listed, not found.
    visit(stranger_page, server.address)
    stranger = address_parameter(stranger_page, "owner")
    assert stranger and stranger != owner
    assert PROJECT_NAME not in main_text(stranger_page)
    stranger_page.get_by_label("Project name").fill(PROJECT_NAME)
    stranger_page.get_by_role("button", name="Open", exact=True).click()
    stranger_page.get_by_text(f"None of your projects is called '{PROJECT_NAME}'").wait_for()
    # By id, and by a guessed share token: refused in the same words as a missing project.
    for address in (
        f"{server.address}/?project={project.id}",
        f"{server.address}/Collect?owner={stranger}&project={project.id}",
        f"{server.address}/?project={project.id}&share=guessed-{project.id}",
    ):
        visit(stranger_page, address)
        assert access.NOT_ALLOWED in main_text(stranger_page), address
        assert "Apple" not in main_text(stranger_page)
        assert address_parameter(stranger_page, "project") == ""
    print(screenshot(stranger_page, "sharing-stranger-refused"))

    # A view link: everything shown, nothing to change.
    visit(owner_page, f"{server.address}/?owner={owner}")
    view_link = make_link(owner_page, "Make a view-only link")
    print(screenshot(owner_page, "sharing-owner-menu"))
    assert f"project={project.id}&share=" in view_link and owner not in view_link
    visit(stranger_page, view_link)
    assert "was shared with you: you can look only" in main_text(stranger_page)
    # A link opened in a fresh tab carries no owner token: the page gives this tab one, and
    # writes it into the address, as on any first visit.
    visitor = address_parameter(stranger_page, "owner")
    stranger_page.get_by_role("link", name="1 · Collect photos").click()
    settle(stranger_page, 800)
    assert "was shared with you to look at" in main_text(stranger_page)
    assert stranger_page.get_by_role("button", name="Add class").is_disabled()
    assert stranger_page.get_by_role("button", name="Remove").count() == 0
    assert "apple_0.jpg" in main_text(stranger_page)
    print(screenshot(stranger_page, "sharing-view-only-collect"))
    # Nor rename or delete: the project is not among the stranger's own.
    visit(stranger_page, f"{server.address}/?owner={stranger}")
    assert stranger_page.get_by_role("button", name="Delete").count() == 0
    # It is listed as shared with that tab's address, without the link, and opens from there.
    visit(stranger_page, f"{server.address}/?owner={visitor}")
    assert stranger_page.get_by_role("button", name="Delete").count() == 0
    home_text = main_text(stranger_page)
    assert shared_heading(stranger_page).count() == 1 and PROJECT_NAME in home_text
    assert "you can look only" in home_text
    print(screenshot(stranger_page, "sharing-shared-with-you"))
    assert shared_heading(owner_page).count() == 0
    stranger_page.locator(f".st-key-open_shared_{project.id} button").click()
    stranger_page.get_by_text("was shared with you to look at").wait_for()
    assert address_parameter(stranger_page, "share") in view_link
    assert address_parameter(stranger_page, "owner") == visitor

    # An edit link: the stranger adds a class.
    visit(owner_page, f"{server.address}/?owner={owner}")
    edit_link = make_link(owner_page, "Make an edit link")
    # Pasted on the visitor's own Home, so it stays listed on that address.
    visit(stranger_page, f"{server.address}/?owner={visitor}")
    stranger_page.get_by_label("Share link").fill(edit_link)
    stranger_page.get_by_role("button", name="Open the link").click()
    stranger_page.get_by_label("New class").wait_for()
    settle(stranger_page, 800)
    assert address_parameter(stranger_page, "owner") == visitor
    stranger_page.get_by_label("New class").fill("Lime")
    stranger_page.get_by_role("button", name="Add class").click()
    stranger_page.get_by_text("Added the class Lime").wait_for()
    assert project.refresh().class_names == ["Apple", "Lime"]
    visit(stranger_page, f"{server.address}/?owner={visitor}")
    assert "you can look and change" in main_text(stranger_page)
    print(screenshot(stranger_page, "sharing-shared-with-you-edit"))
    stranger_page.locator(f".st-key-open_shared_{project.id} button").click()
    stranger_page.get_by_label("New class").wait_for()
    settle(stranger_page, 800)

    # Withdrawn while the stranger has the project open: their next step is refused.
    visit(owner_page, f"{server.address}/?owner={owner}")
    owner_page.get_by_role("button", name="Share").click()
    settle(owner_page)
    links = project.refresh().share_links
    assert [link.role for link in links] == [access.VIEW, access.EDIT]
    # The newest link (the edit link) is listed first.
    owner_page.get_by_role("button", name="Withdraw").first.click()
    owner_page.get_by_text("it no longer opens the project").wait_for()
    assert [link.role for link in project.refresh().share_links] == [access.VIEW]
    stranger_page.get_by_label("New class").fill("Kiwi")
    stranger_page.get_by_role("button", name="Add class").click()
    stranger_page.get_by_text(access.NOT_ALLOWED).wait_for()
    settle(stranger_page)
    assert project.refresh().class_names == ["Apple", "Lime"]
    assert address_parameter(stranger_page, "share") == ""
    print(screenshot(stranger_page, "sharing-withdrawn"))
    visit(stranger_page, edit_link)
    assert access.NOT_ALLOWED in main_text(stranger_page)
    # Gone from the visitor's list too: it was listed by the edit link they opened last.
    visit(stranger_page, f"{server.address}/?owner={visitor}")
    assert shared_heading(stranger_page).count() == 0
    assert PROJECT_NAME not in main_text(stranger_page)
    print(screenshot(stranger_page, "sharing-shared-with-you-withdrawn"))
