"""The workspace's database: old workspaces imported, two processes editing, refusals in words."""

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from app_fixtures import grocery_photos, tiny_photo

from tlcore import store
from tlcore.jobs import records
from tlcore.store import access, database, locks, migration
from tlcore.store.photo_changes import PHOTOS_PER_TRANSACTION

OWNER = "owner-of-the-old-workspace"
ROOT = Path(__file__).resolve().parents[1]


def files_with_hashes(folder: Path) -> dict[str, str]:
    """Every file under a folder, by relative path, with the hash of its bytes."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def old_workspace(tmp_path) -> tuple[Path, dict[str, dict]]:
    """A workspace as the code before the database left it: one `project.json` per project.

    The projects are made by the store from real grocery photos (with test photos, a share
    link and a training's marks), then their records written out as `project.json` was laid
    out, beside their photo files, in a workspace that has no database yet.
    """
    maker = store.Workspace(tmp_path / "maker")
    fruit = maker.create_project("Groceries", OWNER)
    for class_name in ("Avocado", "Banana"):
        fruit.add_class(class_name)
        fruit.add_photos(class_name, grocery_photos(class_name, 3))
        fruit.add_photos(class_name, grocery_photos(class_name, 1, split="val"), test=True)
    fruit.rename_class("Banana", "Bananas")
    fruit.make_share_link(access.VIEW)
    fruit.mark_training_started()
    other = maker.create_project("Colours", "someone-else")
    other.add_class("Red")
    other.add_photos("Red", [("red.png", tiny_photo((200, 0, 0), "PNG"))])
    old_root = tmp_path / "old"
    saved = {}
    for project in (fruit, other):
        metadata = maker.read_metadata(project.id)
        if not metadata["shares"]:
            del metadata["shares"]  # The old code wrote the key only with the first link.
        metadata["trained_at"] = "2026-01-01T00:00:00+00:00"
        shutil.copytree(project.folder, old_root / project.id)
        (old_root / project.id / store.PROJECT_FILE).write_text(json.dumps(metadata, indent=2))
        saved[project.id] = metadata
    return old_root, saved


def test_an_old_workspace_is_imported_on_first_open_with_nothing_lost(old_workspace):
    old_root, saved = old_workspace
    files_before = {project_id: files_with_hashes(old_root / project_id) for project_id in saved}
    space = store.Workspace(old_root)
    for project_id, metadata in saved.items():
        space.open_project(project_id)  # Which tidies the folder: the kept file stays.
        imported = space.read_metadata(project_id)
        assert imported["classes"] == metadata["classes"]
        assert imported["shares"] == metadata.get("shares", [])
        for key in ("name", "owner", "created_at", "updated_at", "changed_at", "trained_at"):
            assert imported[key] == metadata[key]
        assert imported.get("training_started_at") == metadata.get("training_started_at")
        # Every file is where it was; project.json is kept, renamed.
        files_after = files_with_hashes(old_root / project_id)
        moved = files_before[project_id].pop(store.PROJECT_FILE)
        assert files_after.pop(store.PROJECT_FILE + migration.MIGRATED_SUFFIX) == moved
        assert files_after == files_before[project_id]
    fruit = next(project for project in space.list_projects(OWNER))
    assert fruit.photo_counts() == {"Avocado": 3, "Bananas": 3}
    assert fruit.test_photo_counts() == {"Avocado": 1, "Bananas": 1}
    assert all(photo.path.is_file() for photo in fruit.photos("Avocado", test=True))
    # Changed after the (older) training recorded, as the old file said.
    assert fruit.training_interrupted and fruit.changed_since_training
    assert [link.role for link in fruit.share_links] == [access.VIEW]
    # A later opening, in this process or another, imports nothing twice.
    locks._tidied.clear()
    assert migration.migrate_workspace(old_root, space.database) == []
    assert len(space.list_projects(OWNER)) == 1


def test_an_unreadable_project_json_is_left_as_it_is(old_workspace):
    old_root, saved = old_workspace
    broken_id = next(iter(saved))
    (old_root / broken_id / store.PROJECT_FILE).write_text('{"half": ')
    space = store.Workspace(old_root)
    assert (old_root / broken_id / store.PROJECT_FILE).read_text() == '{"half": '
    assert broken_id not in {summary["id"] for summary in _all_summaries(space)}
    assert len(_all_summaries(space)) == len(saved) - 1


def _all_summaries(space: store.Workspace) -> list[dict]:
    with space.database.connection() as connection:
        return store.project_rows.summaries(connection)


EDITOR = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {tests!r})
    from app_fixtures import tiny_photo
    from tlcore import store

    project = store.Workspace({root!r}).open_project({project_id!r})
    import os, pathlib, time
    barrier = pathlib.Path({root!r}) / ".barrier"
    (barrier / f"ready-{{os.getpid()}}").touch()
    while not (barrier / "go").exists():
        time.sleep(0.01)
    name, shade = sys.argv[1], int(sys.argv[2])
    project.add_class(name)
    for index in range(12):
        colour = (shade, 4 * index, 255 - 4 * index)
        project.add_photos("Shared", [(f"{{name}}_{{index}}.png", tiny_photo(colour, "PNG"))])
        project.add_photos(name, [(f"own_{{index}}.png", tiny_photo(colour[::-1], "PNG"))])
    """
)


