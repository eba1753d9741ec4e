"""Who gets into a project: its owner, and those holding a share link the owner made."""

import json

import pytest
from app_fixtures import tiny_photo

from tlcore import store
from tlcore.data import examples
from tlcore.store import access

OWNER = "owner-token-aaaaaaaaaaaa"
STRANGER = "stranger-token-bbbbbbbbbb"


@pytest.fixture
def space(tmp_path) -> store.Workspace:
    return store.Workspace(tmp_path / "workspace")


@pytest.fixture
def project(space) -> store.Project:
    made = space.create_project("Shop shelf", OWNER)
    made.add_class("Apple")
    made.add_photos("Apple", [("apple.jpg", tiny_photo((200, 30, 30)))])
    return made


def test_the_owner_opens_their_project_and_may_do_everything(space, project):
    opened = space.open_as(project.id, OWNER)
    assert opened.access.is_owner and opened.access.can_change
    opened.add_class("Lime")
    assert space.open_project(project.id).class_names == ["Apple", "Lime"]


def test_a_stranger_cannot_list_find_or_open_the_project(space, project):
    assert space.list_projects(STRANGER) == []
    assert space.find_by_name("Shop shelf", STRANGER) is None
    assert space.find_by_name("shop SHELF", OWNER).id == project.id
    for share_token in ("", "guessed", OWNER):
        with pytest.raises(access.AccessError, match="cannot be opened") as refused:
            space.open_as(project.id, STRANGER, share_token)
        # The same words as for a project that does not exist: ids cannot be probed.
        assert str(refused.value) == access.NOT_ALLOWED
    with pytest.raises(access.AccessError) as missing:
        space.open_as("0123456789abcdef", STRANGER)
    assert str(missing.value) == access.NOT_ALLOWED


def test_a_stranger_cannot_rename_or_delete_the_project(space, project):
    with pytest.raises(access.AccessError):
        space.rename_project(project.id, "Mine now", owner=STRANGER)
    with pytest.raises(access.AccessError):
        space.delete_project(project.id, owner=STRANGER)
    assert space.open_project(project.id).name == "Shop shelf"
    space.rename_project(project.id, "Top shelf", owner=OWNER)
    space.delete_project(project.id, owner=OWNER)
    assert space.list_projects(OWNER) == []


def test_a_view_link_lets_its_holder_look_but_change_nothing(space, project):
    link = space.open_as(project.id, OWNER).make_share_link(access.VIEW)
    seen = space.open_as(project.id, STRANGER, link.token)
    assert seen.access.role == access.VIEW and not seen.access.can_change
    assert seen.photo_counts() == {"Apple": 1}
    before = space.read_metadata(project.id)
    for change in (
        lambda: seen.add_class("Lime"),
        lambda: seen.add_photos("Apple", [("more.jpg", tiny_photo((10, 200, 10)))]),
        lambda: seen.remove_photo("Apple", seen.photos("Apple")[0].content_hash),
        lambda: seen.rename_class("Apple", "Pear"),
        lambda: seen.delete_class("Apple"),
        seen.mark_training_started,
    ):
        with pytest.raises(access.AccessError, match="only look"):
            change()
    with pytest.raises(access.AccessError, match="Only the project's owner"):
        seen.make_share_link(access.EDIT)
    assert space.read_metadata(project.id) == before
    assert space.list_projects(STRANGER) == []


def test_an_edit_link_lets_its_holder_change_photos_but_not_share(space, project):
    link = space.open_as(project.id, OWNER).make_share_link(access.EDIT)
    helper = space.open_as(project.id, STRANGER, link.token)
    assert helper.access.can_change and not helper.access.is_owner
    helper.add_class("Lime")
    helper.add_photos("Lime", [("lime.jpg", tiny_photo((30, 160, 40)))])
    assert space.open_project(project.id).photo_counts() == {"Apple": 1, "Lime": 1}
    with pytest.raises(access.AccessError, match="Only the project's owner"):
        helper.revoke_share_link(link.token)
    with pytest.raises(access.AccessError):
        space.delete_project(project.id, owner=STRANGER)


def test_a_withdrawn_link_stops_working_at_once(space, project):
    mine = space.open_as(project.id, OWNER)
    link = mine.make_share_link(access.EDIT)
    other = mine.make_share_link(access.VIEW)
    helper = space.open_as(project.id, STRANGER, link.token)
    mine.revoke_share_link(link.token)
    # The project the holder already has open refuses the next change...
    with pytest.raises(access.AccessError, match="withdrawn"):
        helper.add_class("Lime")
    # ...and the link no longer opens it.
    with pytest.raises(access.AccessError, match="cannot be opened"):
        space.open_as(project.id, STRANGER, link.token)
    assert [kept.token for kept in space.open_project(project.id).share_links] == [other.token]
    assert space.open_project(project.id).class_names == ["Apple"]


def test_share_tokens_are_long_random_and_owner_only(space, project):
    mine = space.open_as(project.id, OWNER)
    tokens = {mine.make_share_link(access.VIEW).token for _ in range(5)}
    assert len(tokens) == 5 and all(len(token) >= 32 for token in tokens)
    assert all(OWNER not in token for token in tokens)
    with pytest.raises(access.AccessError, match="look only, or look and change"):
        mine.make_share_link("owner")


def test_names_are_unique_per_owner_only(space, project):
    assert space.create_project("shop SHELF", STRANGER).name == "shop SHELF"
    with pytest.raises(store.WorkspaceError, match="already a project"):
        space.create_project("Shop Shelf", OWNER)
    assert space.unique_name("Shop shelf", STRANGER) == "Shop shelf (2)"
    assert space.unique_name("Shop shelf", "third-owner-cccccccc") == "Shop shelf"


def test_each_new_person_gets_the_example_under_its_plain_name(space):
    first = space.create_example_project(OWNER)
    second = space.create_example_project(STRANGER)
    assert first.name == second.name == examples.EXAMPLE_PROJECT_NAME
    assert space.create_example_project(OWNER).name == f"{examples.EXAMPLE_PROJECT_NAME} (2)"


def test_a_project_saved_before_sharing_existed_still_opens(space, project):
    # A project.json of the time before share links, imported on the workspace's first opening.
    saved = space.read_metadata(project.id)
    del saved["shares"]
    old_root = space.root.parent / "old-workspace"
    (old_root / project.id).mkdir(parents=True)
    (old_root / project.id / store.PROJECT_FILE).write_text(json.dumps(saved))
    old_space = store.Workspace(old_root)
    reopened = old_space.open_as(project.id, OWNER)
    assert reopened.share_links == []
    reopened.make_share_link(access.VIEW)
    assert len(old_space.read_metadata(project.id)["shares"]) == 1


def test_a_trusted_engine_open_keeps_full_access(space, project):
    # The command line and workers open by id: no owner to check, everything allowed.
    assert space.open_project(project.id).access == access.FULL


def test_a_training_started_through_a_withdrawn_link_is_still_recorded_as_ended(space, project):
    mine = space.open_as(project.id, OWNER)
    link = mine.make_share_link(access.EDIT)
    helper = space.open_as(project.id, STRANGER, link.token)
    helper.mark_training_started()
    mine.revoke_share_link(link.token)
    helper.mark_training_ended()
    assert not space.open_project(project.id).training_interrupted
