"""A project's photo files: checked, stored under their content hash, moved between classes.

A photo is stored as `<project>/photos/<class folder>/<content_hash>.<ext>`, the extension
taken from its real format; a test photo (`tlcore.evaluation.testing_photos`) in the class folder's
`test/` sub-folder. A photo file is written before the database lists it, in the same
transaction, so these functions hand back the paths they wrote, and `storing` removes them
when the change that would have listed them fails.
"""

import contextlib
import io
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

from PIL import Image

from tlcore import errors, files
from tlcore.data import datasets, images, names
from tlcore.evaluation import testing_photos
from tlcore.store import records

# The extension each accepted photo format is stored under (see `tlcore.data.images`).
_EXTENSIONS = {
    "JPEG": "jpg",
    "MPO": "jpg",
    "PNG": "png",
    "WEBP": "webp",
    "BMP": "bmp",
    "GIF": "gif",
}


def photo_path(folder: Path, entry: dict, record: dict, test: bool = False) -> Path:
    """Returns where a photo of a class is stored.

    Args:
        folder: The project's folder.
        entry: The class's entry in the project's metadata.
        record: The photo's entry in the class.
        test: It is one of the class's test photos (`tlcore.evaluation.testing_photos`).

    Returns:
        The path of the photo's original bytes.
    """
    class_folder = folder / records.PHOTOS_FOLDER / entry["folder"]
    if test:
        class_folder = class_folder / testing_photos.SUBFOLDER
    return class_folder / f"{record['content_hash']}.{record['extension']}"


def stored_photo(
    folder: Path, entry: dict, record: dict, test: bool = False
) -> records.StoredPhoto:
    """Returns a photo's entry in the metadata as a `StoredPhoto` (see `photo_path`)."""
    return records.StoredPhoto(
        file_name=record["file_name"],
        class_name=entry["name"],
        content_hash=record["content_hash"],
        path=photo_path(folder, entry, record, test),
        added_at=record["added_at"],
    )


@contextlib.contextmanager
def storing() -> Iterator[list[Path]]:
    """Yields the list of photo files a change writes, and removes them if the change fails.

    A photo file is written before the database lists it; when the change cannot be
    committed (a full disk), the new files would be listed nowhere, so they are removed.
    """
    written: list[Path] = []
    try:
        yield written
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise


def store_photos(
    folder: Path,
    metadata: dict,
    entry: dict,
    checked: Iterable[tuple[str, bytes, str]],
    written: list[Path],
    limit: int,
    test: bool = False,
) -> records.AddResult:
    """Writes checked photos into a class's folder, leaving out those already present.

    Photos beyond `limit` in the project, and every photo after the disk filled up, are left
    out with the reason; the paths written are appended to `written`. With `test`, they are
    kept as test photos; a photo is never both a training and a test photo
    (`tlcore.evaluation.testing_photos`), and both kinds count towards `limit`.

    Args:
        folder: The project's folder.
        metadata: The project's metadata, being edited; the class's list of photos grows.
        entry: The class's entry in `metadata`.
        checked: `(file_name, bytes, extension)` of readable photos, as `check_photos` gives.
        written: The paths written so far by the change (see `storing`).
        limit: The most photos the project may hold (`Limits.max_photos_per_project`).
        test: Keep them as the class's test photos.

    Returns:
        The photos added, found twice and left out.
    """
    known = testing_photos.known_photos(metadata)
    room = limit - testing_photos.stored_count(metadata)
    added, duplicates, left_out = [], [], []
    stop_reason = None
    for file_name, data, extension in checked:
        if stop_reason is None and room <= 0:
            stop_reason = (
                f"the project holds {limit} photos, the most a project can have; delete "
                "photos it does not need, or start another project"
            )
        if stop_reason is not None:
            left_out.append(datasets.SkippedFile(file_name=file_name, reason=stop_reason))
            continue
        content_hash = images.content_hash(data)
        if content_hash in known:
            original_name, original_class = known[content_hash]
            duplicates.append(
                datasets.DuplicatePhoto(
                    file_name=file_name,
                    class_name=entry["name"],
                    duplicate_of=original_name,
                    duplicate_of_class=original_class,
                )
            )
            continue
        record = {
            "file_name": file_name,
            "content_hash": content_hash,
            "extension": extension,
            "added_at": records.now(),
        }
        path = photo_path(folder, entry, record, test)
        try:
            files.write_atomically(path, data, what=f"'{file_name}'")
        except errors.DiskFullError as error:
            # The photos written so far are kept; this one and the rest are named.
            stop_reason = error.reason
            left_out.append(datasets.SkippedFile(file_name=file_name, reason=stop_reason))
            continue
        written.append(path)
        entry.setdefault(testing_photos.records_key(test), []).append(record)
        known[content_hash] = (file_name, entry["name"])
        added.append(file_name)
        room -= 1
    return records.AddResult(added=added, duplicates=duplicates, left_out=left_out)


