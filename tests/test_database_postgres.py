"""The workspace's database on PostgreSQL: the same store, through `TLCORE_DATABASE_URL`.

A throwaway server is made with the `initdb` and `pg_ctl` found on this machine (as the
`postgres` user when the tests run as root), on a Unix socket in a temporary folder; each test
gets a database of its own. Without a server binary or psycopg the tests skip, saying which.
"""

import glob
import os
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from app_fixtures import grocery_photos
from test_database import OWNER, edit_together, old_workspace  # noqa: F401

from tlcore import store
from tlcore.jobs import project_removal
from tlcore.jobs import records as job_records
from tlcore.store import access, database, migration

PORT = "8773"


def _binary(name: str) -> str | None:
    found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found if isinstance(found, str) else (found[-1] if found else None)


@pytest.fixture(scope="module")
def server():
    """A PostgreSQL server of its own; yields the URL of its maintenance database."""
    pytest.importorskip("psycopg", reason="psycopg is not installed (requirements-test.txt)")
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("No PostgreSQL server binary (initdb, pg_ctl) is installed on this machine.")
    # Not under pytest's temporary folder, which only root may enter.
    folder = Path(tempfile.mkdtemp(prefix="tlcore-postgres-"))
    as_user = []
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root.
        if shutil.which("runuser") is None or subprocess.run(["id", "postgres"]).returncode:
            pytest.skip("Running as root with no 'postgres' user to run the server as.")
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    data = folder / "data"
    subprocess.run(
        [*as_user, initdb, "-D", str(data), "-A", "trust", "-U", "tlcore"],
        check=True,
        capture_output=True,
    )
    options = f"-p {PORT} -k {folder} -c listen_addresses='' -c fsync=off"
    subprocess.run(
        [
            *as_user,
            pg_ctl,
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(folder / "log"),
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://tlcore@/postgres?host={folder}&port={PORT}"
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], check=False)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_url(server, monkeypatch):
    """A fresh database on the server, named by `TLCORE_DATABASE_URL`."""
    import psycopg

    name = f"tlcore_{secrets.token_hex(4)}"
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f"create database {name}")
    url = server.replace("/postgres?", f"/{name}?")
    monkeypatch.setenv(database.DATABASE_URL_VARIABLE, url)
    return url


def test_a_project_s_whole_life_on_postgresql(tmp_path, postgres_url):
    space = store.Workspace(tmp_path)
    assert space.database.url == postgres_url and not (tmp_path / "tlcore.db").exists()
    project = space.create_project("Groceries", OWNER)
    with pytest.raises(store.WorkspaceError, match="already a project called"):
        space.create_project(" groceries ", OWNER)
    for class_name in ("Avocado", "Banana"):
        project.add_class(class_name)
        project.add_photos(class_name, grocery_photos(class_name, 3))
        project.add_photos(class_name, grocery_photos(class_name, 1, split="val"), test=True)
    link = project.make_share_link(access.EDIT)
    project.rename_class("Banana", "Bananas")
    moved = project.photos("Avocado")[0]
    project.move_photo(moved.content_hash, "Avocado", "Bananas")
    project.remove_photo("Bananas", project.photos("Bananas")[0].content_hash)
    reopened = store.Workspace(tmp_path).open_as(project.id, "someone-else", link.token)
    assert reopened.photo_counts() == {"Avocado": 2, "Bananas": 3}
    assert reopened.test_photo_counts() == {"Avocado": 1, "Bananas": 1}
    assert reopened.photos("Bananas")[-1].content_hash == moved.content_hash
    assert all(photo.path.is_file() for photo in reopened.photos("Bananas"))
    assert [listed.name for listed in space.list_projects(OWNER)] == ["Groceries"]
    space.rename_project(project.id, "Fruit", owner=OWNER)
    space.delete_project(project.id, owner=OWNER)
    assert space.list_projects(OWNER) == []


def test_an_old_workspace_is_imported_into_postgresql(old_workspace, postgres_url):  # noqa: F811
    old_root, saved = old_workspace
    # The old projects were made on SQLite, so nothing of them is on the server before.
    assert (old_root.parent / "maker" / database.DATABASE_FILE).is_file()
    space = store.Workspace(old_root)
    assert space.database.url == postgres_url
    for project_id, metadata in saved.items():
        imported = space.read_metadata(project_id)
        assert imported["classes"] == metadata["classes"]
        assert imported["shares"] == metadata.get("shares", [])
        assert (old_root / project_id / (store.PROJECT_FILE + migration.MIGRATED_SUFFIX)).is_file()


def test_two_processes_editing_one_project_on_postgresql_lose_no_edit(tmp_path, postgres_url):
    project = store.Workspace(tmp_path).create_project("Shared", OWNER)
    project.add_class("Shared")
    edit_together(tmp_path, project)
    assert project.refresh().photo_counts() == {"Shared": 24, "First": 12, "Second": 12}


def test_the_jobs_records_on_postgresql(tmp_path, postgres_url):
    records = job_records.JobStore(tmp_path)
    job = records.create("training", "project-a", OWNER, {"settings": {"epochs": 3}})
    assert records.queue_position(job.id) == 1
    assert records.claim(job.id, "worker-1").attempts == 1
    assert not records.report(job.id, {"phase": "training"}, {"loss": [0.5]})
    records.finish(job.id, job_records.FINISHED, result={"accuracy": 0.75})
    finished = records.get(job.id)
    assert finished.state == job_records.FINISHED and finished.result == {"accuracy": 0.75}
    assert finished.created_at == pytest.approx(job.created_at) and finished.history["loss"]


def test_a_postgresql_server_that_does_not_answer_is_said_in_words(tmp_path, monkeypatch):
    pytest.importorskip("psycopg", reason="psycopg is not installed (requirements-test.txt)")
    monkeypatch.setenv(
        database.DATABASE_URL_VARIABLE, f"postgresql://tlcore@/none?host={tmp_path}&port=1"
    )
    with pytest.raises(store.WorkspaceError, match="database server does not answer"):
        store.Workspace(tmp_path / "space")


def test_shared_projects_and_a_deleted_projects_jobs_on_postgresql(tmp_path, postgres_url):
    space = store.Workspace(tmp_path)
    project = space.create_project("Shelf", OWNER)
    view = project.make_share_link(access.VIEW)
    # Opened twice with one link (one record), then with an edit link (the record renewed).
    space.open_as(project.id, "visitor", view.token)
    space.open_as(project.id, "visitor", view.token)
    edit = project.make_share_link(access.EDIT)
    space.open_as(project.id, "visitor", edit.token)
    (listed,) = space.list_shared_with("visitor")
    assert listed.id == project.id and listed.access.role == access.EDIT
    project.revoke_share_link(edit.token)
    assert space.list_shared_with("visitor") == []

    records = job_records.JobStore(tmp_path)
    training = records.create("training", project.id, OWNER, {})
    records.create_shared("export", project.id, OWNER, {}, {})
    assert records.count(job_records.QUEUED, "another", kind="training") == 1
    assert records.count(job_records.QUEUED, "another") == 2
    records.claim(training.id, "worker-1")
    assert project_removal.delete_project(space, project.id, owner=OWNER) == 2
    assert records.count(job_records.QUEUED) == 0 and records.get(training.id).cancel_requested