def start_together(root: Path, commands: list[list[str]], **options) -> list[subprocess.Popen]:
    """Starts processes that wait at a barrier (see the scripts), and lets them go at once."""
    barrier = root / ".barrier"
    barrier.mkdir()
    processes = [subprocess.Popen(command, cwd=ROOT, **options) for command in commands]
    deadline = time.monotonic() + 120
    while len(list(barrier.glob("ready-*"))) < len(processes) and time.monotonic() < deadline:
        time.sleep(0.01)
    (barrier / "go").touch()
    return processes


def edit_together(root: Path, project: store.Project) -> None:
    """Runs two `EDITOR` processes on the project at once ("First" and "Second"), to the end."""
    script = EDITOR.format(tests=str(ROOT / "tests"), root=str(root), project_id=project.id)
    editors = start_together(
        root,
        [
            [sys.executable, "-c", script, name, str(shade)]
            for name, shade in (("First", 10), ("Second", 240))
        ],
    )
    assert [editor.wait(timeout=120) for editor in editors] == [0, 0]


def test_two_processes_editing_one_project_at_once_lose_no_edit(tmp_path):
    space = store.Workspace(tmp_path)
    project = space.create_project("Shared", OWNER)
    project.add_class("Shared")
    edit_together(tmp_path, project)
    project.refresh()
    assert sorted(project.class_names) == ["First", "Second", "Shared"]
    assert project.photo_counts() == {"Shared": 24, "First": 12, "Second": 12}
    names = {photo.file_name for photo in project.photos("Shared")}
    assert names == {f"{name}_{index}.png" for name in ("First", "Second") for index in range(12)}


