"""The methods of `Project` that change its classes and photos.

`ProjectChanges` is mixed into `tlcore.store.project.Project`, whose `editing()` (the one way
its metadata changes) and `folder` these methods use. Where what they do is more than a few
lines, it lives in `tlcore.store.class_entries` (a class found in, or added to, the metadata)
and `tlcore.store.photo_changes` (photos added, moved and removed).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable

from tlcore.data import datasets, names
from tlcore.store import class_entries, photo_changes, records


class ProjectChanges:
    """Changing a project's classes and photos; mixed into `Project`."""

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
            test: Keep them as test photos, apart from training
                (`tlcore.evaluation.testing_photos`).

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
            dataset: The dataset, as `tlcore.data.loading.load_zip` or `load_folder` returns it.
            test: Keep its photos as test photos (`tlcore.evaluation.testing_photos`); test photos
                make no class, so those of a class the project lacks are skipped with the reason.

        Returns:
            What was added, skipped and found twice, with the classes that were created.
        """
        return photo_changes.add_dataset(self, dataset, test)

    def remove_photo(self, class_name: str, content_hash: str, test: bool = False) -> None:
        """Removes one photo from a class.

        Args:
            class_name: The class that holds it.
            content_hash: The hash of the photo's bytes.
            test: It is one of the class's test photos (`tlcore.evaluation.testing_photos`).

        Raises:
            ClassNameError: If there is no such class.
        """
        photo_changes.remove_photo(self, class_name, content_hash, test)

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
