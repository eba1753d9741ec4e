"""Test photos: labelled photos a project keeps apart, that training never sees.

Create ML calls them "testing data". A person adds them on the Evaluate page (per class, or a
zip laid out one folder a class); when a project has any, training measures the headline on
them (`training.train(..., test_dataset=)`), since photos taken on another day say more about
new photos than any photos held out of the training photos.

They are stored like the training photos, content-addressed, with the same upload checks, but
apart from them everywhere:

    project.json   each class's entry lists them under "test_photos" (its "photos" are the
                   training photos), so a renamed class keeps its test photos and a deleted
                   class takes them with it
    photos/<class folder>/test/<content_hash>.<ext>   their bytes

A photo is either a training photo or a test photo, never both: adding one that is already the
other is refused as a duplicate (`store.photo_files.store_photos`). A project file downloaded
from Export carries them as one inner zip, `test_photos.zip` (one folder a class),
which the model's loader ignores and an import keeps apart again (`import_into`).

This module never imports `tlcore.store`: it takes a `store.Project` as an argument, and
`store` uses its names for where test photos are kept.
"""

import dataclasses
import io
import zipfile

import numpy as np

from tlcore import errors
from tlcore.data import datasets, loading
from tlcore.features import cosine, splitting

#: The key of a class entry in project.json listing its test photos.
RECORDS_KEY = "test_photos"

#: The key listing a class's training photos.
TRAINING_RECORDS_KEY = "photos"

#: The folder, inside a class's photo folder, holding its test photos.
SUBFOLDER = "test"

#: The entry of a project file holding its test photos, a zip laid out one folder a class.
ARCHIVE_ENTRY = "test_photos.zip"

#: What names a test photo's class in duplicate messages ("Banana (test photos)").
TEST_CLASS_SUFFIX = " (test photos)"


def records_key(test: bool) -> str:
    """Returns the key of a class entry that lists its test photos or its training photos."""
    return RECORDS_KEY if test else TRAINING_RECORDS_KEY


def records(entry: dict, test: bool = True) -> list[dict]:
    """Returns the records of a class entry's test photos (or training photos)."""
    return entry.get(records_key(test)) or []


def counts(metadata: dict) -> dict[str, int]:
    """Returns how many test photos each class holds, in class order.

    Args:
        metadata: A project's project.json.

    Returns:
        The count of each class (0 for a class without any).
    """
    return {entry["name"]: len(records(entry)) for entry in metadata["classes"]}


def known_photos(metadata: dict) -> dict[str, tuple[str, str]]:
    """Returns every photo of a project, training and test, by content hash.

    Args:
        metadata: A project's project.json.

    Returns:
        `(file_name, where)` of each photo; `where` is its class, followed by
        `TEST_CLASS_SUFFIX` for a test photo, so a duplicate's message says which it is.
    """
    known: dict[str, tuple[str, str]] = {}
    for entry in metadata["classes"]:
        for test in (False, True):
            where = entry["name"] + (TEST_CLASS_SUFFIX if test else "")
            for record in records(entry, test):
                known[record["content_hash"]] = (record["file_name"], where)
    return known


def stored_count(metadata: dict) -> int:
    """Returns how many photos a project stores, training and test photos together (both
    count towards `Limits.max_photos_per_project`)."""
    return len(known_photos(metadata))


def unknown_class_reason(class_name: str) -> str:
    """Why a test photo of a class the project does not have is not kept."""
    return (
        f"this project has no class called '{class_name}'; test photos go in the classes you "
        "train, so name the zip's folders like them"
    )


def test_dataset(project) -> datasets.Dataset | None:
    """Returns a project's test photos as a dataset for `training.train(test_dataset=)`.

    Args:
        project: A `store.Project`.

    Returns:
        The test photos, or None when the project has none.
    """
    dataset = project.to_dataset(test=True)
    return dataset if dataset.photos else None