def test_a_database_that_cannot_be_opened_is_said_in_words(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(database.DATABASE_URL_VARIABLE, f"sqlite:///{blocker}/tlcore.db")
    with pytest.raises(store.WorkspaceError, match="cannot read or write its list of projects"):
        store.Workspace(tmp_path / "space")


def test_a_damaged_database_is_said_in_words(tmp_path):
    (tmp_path / database.DATABASE_FILE).write_bytes(b"this is no database " * 100)
    with pytest.raises(store.WorkspaceError, match="its file is damaged"):
        store.Workspace(tmp_path)


def test_a_database_kept_busy_by_another_process_is_said_in_words(tmp_path, monkeypatch):
    space = store.Workspace(tmp_path)
    project = space.create_project("Fruit", OWNER)
    monkeypatch.setattr(database, "BUSY_TIMEOUT_SECONDS", 0.2)
    # Another process holds the write lock (as one stuck mid-transaction would).
    holder = sqlite3.connect(tmp_path / database.DATABASE_FILE, isolation_level=None)
    holder.execute("begin immediate")
    try:
        busy = store.Workspace(tmp_path)
        busy.database._local = threading.local()  # Fresh connections, with the short wait.
        with pytest.raises(store.WorkspaceError, match="kept it busy"):
            busy.open_project(project.id).add_class("Apple")
        with pytest.raises(records.JobError, match="record of trainings"):
            records.JobStore(tmp_path).create("training", project.id, OWNER, {})
    finally:
        holder.execute("rollback")
        holder.close()
    assert project.refresh().class_names == []
    project.add_class("Apple")
    assert project.refresh().class_names == ["Apple"]


def test_one_photo_added_writes_one_row(tmp_path):
    space = store.Workspace(tmp_path)
    project = space.create_project("Fruit", OWNER)
    project.add_class("Apple")
    project.add_photos("Apple", [("a.png", tiny_photo((1, 2, 3), "PNG"))])
    statements = []
    with space.database.connection() as connection:
        connection.set_trace_callback(statements.append)
        try:
            project.add_photos("Apple", [("b.png", tiny_photo((3, 2, 1), "PNG"))])
        finally:
            connection.set_trace_callback(None)
    writes = [text for text in statements if text.split()[0].lower() in ("insert", "delete")]
    assert len(writes) == 1 and "insert into photos" in writes[0]


CREATOR = textwrap.dedent(
    """
    import sys
    from tlcore import errors, store

    space = store.Workspace({root!r}, store.Limits(max_projects_per_owner=1000))
    import os, pathlib, time
    barrier = pathlib.Path({root!r}) / ".barrier"
    (barrier / f"ready-{{os.getpid()}}").touch()
    while not (barrier / "go").exists():
        time.sleep(0.01)
    made = 0
    for number in range(60):
        try:
            space.create_project(f"Project {{number}}", {owner!r})
            made += 1
        except errors.WorkspaceError:
            pass
    print(made)
    """
)


def test_two_processes_making_projects_of_one_name_make_each_name_once(tmp_path):
    store.Workspace(tmp_path)
    script = CREATOR.format(root=str(tmp_path), owner=OWNER)
    makers = start_together(
        tmp_path, [[sys.executable, "-c", script]] * 2, stdout=subprocess.PIPE, text=True
    )
    made = [int(maker.communicate(timeout=120)[0]) for maker in makers]
    assert sum(made) == 60
    names = sorted(project.name for project in store.Workspace(tmp_path).list_projects(OWNER))
    assert names == sorted(f"Project {number}" for number in range(60))


def test_a_large_upload_is_stored_in_short_transactions(tmp_path):
    space = store.Workspace(tmp_path)
    project = space.create_project("Fruit", OWNER)
    project.add_class("Apple")
    count = 2 * PHOTOS_PER_TRANSACTION + 5
    photos = [
        (f"photo_{index}.png", tiny_photo((index % 256, index // 256, 9), "PNG", size=8))
        for index in range(count)
    ]
    statements = []
    with space.database.connection() as connection:
        connection.set_trace_callback(statements.append)
        try:
            result = project.add_photos("Apple", photos)
        finally:
            connection.set_trace_callback(None)
    # Others' changes get the write lock between the batches.
    assert sum(text.strip().lower() == "commit" for text in statements) == 3
    assert len(result.added) == count and project.refresh().photo_count() == count


def test_a_database_of_the_first_schema_gets_the_shared_projects_table(tmp_path):
    path = tmp_path / database.DATABASE_FILE
    first = sqlite3.connect(path)
    first.executescript(database.MIGRATIONS[0][1])
    first.executescript("create table schema_version (version integer);")
    first.execute("insert into schema_version values (1)")
    first.execute(
        "insert into projects (id, owner, name, name_key, created_at, updated_at) "
        "values ('0123456789abcdef', ?, 'Kept', 'kept', 'then', 'then')",
        (OWNER,),
    )
    first.commit()
    first.close()
    space = store.Workspace(tmp_path)
    project = space.open_project("0123456789abcdef")
    link = project.make_share_link(access.VIEW)
    space.open_as(project.id, "visitor", link.token)
    assert [listed.name for listed in space.list_shared_with("visitor")] == ["Kept"]
    with space.database.connection() as connection:
        versions = connection.execute("select version from schema_version").fetchall()
    assert [row[0] for row in versions] == [1, 2]
