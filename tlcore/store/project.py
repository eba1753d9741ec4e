"""One project: its classes, photos and trained model; its metadata in the workspace's database.

Read methods use the state read when the object was made (or last changed or refreshed);
every change rereads the project's rows in a database transaction and writes back only the
rows it changed (`tlcore.store.database`, `tlcore.store.project_rows`), so changes made in
another tab, or by another process, are never lost. The photo files themselves are stored by
`tlcore.store.photo_files`, the model by `tlcore.store.model_files`. What the methods do lives in
modules of its own where it is more than a few lines: the classes in the metadata in
`tlcore.store.class_entries`, adding, moving and removing photos in `tlcore.store.photo_changes`,
keeping and restoring the trained model in `tlcore.store.project_model`.
"""

from __future__ import annotations

import contextlib
import shutil
import typing
from collections.abc import Iterable, Iterator
from pathlib import Path

from tlcore import access, datasets, errors, history, names, projects, test_photos
from tlcore.store import (
    class_entries,
    locks,
    model_files,
    photo_changes,
    photo_files,
    project_model,
    project_rows,
    records,
)

if typing.TYPE_CHECKING:
    from tlcore.store.workspace import Workspace


class Project:
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
        """Makes a share link that lets its holder look (`access.VIEW`) or also change (`EDIT`).

        Args:
            role: `access.VIEW` or `access.EDIT`.

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

    @property
    def model_path(self) -> Path:
        """Where the trained model is saved (it may not exist yet)."""
        return self.folder / records.MODEL_FILE

    @property
    def has_trained_model(self) -> bool:
        """Whether the project has a trained model."""
        return self.model_path.is_file()

    @property
    def changed_since_training(self) -> bool:
        """Whether classes or photos changed after the last training."""
        trained_at = self._summary.get("trained_at")
        return bool(trained_at) and (self._summary.get("changed_at") or "") > trained_at

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

    @property
    def training_interrupted(self) -> bool:
        """Whether a training was started but neither finished nor failed (a server restart).

        `tlcore` records the start and the end of a training in `project.json` through
        `mark_training_started` and `mark_training_ended`; the app asks this only when no
        training of the project runs in its process.
        """
        return bool(self._summary.get("training_started_at"))

    def mark_training_started(self) -> None:
        """Records that a training of the project started, so a restart can tell it was cut."""
        with self.editing(changes_photos=False) as metadata:
            metadata["training_started_at"] = records.now()

    def mark_training_ended(self) -> None:
        """Records that the training started last has ended (finished, failed or abandoned)."""
        # Bookkeeping, allowed even when the share link it was started through was withdrawn
        # meanwhile: the record would otherwise tell of a server restart that never happened.
        with self.editing(changes_photos=False, checked=False) as metadata:
            metadata.pop("training_started_at", None)

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
        """Returns the number of test photos of each class (`tlcore.test_photos`)."""
        return test_photos.counts(self._metadata)

    def photo_count(self) -> int:
        """Returns the number of photos in the project."""
        return sum(self.photo_counts().values())

    def photos(self, class_name: str, test: bool = False) -> list[records.StoredPhoto]:
        """Returns the photos of one class, oldest first.

        Args:
            class_name: The class.
            test: Its test photos rather than its training photos (`tlcore.test_photos`).

        Returns:
            Its photos.

        Raises:
            ClassNameError: If there is no such class.
        """
        entry = class_entries.find_class(self._metadata, class_name)
        return [
            photo_files.stored_photo(self.folder, entry, record, test)
            for record in test_photos.records(entry, test)
        ]

    def find_photo(self, content_hash: str) -> records.StoredPhoto | None:
        """Finds a photo of the project by the hash of its bytes.

        Args:
            content_hash: The hash, as `tlcore.images.content_hash` gives it.

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
            test: The test photos rather than the training photos (`tlcore.test_photos`).

        Returns:
            A dataset whose photos point at the stored files.
        """
        photos = photo_files.dataset_photos(self.folder, self._metadata, test)
        return datasets.Dataset(
            class_names=self.class_names, photos=photos, skipped=[], duplicates=[]
        )

    # Changing classes.

    def add_class(self, name: str) -> str:
        """Adds an empty class.

        Args:
            name: The class name a person typed.

        Returns:
            The name as stored (surrounding spaces removed).

        Raises:
            ClassNameError: If the name is empty, unusable or already a class.
        """
        with self.editing() as metadata:
            return class_entries.add_class_entry(self.folder, metadata, name)

    def rename_class(self, old_name: str, new_name: str) -> str:
        """Renames a class; its photos stay with it.

        Args:
            old_name: The class's current name.
            new_name: The name wanted.

        Returns:
            The new name as stored.

        Raises:
            ClassNameError: If there is no class `old_name`, or `new_name` cannot be used.
        """
        with self.editing() as metadata:
            entry = class_entries.find_class(metadata, old_name)
            others = [item["name"] for item in metadata["classes"] if item is not entry]
            new_name = names.check_new_class_name(new_name, others)
            # The photos keep their folder: it is only storage, and moving it is not atomic.
            entry["name"] = new_name
            return new_name

    def delete_class(self, name: str) -> None:
        """Deletes a class and its photos.

        Args:
            name: The class.

        Raises:
            ClassNameError: If there is no such class.
        """
        with self.editing() as metadata:
            entry = class_entries.find_class(metadata, name)
            metadata["classes"].remove(entry)
        shutil.rmtree(self.folder / records.PHOTOS_FOLDER / entry["folder"], ignore_errors=True)

    # Changing photos.

    def add_photos(
        self, class_name: str, files: Iterable[tuple[str, bytes]], test: bool = False
    ) -> records.AddResult:
        """Adds photos to a class, keeping the readable ones and naming the others.

        When the batch holds more bytes than `Limits.max_upload_bytes`, or the project would
        hold more photos than `Limits.max_photos_per_project`, or the disk fills up, the photos
        that fit are kept and the others are named in `records.AddResult.left_out`, with the reason.

        Args:
            class_name: The class the photos belong to.
            files: `(file_name, bytes)` pairs, as uploaded.
            test: Keep them as test photos, apart from training (`tlcore.test_photos`).

        Returns:
            Which files were added, skipped as unreadable, already in the project, or left out.

        Raises:
            ClassNameError: If there is no such class.
            DiskFullError: If the disk has no room even for the list of photos; the project is
                then as it was before.
        """
        return photo_changes.add_photos(self, class_name, files, test)

    def add_dataset(self, dataset: datasets.Dataset, test: bool = False) -> records.AddResult:
        """Adds a dataset read from a zip or a folder: its classes (when new) and its photos.

        Each photo's bytes are read only as it is stored, so a folder of thousands of photos
        never sits in memory at once. Photos beyond `Limits.max_upload_bytes` in all (counted
        class by class, in the order of `dataset.class_names`) are left out with the reason.

        Args:
            dataset: The dataset, as `tlcore.dataset_loading.load_zip` or `load_folder` returns it.
            test: Keep its photos as test photos (`tlcore.test_photos`); test photos make no
                class, so those of a class the project lacks are skipped with the reason.

        Returns:
            What was added, skipped and found twice, with the classes that were created.
        """
        return photo_changes.add_dataset(self, dataset, test)

    def remove_photo(self, class_name: str, content_hash: str, test: bool = False) -> None:
        """Removes one photo from a class.

        Args:
            class_name: The class that holds it.
            content_hash: The hash of the photo's bytes.
            test: It is one of the class's test photos (`tlcore.test_photos`).

        Raises:
            ClassNameError: If there is no such class.
        """
        photo_changes.remove_photo(self, class_name, content_hash, test)

    # The trained model.

    def save_trained(self, trained) -> None:
        """Saves a trained model as the project's model, replacing the previous one.

        Args:
            trained: The `tlcore.training_types.TrainedModel` to keep.
        """
        project_model.save_trained(self, trained)

    def trainings(self) -> list[history.Entry]:
        """Returns the trainings kept for this project, newest first (`tlcore.history`)."""
        return history.entries(self.folder)

    def restore_training(self, entry_id: str) -> None:
        """Makes an earlier training's model the project's model again.

        Args:
            entry_id: The kept training's id (`history.Entry.entry_id`).

        Raises:
            WorkspaceError: If that training is no longer kept.
            DiskFullError: If the disk has no room; the current model stays.
        """
        project_model.restore_training(self, entry_id)

    def load_trained(self):
        """Loads the project's trained model.

        Returns:
            The `tlcore.training_types.TrainedModel`, or None if the project was never trained.

        Raises:
            ProjectFileError: If the saved model cannot be read.
        """
        if not self.has_trained_model:
            return None
        return projects.load_project(self.model_path)

    def training_record(self) -> records.TrainingRecord | None:
        """Returns the summary of the last training, without loading the model.

        Returns:
            The summary, or None if the project was never trained.
        """
        if not self.has_trained_model:
            return None
        return model_files.read_summary(self.folder)

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

    def move_photo(self, content_hash: str, from_class: str, to_class: str) -> None:
        """Moves one photo to another class, to correct its label.

        The photo is linked (or copied) into its new class's folder before the database
        changes and removed from the old folder only after, so a crash leaves it in one class
        or the other, never in neither.

        Args:
            content_hash: The hash of the photo's bytes.
            from_class: The class that holds it now.
            to_class: The class it belongs to.

        Raises:
            ClassNameError: If either class does not exist.
            WorkspaceError: If the photo is no longer in `from_class` (moved or removed in
                another tab).
        """
        photo_changes.move_photo(self, content_hash, from_class, to_class)


_GONE = "This project no longer exists. It may have been deleted in another tab."