def project_file_bytes(project) -> bytes:
    """Returns a project's model file to download, carrying its test photos when it has any.

    The test photos travel as one inner zip (`ARCHIVE_ENTRY`), one folder a class named
    exactly like the class, so an import finds the same classes. The model's own entries are
    copied as they are.

    Args:
        project: A trained `store.Project`.

    Returns:
        The bytes of the project file.
    """
    model_bytes = project.model_path.read_bytes()
    test_set = project.to_dataset(test=True)
    if not test_set.photos:
        return model_bytes
    inner = io.BytesIO()
    # Photos are compressed already: storing them as they are is as small and far quicker.
    with zipfile.ZipFile(inner, "w", compression=zipfile.ZIP_STORED) as archive:
        for photo in test_set.photos:
            extension = photo.path.suffix if photo.path is not None else ".jpg"
            archive.writestr(
                f"{photo.class_name}/{photo.content_hash[:16]}{extension}", photo.read_bytes()
            )
    output = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(model_bytes)) as source,
        zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            target.writestr(info, source.read(info.filename))
        target.writestr(ARCHIVE_ENTRY, inner.getvalue(), compress_type=zipfile.ZIP_STORED)
    return output.getvalue()


def archived_test_photos(data: bytes) -> datasets.Dataset | None:
    """Reads the test photos a project file carries, with every check of an uploaded zip.

    Args:
        data: The bytes of a project file.

    Returns:
        The test photos, or None when the file carries none.

    Raises:
        DatasetError: If the inner zip is damaged, unsafe or too big (`data.loading.load_zip`).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if ARCHIVE_ENTRY not in archive.namelist():
                return None
            info = archive.getinfo(ARCHIVE_ENTRY)
            if info.file_size > loading.MAX_ZIP_UNCOMPRESSED_BYTES:
                raise errors.DatasetError(
                    "The project file's test photos are far more than this tool writes, so "
                    "they were not opened."
                )
            inner = archive.read(ARCHIVE_ENTRY)
    except (zipfile.BadZipFile, OSError) as error:
        raise errors.DatasetError("The project file's test photos are damaged.") from error
    return loading.load_zip(inner)


def import_into(project, data: bytes):
    """Keeps the test photos of an imported project file as the new project's test photos.

    Args:
        project: The `store.Project` made from the file.
        data: The bytes of the project file.

    Returns:
        The `store.AddResult` of the test photos, or None when the file carries none.

    Raises:
        DatasetError: If the test photos cannot be read.
    """
    test_set = archived_test_photos(data)
    if test_set is None:
        return None
    return project.add_dataset(test_set, test=True)


@dataclasses.dataclass(frozen=True)
class NearCopy:
    """A test photo nearly the same as a training photo: it makes the test too easy.

    Args:
        test_photo: The test photo (a `data.datasets.Photo`).
        training_photo: The training photo most like it (anything with `file_name`,
            `class_name` and `content_hash`, such as a `checks.photo_references.PhotoReference`).
        similarity: The cosine similarity of their centred features (1 is the same picture).
    """

    test_photo: datasets.Photo
    training_photo: object
    similarity: float


def near_copies_of_training(
    test_photos: list[datasets.Photo],
    test_features: np.ndarray,
    training_photos: list,
    training_features: np.ndarray,
    similarity: float = splitting.NEAR_COPY_SIMILARITY,
) -> list[NearCopy]:
    """Finds test photos that are near-copies of a training photo, the most alike first.

    Such a test photo was taken in the same sitting as a photo the model learns from, so the
    model recognises it far more easily than a new photo: the headline would be too high. The
    similarity is the one that groups near-copies for the split
    (`features.splitting.near_copy_groups`), on features centred over training and test photos
    together.

    Args:
        test_photos: The test photos.
        test_features: Their pooled features, one row each.
        training_photos: The training photos (`data.datasets.Photo`s or
            `checks.photo_references.PhotoReference`s).
        training_features: Their pooled features, one row each.
        similarity: The least similarity that makes two photos near-copies.

    Returns:
        One `NearCopy` for each test photo with a training photo at least that similar.
    """
    if not test_photos or not training_photos:
        return []
    vectors = cosine.normalise(np.vstack([training_features, test_features]))
    training_vectors = vectors[: len(training_photos)]
    test_vectors = vectors[len(training_photos) :]
    found = []
    # A block of test photos at a time keeps memory small for a 20,000-photo project.
    for start in range(0, len(test_photos), 256):
        block = test_vectors[start : start + 256] @ training_vectors.T
        nearest = block.argmax(axis=1)
        for offset, column in enumerate(nearest):
            value = float(block[offset, column])
            if value >= similarity:
                found.append(
                    NearCopy(test_photos[start + offset], training_photos[int(column)], value)
                )
    return sorted(found, key=lambda near: -near.similarity)
