"""The workspace: the folder of every project on this server, and the list of them.

A workspace is one folder (`TLCORE_WORKSPACE`, or `~/.tlcore/workspace`) holding one
sub-folder per project, named by a random id that never derives from what a person typed (see
`tlcore.store` for what each project folder holds). The list of projects and their metadata
are rows of the workspace's database (`tlcore.store.database`); a change to the list (a new
name, a deletion) is one transaction, so two processes never make two projects of one name.
A project deleted loses its rows first, then its folder is moved aside and removed, so a
listing never sees half of one. A workspace made before the database is imported on its first
opening (`tlcore.store.migration`).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

from tlcore import errors, files
from tlcore.data import examples, names
from tlcore.evaluation import testing_photos
from tlcore.serving import project_file
from tlcore.store import access, database, locks, migration, project_rows, records, shared_with
from tlcore.store.project import Project

#: The environment variable that names the workspace folder.
WORKSPACE_ENVIRONMENT_VARIABLE = "TLCORE_WORKSPACE"

#: The workspace folder used when the environment variable is not set.
DEFAULT_WORKSPACE = Path("~/.tlcore/workspace")

# Folders being deleted are named `.deleted-<id>-<random>`.
_TRASH_PREFIX = ".deleted-"


def default_root() -> Path:
    """Returns the workspace folder named by `TLCORE_WORKSPACE`, or the default one."""
    configured = os.environ.get(WORKSPACE_ENVIRONMENT_VARIABLE, "").strip()
    return Path(configured).expanduser() if configured else DEFAULT_WORKSPACE.expanduser()


class Workspace:
    """The folder of all projects on this server.

    Args:
        root: The workspace folder; created if it does not exist.
        limits: The bounds on what is stored; read from the environment when None.
    """

    def __init__(self, root: str | os.PathLike, limits: records.Limits | None = None):
        self.root = Path(root).expanduser()
        self.root.mkdir(parents=True, exist_ok=True)
        self.limits = limits if limits is not None else records.Limits.from_environment()
        #: The workspace's database: the projects' metadata and the jobs' records.
        self.database = database.open_database(self.root)
        if locks.claim_tidying(self.root):
            migration.migrate_workspace(self.root, self.database)
            self.remove_leftovers()

    @classmethod
    def from_environment(cls) -> Workspace:
        """Opens the workspace named by `TLCORE_WORKSPACE`, or the default one."""
        return cls(default_root())

    @property
    def embedding_cache_dir(self) -> Path:
        """The folder where photo features are cached, shared by every project."""
        return self.root / ".cache" / "embeddings"

    def create_project(self, name: str, owner: str) -> Project:
        """Creates an empty project.

        Args:
            name: The name a person gave it; it must not be used by another project of the
                same owner.
            owner: The token of the browser that creates it.

        Returns:
            The new project.

        Raises:
            WorkspaceError: If the name is empty or already taken, or the workspace or the
                owner holds as many projects as the limits allow.
            DiskFullError: If the disk has no room for the project.
        """
        with self.database.transaction() as connection:
            name = self._check_free_name(name, owner)
            self._check_room_for_a_project(owner)
            project_id = secrets.token_hex(8)
            while (self.root / project_id).exists():
                project_id = secrets.token_hex(8)
            now = records.now()
            metadata = {
                "format": records.FORMAT_VERSION,
                "id": project_id,
                "name": name,
                "owner": owner,
                "created_at": now,
                "updated_at": now,
                "changed_at": now,
                "trained_at": None,
                "classes": [],
            }
            folder = self.root / project_id
            try:
                with files.disk_errors("the new project"):
                    (folder / records.PHOTOS_FOLDER).mkdir(parents=True)
                project_rows.insert(connection, metadata)
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
        return Project(self, project_id)

    def unique_name(self, wanted: str, owner: str | None = None) -> str:
        """Returns `wanted`, or `wanted (2)`, `wanted (3)`... whichever is not taken yet.

        Args:
            wanted: The name to start from.
            owner: Whose projects' names to avoid; every project's when None.

        Returns:
            A project name none of those projects uses.
        """
        taken = {
            names.comparison_key(project.name)
            for project in self._all_projects()
            if owner is None or access.same_token(owner, project.owner)
        }
        candidate, number = wanted, 2
        while names.comparison_key(candidate) in taken:
            candidate = f"{wanted} ({number})"
            number += 1
        return candidate

    def list_projects(self, owner: str) -> list[Project]:
        """Returns the projects of one owner, the most recently changed first.

        Args:
            owner: The token of the browser whose projects to list.

        Returns:
            The projects whose owner is `owner`.
        """
        with self.database.connection() as connection:
            summaries = project_rows.summaries(connection, owner)
        projects = [
            Project(self, summary["id"], summary)
            for summary in summaries
            if access.same_token(owner, summary["owner"])
        ]
        return sorted(projects, key=lambda project: project.updated_at, reverse=True)

    def open_project(self, project_id: str) -> Project:
        """Opens a project by its id.

        Args:
            project_id: The id, as the URL or `Project.id` has it.

        Returns:
            The project.

        Raises:
            WorkspaceError: If there is no project with that id.
        """
        try:
            project = Project(self, project_id)
        except errors.WorkspaceError:
            raise errors.WorkspaceError(
                "The project in this link was not found: it no longer exists (it may have been "
                "deleted) or the link is incomplete. Choose a project on Home."
            ) from None
        project.remove_leftovers()
        return project

    def read_metadata(self, project_id: str) -> dict:
        """Returns a project's metadata as stored now, laid out as `project.json` was.

        Args:
            project_id: The project's id.

        Raises:
            WorkspaceError: If there is no such project.
        """
        with self.database.connection() as connection:
            loaded = project_rows.load(connection, project_id)
        if loaded is None:
            raise errors.WorkspaceError("There is no such project.")
        return loaded[0]

    def open_as(self, project_id: str, owner: str, share_token: str = "") -> Project:
        """Opens a project for a caller: its owner, or someone holding one of its share links.

        Args:
            project_id: The id, as the URL has it.
            owner: The caller's owner token.
            share_token: The share token the caller presents; empty when none.

        Returns:
            The project, whose `access` says what the caller may do; its changes check it.
            A caller let in by a share link has it recorded, for `list_shared_with`.

        Raises:
            AccessError: If there is no such project, or it is not the caller's to open (one
                message for both, so nobody learns which ids exist).
        """
        try:
            project = self.open_project(project_id)
        except errors.WorkspaceError:
            raise access.AccessError(access.NOT_ALLOWED) from None
        project.access = access.access_for(project._summary, owner, share_token)
        if not project.access.is_owner and owner:
            self._remember_shared(owner, project_id, project.access.share_token)
        return project

    def _remember_shared(self, owner: str, project_id: str, token: str) -> None:
        """Records a project opened through a share link, for `list_shared_with`."""
        # Read first: pages open the project on every run, and only a new link needs the
        # write lock. The record is a convenience: a full disk must not stop the opening.
        with contextlib.suppress(errors.DiskFullError, database.DatabaseError):
            with self.database.connection() as connection:
                if shared_with.is_recorded(connection, owner, project_id, token):
                    return
            with self.database.transaction() as connection:
                shared_with.remember(connection, owner, project_id, token)

    def list_shared_with(self, owner: str) -> list[Project]:
        """Returns the projects others shared with this owner, as long as their links stand.

        These are the projects the owner opened through a share link (`open_as`). Each is
        checked against its share links as they are now: a withdrawn link leaves its project
        out (and its record is forgotten), whatever was recorded.

        Args:
            owner: The token of the browser whose shared projects to list.

        Returns:
            The projects, each with the `access` its link gives, the latest opened first.
        """
        listed, withdrawn = [], []
        with self.database.connection() as connection:
            for project_id, token in shared_with.recorded(connection, owner):
                summary = project_rows.summary(connection, project_id)
                try:
                    granted = access.access_for(summary or {}, owner, token)
                except access.AccessError:
                    withdrawn.append((project_id, token))
                    continue
                if not granted.is_owner:
                    project = Project(self, project_id, summary)
                    project.access = granted
                    listed.append(project)
        if withdrawn:
            with self.database.transaction() as connection:
                shared_with.forget(connection, owner, withdrawn)
        return listed

    def find_by_name(self, name: str, owner: str) -> Project | None:
        """Finds one of an owner's projects by its exact name.

        Args:
            name: The project name; surrounding spaces and letter case are ignored.
            owner: The owner token whose projects to search; no one else's are found.

        Returns:
            The project, or None if the owner has no project with that name.
        """
        cleaned = " ".join(name.split())
        if not cleaned:
            return None
        wanted = names.comparison_key(cleaned)
        for project in self.list_projects(owner):
            if names.comparison_key(project.name) == wanted:
                return project
        return None

    def rename_project(
        self, project_id: str, new_name: str, *, owner: str | None = None
    ) -> Project:
        """Gives a project a new name.

        Args:
            project_id: The project's id.
            new_name: The new name; it must not be used by another project of its owner.
            owner: The caller's owner token, checked to be the project's; None for the
                engine's own calls.

        Returns:
            The renamed project.

        Raises:
            WorkspaceError: If the project does not exist or the name is empty or taken.
            AccessError: If `owner` is given and the project is not theirs.
        """
        project = self._open_for_owner(project_id, owner)
        with self.database.transaction():
            new_name = self._check_free_name(new_name, project.owner, ignore_id=project_id)
            with project.editing() as metadata:
                metadata["name"] = new_name
        return project

    def delete_project(self, project_id: str, *, owner: str | None = None) -> None:
        """Deletes a project with its photos and model.

        What the work tier keeps for it elsewhere in the workspace (exports, heat maps,
        batches) and its jobs are not this store's: `tlcore.jobs.project_removal.delete_project`
        calls this and removes those too.

        Args:
            project_id: The project's id.
            owner: The caller's owner token, checked to be the project's; None for the
                engine's own calls.

        Raises:
            WorkspaceError: If the project does not exist.
            AccessError: If `owner` is given and the project is not theirs.
        """
        project = self._open_for_owner(project_id, owner)
        with locks.lock_for(project.folder), self.database.transaction() as connection:
            project_rows.delete(connection, project_id)
            # Moving the folder aside first makes the deletion look atomic: a listing never sees
            # a half-deleted project, and a server killed meanwhile leaves only a hidden folder.
            trash = self.root / f"{_TRASH_PREFIX}{project_id}-{secrets.token_hex(4)}"
            os.replace(project.folder, trash)
        shutil.rmtree(trash, ignore_errors=True)

    def import_project_file(self, data: bytes, owner: str, name: str) -> Project:
        """Makes a project from a project file someone saved earlier, to predict with it.

        The file is loaded safely first (no code in it runs); the project gets the file's
        classes, model and test photos (`tlcore.evaluation.testing_photos`), but no training photos.

        Args:
            data: The bytes of the project file.
            owner: The token of the browser that imports it.
            name: The name wanted for the project; made unique if it is taken.

        Returns:
            The new project, with its trained model.

        Raises:
            ProjectFileError: If the file is not a readable tlcore project.
            WorkspaceError: If the workspace or the owner holds as many projects as allowed.
        """
        # A refusal for want of room comes before the costly loading of the model.
        self._check_room_for_a_project(owner)
        trained = project_file.load_project(data)
        project = self.create_project(self.unique_name(_clean_project_name(name), owner), owner)
        try:
            for class_name in trained.class_names:
                project.add_class(class_name)
            # Before the model, so the test photos its headline was measured on do not read
            # as a change since that training.
            testing_photos.import_into(project, data)
            project.save_trained(trained)
        except Exception:
            self.delete_project(project.id)
            raise
        return project

    def create_example_project(self, owner: str) -> Project:
        """Makes a project holding the built-in example photos, ready to train.

        Args:
            owner: The token of the browser that asks for it.

        Returns:
            The new project, with one class per example product.

        Raises:
            WorkspaceError: If a limit or the disk leaves no room for the whole example; no
                project is then left behind.
        """
        # The project is made first, so that a limit refuses it before any photo is drawn.
        project = self.create_project(self.unique_name(examples.EXAMPLE_PROJECT_NAME, owner), owner)
        try:
            for class_name, files in examples.example_photos().items():
                project.add_class(class_name)
                result = project.add_photos(class_name, files)
                if result.left_out:
                    raise errors.WorkspaceError(
                        f"The example project could not be made: {result.left_out[0].reason}."
                    )
        except Exception:
            self.delete_project(project.id)
            raise
        return project

    def remove_leftovers(self) -> list[Path]:
        """Removes what a killed server left at the top of the workspace.

        That is the folders of projects it was deleting, and the folders of projects it was
        creating that never got their rows in the database and hold no file. Neither is ever
        listed or opened, so removing them only frees the disk. It runs once per workspace and
        process, holding the database's write lock, so no project is being made meanwhile.

        Returns:
            The folders removed.
        """
        removed = []
        with self.database.transaction() as connection:
            known = {summary["id"] for summary in project_rows.summaries(connection)}
            for folder in sorted(self.root.iterdir()):
                half_deleted = folder.name.startswith(_TRASH_PREFIX)
                half_created = (
                    records.is_project_id(folder.name)
                    and folder.name not in known
                    and not (folder / records.PROJECT_FILE).exists()
                    and not any(path.is_file() for path in folder.rglob("*"))
                )
                if folder.is_dir() and (half_deleted or half_created):
                    shutil.rmtree(folder, ignore_errors=True)
                    removed.append(folder)
        return removed

    def _check_room_for_a_project(self, owner: str) -> None:
        """Refuses a new project when the workspace or the owner holds as many as allowed."""
        with self.database.connection() as connection:
            total, owned = project_rows.counts(connection, owner)
        limit = self.limits.max_projects_per_workspace
        if total >= limit:
            raise errors.WorkspaceError(
                f"This server holds {limit} projects, the most it can keep, so no new project "
                "can be made. Delete a project you no longer need, or ask the person who runs "
                "this server to make room."
            )
        limit = self.limits.max_projects_per_owner
        if owned >= limit:
            raise errors.WorkspaceError(
                f"You have {limit} projects, the most one person can keep on this server. "
                "Delete a project you no longer need on Home, then make the new one."
            )

    def _all_projects(self) -> Iterator[Project]:
        """Yields every readable project of the workspace."""
        with self.database.connection() as connection:
            summaries = project_rows.summaries(connection)
        for summary in summaries:
            yield Project(self, summary["id"], summary)

    def _open_for_owner(self, project_id: str, owner: str | None) -> Project:
        """Opens a project for its owner alone (any project when `owner` is None)."""
        if owner is None:
            return self.open_project(project_id)
        return self.open_as(project_id, owner)

    def _check_free_name(self, name: str, owner: str, ignore_id: str | None = None) -> str:
        """Cleans a project name and checks that no other project of the owner uses it."""
        name = _clean_project_name(name)
        with self.database.connection() as connection:
            taken = project_rows.name_taken(connection, owner, name, ignore_id)
        if taken is not None:
            raise errors.WorkspaceError(
                f"There is already a project called '{taken}'. Choose another name."
            )
        return name


def _clean_project_name(name: str) -> str:
    """Cleans a project name, turning a bad one into a `errors.WorkspaceError`."""
    try:
        return names.clean_project_name(name)
    except errors.TlcoreError as error:
        raise errors.WorkspaceError(str(error)) from None