def link_or_copy(source: Path, target: Path) -> None:
    """Puts a photo's file at a second place too: a hard link, or a copy where links fail.

    Args:
        source: The photo's file.
        target: The new place; kept as it is when it exists already.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except FileExistsError:
        pass
    except OSError:
        shutil.copyfile(source, target)


def check_photos(
    uploaded: Iterable[tuple[str, bytes]],
) -> tuple[list[tuple[str, bytes, str]], list[datasets.SkippedFile]]:
    """Splits uploaded files into readable photos (with their extension) and skipped files."""
    checked, skipped = [], []
    for file_name, data in uploaded:
        try:
            images.load_image(data, file_name=file_name)
        except errors.UnreadableImageError as error:
            skipped.append(datasets.SkippedFile(file_name=file_name, reason=error.reason))
            continue
        checked.append((file_name, data, extension_for(data)))
    return checked, skipped


def extension_for(data: bytes) -> str:
    """Returns the extension to store a readable photo under, from its real format.

    The file's own name is not trusted: a PNG called `photo.jpg` is stored as `.png`.
    """
    with Image.open(io.BytesIO(data)) as image:
        return _EXTENSIONS.get(image.format or "", "img")


def split_by_size(
    uploaded: list[tuple[str, bytes]], max_bytes: int
) -> tuple[list[tuple[str, bytes]], list[datasets.SkippedFile]]:
    """Keeps the first files of a batch up to `max_bytes` in all, and names the others.

    Args:
        uploaded: `(file_name, bytes)` pairs, in the order they were given.
        max_bytes: The most bytes the files kept may hold together.

    Returns:
        The files kept (the first ones), and the others, each with the reason.
    """
    total = 0
    for index, (_, data) in enumerate(uploaded):
        total += len(data)
        if total > max_bytes:
            reason = (
                f"the upload holds more than {_megabytes(max_bytes)} in all, the most one "
                "upload may hold; add these photos in another upload"
            )
            left_out = [datasets.SkippedFile(file_name=name, reason=reason) for name, _ in uploaded]
            return uploaded[:index], left_out[index:]
    return uploaded, []


class ByteBudget:
    """Reads photos one at a time until they hold `max_bytes` in all, and names the others.

    Args:
        max_bytes: The most bytes the photos read may hold together.
    """

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.used = 0
        self.left_out: list[datasets.SkippedFile] = []

    def read(self, photos: list[datasets.Photo]) -> Iterator[tuple[str, bytes, str]]:
        """Yields `(file_name, bytes, extension)` for each photo that still fits.

        Args:
            photos: The photos, read in this order.

        Yields:
            The photos that fit; the others are appended to `left_out`.
        """
        for photo in photos:
            if self.used <= self.max_bytes:
                data = photo.read_bytes()
                self.used += len(data)
            if self.used > self.max_bytes:
                reason = (
                    f"the upload holds more than {_megabytes(self.max_bytes)} in all, the most "
                    "one upload may hold; add these photos in another upload"
                )
                self.left_out.append(datasets.SkippedFile(file_name=photo.file_name, reason=reason))
                continue
            yield photo.file_name, data, extension_for(data)


def _megabytes(count: int) -> str:
    """Returns a byte count in words, such as "200 MB" or "0.5 MB"."""
    return f"{count / 1024**2:.3g} MB"


def dataset_photos(folder: Path, metadata: dict, test: bool = False) -> list[datasets.Photo]:
    """Returns every photo of a project as a `data.datasets.Photo` pointing at its stored file.

    Args:
        folder: The project's folder.
        metadata: The project's metadata.
        test: The test photos rather than the training photos (`tlcore.evaluation.testing_photos`).

    Returns:
        The photos, class by class, oldest first.
    """
    photos = []
    for entry in metadata["classes"]:
        for record in testing_photos.records(entry, test):
            stored = stored_photo(folder, entry, record, test)
            photos.append(
                datasets.Photo(
                    file_name=stored.file_name,
                    class_name=stored.class_name,
                    content_hash=stored.content_hash,
                    path=stored.path,
                )
            )
    return photos


def make_class_folder(folder: Path, class_name: str, used: set[str]) -> str:
    """Makes the photo folder of a new class and returns its name.

    Args:
        folder: The project's folder.
        class_name: The new class's name.
        used: The folder names the project's classes use.

    Returns:
        The folder's name, unique in the project.
    """
    wanted = names.folder_name_for(class_name)
    # Two names can map to the same folder (or a deleted class may have left one behind),
    # so a number makes the folder unique.
    candidate, number = wanted, 2
    while candidate in used or (folder / records.PHOTOS_FOLDER / candidate).exists():
        candidate = f"{wanted}-{number}"
        number += 1
    (folder / records.PHOTOS_FOLDER / candidate).mkdir(parents=True)
    return candidate


def remove_strays(folder: Path, metadata: dict) -> list[Path]:
    """Removes a project's temporary files and the photo files its metadata does not list.

    Only safe while holding the project's lock (see `Project.remove_leftovers`).

    Args:
        folder: The project's folder.
        metadata: The project's metadata, freshly read.

    Returns:
        The files removed.
    """
    listed = {
        photo_path(folder, entry, record, test)
        for entry in metadata["classes"]
        for test in (False, True)
        for record in testing_photos.records(entry, test)
    }
    photos_folder = folder / records.PHOTOS_FOLDER
    removed = []
    for path in folder.rglob("*"):
        temporary = files.is_temporary(path)
        class_folder = path.parent
        if class_folder.name == testing_photos.SUBFOLDER:
            class_folder = class_folder.parent
        stray_photo = class_folder.parent == photos_folder and path not in listed
        if path.is_file() and (temporary or stray_photo):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed
