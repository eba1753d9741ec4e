"""One project: its classes, photos and trained model; its metadata in the workspace's database.

Read methods use the state read when the object was made (or last changed or refreshed);
every change rereads the project's rows in a database transaction and writes back only the
rows it changed (`tlcore.store.database`, `tlcore.store.project_rows`), so changes made in
another tab, or by another process, are never lost. This module holds what a project is and
reads, its share links, and `Project.editing`, the one way its metadata changes. The methods
that change its classes and photos are in `tlcore.store.project_changes`, those of its trained
model in `tlcore.store.project_model`; both are mixed into `Project`. The photo files themselves
are stored by `tlcore.store.photo_files`, the model by `tlcore.store.model_files`.
"""

from __future__ import annotations

import contextlib
import typing
from collections.abc import Iterator
from pathlib import Path

from tlcore import errors
from tlcore.data import datasets
from tlcore.evaluation import testing_photos
from tlcore.store import (
    access,
    class_entries,
    locks,
    photo_files,
    project_changes,
    project_model,
    project_rows,
    records,
)

if typing.TYPE_CHECKING:
    from tlcore.store.workspace import Workspace


class Project(project_changes.ProjectChanges, project_model.ProjectModel):
    """One project: its classes, photos and trained model, kept on disk.

    Read methods use the state read when the object was made (or last changed or refreshed);
    every change rereads the project's rows in a transaction, so changes made in another tab
    or process are never lost.

    Args:
        workspace: The workspace that holds the project.
        project_id: The project's id.
        summary: Its top-level fields, when the caller read them already (a listing).

    Raises:
        WorkspaceError: If there is no such project.
    """

    def __init__(self, workspace: Workspace, project_id: str, summary: dict | None = None):
        if not records.is_project_id(project_id):
            raise errors.WorkspaceError("This is not a project id.")
        self.workspace = workspace
        self.id = project_id
        self.folder = workspace.root / project_id
        # The top-level fields (name, owner, times, share links), read at once; the classes and
        # photos only when first asked for, so a listing of projects never reads their photos.
        self._summary = summary if summary is not None else self.read_summary()
        self._full: dict | None = None
        # The metadata this object last wrote, with what the database then held: a next change
        # starts from it, rather than from every photo read again, while no one else wrote.
        self._last_written: tuple[dict, project_rows.Snapshot] | None = None
        #: What the caller who opened it may do (`Workspace.open_as`); every change checks it.
        self.access = access.FULL
        # `find_photo`'s index and the record it was built from.
        self._photo_index: tuple[dict, dict] | None = None

    # Reading.

    @property
    def _metadata(self) -> dict:
        """The whole metadata (classes and photos included), read once per version."""
        if self._full is None:
            with self.workspace.database.connection() as connection:
                loaded = project_rows.load(connection, self.id)
            if loaded is None:
                raise errors.WorkspaceError(_GONE)
            self._full = loaded[0]
        return self._full

    def read_summary(self) -> dict:
        """Reads the project's top-level fields from the database, as they are now.

        Raises:
            WorkspaceError: If the project no longer exists.
        """
        with self.workspace.database.connection() as connection:
            summary = project_rows.summary(connection, self.id)
        if summary is None:
            raise errors.WorkspaceError(_GONE)
        return summary

    @property
    def name(self) -> str:
        """The project's name."""
        return self._summary["name"]

    @property
    def owner(self) -> str:
        """The token of the browser that created the project."""
        return self._summary["owner"]

    @property
    def share_links(self) -> list[access.ShareLink]:
        """The project's share links, oldest first (none for a project saved before them)."""
        return access.share_links(self._summary)

    def make_share_link(self, role: str) -> access.ShareLink:
        """Makes a share link that lets its holder look (`store.access.VIEW`) or also change
        (`EDIT`).

        Args:
            role: `store.access.VIEW` or `store.access.EDIT`.

        Returns:
            The new link; its token goes in the address the owner sends.

        Raises:
            AccessError: If the caller is not the owner, or the role is unknown.
        """
        access.check_is_owner(self.access, "share this project")
        with self.editing(changes_photos=False) as metadata:
            return access.add_share_link(metadata, role)

    def revoke_share_link(self, token: str) -> None:
        """Withdraws a share link: whoever holds it is refused from their next step on.

        Args:
            token: The link's token.

        Raises:
            AccessError: If the caller is not the owner.
        """
        access.check_is_owner(self.access, "withdraw a share link")
        with self.editing(changes_photos=False) as metadata:
            access.revoke_share_link(metadata, token)

    @property
    def created_at(self) -> str:
        """When the project was created, as an ISO 8601 time in UTC."""
        return self._summary["created_at"]

    @property
    def updated_at(self) -> str:
        """When anything in the project last changed, as an ISO 8601 time in UTC."""
        return self._summary["updated_at"]

    @property
    def changed_at(self) -> str:
        """When classes or photos last changed, as an ISO 8601 time in UTC ("" if never)."""
        return self._summary.get("changed_at") or ""

    @property
    def class_names(self) -> list[str]:
        """The names of the classes, in the order they were added."""
        return [entry["name"] for entry in self._metadata["classes"]]

    def refresh(self) -> Project:
        """Rereads the project from the database, to see changes made elsewhere.

        Returns:
            The project itself.

        Raises:
            WorkspaceError: If the project was deleted meanwhile.
        """
        self._summary = self.read_summary()
        self._full = None
        return self

    def remove_leftovers(self) -> list[Path]:
        """Removes the files a killed server left in the project, once per process.

        Every file is written to a temporary file first (`.<name>.<random>.tmp`) and moved into
        place only once complete, and a photo is stored inside the transaction that lists it
        in the database, so a server killed mid-write leaves temporary files, and perhaps photos
        of a batch it never acknowledged. Nothing ever reads either (photos are found through
        the database, the model by its exact name); this only frees the disk. Every photo write
        of any process holds the database's write lock, and this takes it too, so an unlisted
        photo seen meanwhile belongs to a dead process.

        Returns:
            The files removed; none when this process tidied the project before.
        """
        if not locks.claim_tidying(self.folder):
            return []
        with locks.lock_for(self.folder), self.workspace.database.transaction() as connection:
            loaded = project_rows.load(connection, self.id)
            if loaded is None:
                return []
            return photo_files.remove_strays(self.folder, loaded[0])

    def classes(self) -> list[records.ProjectClass]:
        """Returns the classes, in the order they were added."""
        return [
            records.ProjectClass(
                name=entry["name"], key=entry["folder"], photo_count=len(entry["photos"])
            )
            for entry in self._metadata["classes"]
        ]

    def photo_counts(self) -> dict[str, int]:
        """Returns the number of photos of each class, in class order."""
        return {entry["name"]: len(entry["photos"]) for entry in self._metadata["classes"]}

    def test_photo_counts(self) -> dict[str, int]:
        """Returns the number of test photos of each class (`tlcore.evaluation.testing_photos`)."""
        return testing_photos.counts(self._metadata)

    def photo_count(self) -> int:
        """Returns the number of photos in the project."""
        return sum(self.photo_counts().values())

    def photos(self, class_name: str, test: bool = False) -> list[records.StoredPhoto]:
        """Returns the photos of one class, oldest first.

        Args:
            class_name: The class.
            test: Its test photos rather than its training photos
                (`tlcore.evaluation.testing_photos`).

        Returns:
            Its photos.

        Raises:
            ClassNameError: If there is no such class.
        """
        entry = class_entries.find_class(self._metadata, class_name)
        return [
            photo_files.stored_photo(self.folder, entry, record, test)
            for record in testing_photos.records(entry, test)
        ]

    def find_photo(self, content_hash: str) -> records.StoredPhoto | None:
        """Finds a photo of the project by the hash of its bytes.

        Args:
            content_hash: The hash, as `tlcore.data.images.content_hash` gives it.

        Returns:
            The photo, or None if the project does not hold it.
        """
        # The index is built once for each version of the project's record: a page showing a
        # few dozen photos of a 20,000-photo project looks each one up.
        metadata = self._metadata
        if self._photo_index is None or self._photo_index[0] is not metadata:
            index = {
                record["content_hash"]: (entry, record)
                for entry in metadata["classes"]
                for record in entry["photos"]
            }
            self._photo_index = (metadata, index)
        found = self._photo_index[1].get(content_hash)
        return photo_files.stored_photo(self.folder, *found) if found is not None else None

    def to_dataset(self, test: bool = False) -> datasets.Dataset:
        """Returns the project's photos as a dataset to train on.

        Args:
            test: The test photos rather than the training photos
                (`tlcore.evaluation.testing_photos`).

        Returns:
            A dataset whose photos point at the stored files.
        """
        photos = photo_files.dataset_photos(self.folder, self._metadata, test)
        return datasets.Dataset(
            class_names=self.class_names, photos=photos, skipped=[], duplicates=[]
        )

    # Changing the metadata (also for `photo_changes`, `project_model` and the workspace).

    @contextlib.contextmanager
    def editing(self, changes_photos: bool = True, checked: bool = True) -> Iterator[dict]:
        """Rereads the metadata in a write transaction, hands it out, and writes what changed.

        The transaction holds the database's write lock from its start, so no other thread or
        process edits the workspace meanwhile; an exception rolls every change back.
        """
        last_written, self._last_written = self._last_written, None
        # Set again once the change is committed; meanwhile (and after a failure, which may
        # have half-edited the metadata in place) the next read reloads it.
        self._full = self._photo_index = None
        with self.workspace.database.transaction() as connection:
            current = project_rows.revision(connection, self.id)
            if current is None:
                raise errors.WorkspaceError(_GONE)
            if last_written is not None and last_written[1].revision == current:
                metadata, snapshot = last_written
            else:
                metadata, snapshot = project_rows.load(connection, self.id)
            if checked:
                access.check_can_change(self.access, metadata)
            yield metadata
            now = records.now()
            metadata["updated_at"] = now
            if changes_photos:
                metadata["changed_at"] = now
            snapshot = project_rows.save(connection, snapshot, metadata)
        self._last_written = (metadata, snapshot)
        self._full = metadata
        self._summary = {key: value for key, value in metadata.items() if key != "classes"}


_GONE = "This project no longer exists. It may have been deleted in another tab."
