"""Photos added to a project, moved between its classes and removed, a transaction at a time.

`Project.add_photos`, `add_dataset`, `remove_photo` and `move_photo` are these functions; their
docstrings there say what each does. The photo files themselves are written by
`tlcore.store.photo_files`; each change of the metadata goes through `Project.editing`.
"""

from __future__ import annotations

import dataclasses
import itertools
import typing
from collections.abc import Iterable

from tlcore import errors
from tlcore.data import datasets
from tlcore.evaluation import testing_photos
from tlcore.store import class_entries, photo_files, records

if typing.TYPE_CHECKING:
    from tlcore.store.project import Project

#: How many photos one transaction stores (see `store_in_batches`).
PHOTOS_PER_TRANSACTION = 64


def add_photos(
    project: Project, class_name: str, files: Iterable[tuple[str, bytes]], test: bool = False
) -> records.AddResult:
    """Adds photos to a class; see `Project.add_photos`."""
    within, over_size = photo_files.split_by_size(
        list(files), project.workspace.limits.max_upload_bytes
    )
    checked, skipped = photo_files.check_photos(within)
    result = store_in_batches(project, class_name, checked, test)
    return dataclasses.replace(
        result, skipped=skipped + result.skipped, left_out=over_size + result.left_out
    )


def add_dataset(
    project: Project, dataset: datasets.Dataset, test: bool = False
) -> records.AddResult:
    """Adds a dataset's classes (when new) and photos; see `Project.add_dataset`."""
    photos_by_class: dict[str, list[datasets.Photo]] = {name: [] for name in dataset.class_names}
    for photo in dataset.photos:
        photos_by_class[photo.class_name].append(photo)
    byte_budget = photo_files.ByteBudget(project.workspace.limits.max_upload_bytes)
    added, duplicates, created = [], list(dataset.duplicates), []
    skipped = list(dataset.skipped)
    for class_name, photos in photos_by_class.items():
        if not photos:
            # A folder none of whose files could be used would be an empty new class; the
            # skipped files say why nothing was made.
            continue
        with project.editing() as metadata:
            stored_name, made = class_entries.import_class(
                project.folder, metadata, class_name, create=not test
            )
        if stored_name is None:
            reason = testing_photos.unknown_class_reason(class_name)
            skipped.extend(datasets.SkippedFile(photo.file_name, reason) for photo in photos)
            continue
        if made:
            created.append(stored_name)
        result = store_in_batches(project, stored_name, byte_budget.read(photos), test)
        added.extend(result.added)
        duplicates.extend(result.duplicates)
        byte_budget.left_out.extend(result.left_out)
    return records.AddResult(
        added=added,
        skipped=skipped,
        duplicates=duplicates,
        created_classes=created,
        left_out=byte_budget.left_out,
    )


def store_in_batches(
    project: Project, class_name: str, photos: Iterable[tuple[str, bytes, str]], test: bool
) -> records.AddResult:
    """Stores checked photos into a class, `PHOTOS_PER_TRANSACTION` to a transaction.

    Each transaction holds the workspace's write lock while its photo files are written;
    short ones let other people's changes (and the workers' heartbeats) in between, so a
    large upload never keeps them waiting long. Photos are read one by one as they go.
    """
    added, duplicates, left_out = [], [], []
    remaining = iter(photos)
    while True:
        with photo_files.storing() as written, project.editing() as metadata:
            result = photo_files.store_photos(
                project.folder,
                metadata,
                class_entries.find_class(metadata, class_name),
                itertools.islice(remaining, PHOTOS_PER_TRANSACTION),
                written,
                project.workspace.limits.max_photos_per_project,
                test,
            )
        added.extend(result.added)
        duplicates.extend(result.duplicates)
        left_out.extend(result.left_out)
        following = next(remaining, None)
        if following is None:
            return records.AddResult(added=added, duplicates=duplicates, left_out=left_out)
        remaining = itertools.chain([following], remaining)


def remove_photo(project: Project, class_name: str, content_hash: str, test: bool = False) -> None:
    """Removes one photo from a class; see `Project.remove_photo`."""
    with project.editing() as metadata:
        entry = class_entries.find_class(metadata, class_name)
        listed = testing_photos.records(entry, test)
        kept = [record for record in listed if record["content_hash"] != content_hash]
        removed = [record for record in listed if record["content_hash"] == content_hash]
        entry[testing_photos.records_key(test)] = kept
    for record in removed:
        photo_files.photo_path(project.folder, entry, record, test).unlink(missing_ok=True)


def move_photo(project: Project, content_hash: str, from_class: str, to_class: str) -> None:
    """Moves one photo to another class; see `Project.move_photo`."""
    if from_class == to_class:
        return
    new_path = None
    try:
        with project.editing() as metadata:
            source = class_entries.find_class(metadata, from_class)
            target = class_entries.find_class(metadata, to_class)
            record = next(
                (item for item in source["photos"] if item["content_hash"] == content_hash),
                None,
            )
            if record is None:
                raise errors.WorkspaceError(
                    f"This photo is no longer in '{from_class}'. It may have been moved or "
                    "removed in another tab."
                )
            old_path = photo_files.photo_path(project.folder, source, record)
            candidate = photo_files.photo_path(project.folder, target, record)
            photo_files.link_or_copy(old_path, candidate)
            new_path = candidate
            source["photos"].remove(record)
            target["photos"].append(record)
    except BaseException:
        if new_path is not None:
            new_path.unlink(missing_ok=True)
        raise
    old_path.unlink(missing_ok=True)
