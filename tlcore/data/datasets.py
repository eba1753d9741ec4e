"""Sets of labelled photos: `Dataset`, its `Photo`s, and the files left out of it.

A dataset never stops at one bad photo: a file that is not a usable photo is kept aside as a
`SkippedFile` with the reason, and a photo whose content was already seen is kept aside as a
`DuplicatePhoto`, so the person can be told about both. `tlcore.data.loading` reads
datasets from a folder or a zip archive.
"""

import dataclasses
import pathlib

from tlcore import errors
from tlcore.data import names


@dataclasses.dataclass(frozen=True)
class Photo:
    """One photo of a dataset, with the class it belongs to.

    Attributes:
        file_name: The file's name, without its folder.
        class_name: The name of its class.
        content_hash: The SHA-256 of its content (see `data.images.content_hash`).
        path: Where the file is, for photos read from a folder.
        data: The file's content, for photos read from a zip or an upload.
    """

    file_name: str
    class_name: str
    content_hash: str
    path: pathlib.Path | None = None
    data: bytes | None = dataclasses.field(default=None, repr=False)

    def __post_init__(self):
        if self.path is None and self.data is None:
            raise errors.DatasetError(
                f"The photo '{self.file_name}' has neither a file nor any content."
            )

    def read_bytes(self) -> bytes:
        """Returns the content of the photo.

        Returns:
            `data` when the photo holds its content, else the content of the file at `path`.

        Raises:
            UnreadableImageError: The file cannot be read any more (moved or deleted).
        """
        if self.data is not None:
            return self.data
        try:
            return self.path.read_bytes()
        except OSError as error:
            raise errors.UnreadableImageError(
                self.file_name, "the file cannot be read any more (was it moved or deleted?)"
            ) from error


@dataclasses.dataclass(frozen=True)
class SkippedFile:
    """A file left out of a dataset, and why.

    Attributes:
        file_name: The file's path inside the folder or zip, such as "apples/notes.txt", so
            the person can find it.
        reason: Why it was left out, in plain words.
    """

    file_name: str
    reason: str


@dataclasses.dataclass(frozen=True)
class DuplicatePhoto:
    """A photo left out of a dataset because the same photo (same content) is already in it.

    Attributes:
        file_name: The file's name, without its folder.
        class_name: The class whose folder it was in.
        duplicate_of: The file name of the photo kept.
        duplicate_of_class: The class of the photo kept; when it differs from `class_name`,
            the same photo was put in two classes.
    """

    file_name: str
    class_name: str
    duplicate_of: str
    duplicate_of_class: str


@dataclasses.dataclass(frozen=True)
class Dataset:
    """Photos sorted into classes.

    `class_names` is stored sorted case-insensitively whatever order it is given in, so that the
    same classes always get the same label numbers.

    Attributes:
        class_names: The classes, sorted case-insensitively; a class may have no photos.
        photos: The photos, each in one of the classes.
        skipped: The files left out because they are not usable photos.
        duplicates: The photos left out because the same photo was already in.

    Raises:
        DatasetError: Two class names differ only in case, or a photo's class is not one of
            `class_names`.
    """

    class_names: list[str]
    photos: list[Photo]
    skipped: list[SkippedFile] = dataclasses.field(default_factory=list)
    duplicates: list[DuplicatePhoto] = dataclasses.field(default_factory=list)

    def __post_init__(self):
        sorted_names = sorted(self.class_names, key=_class_order)
        keys = [names.comparison_key(class_name) for class_name in sorted_names]
        if len(set(keys)) != len(keys):
            raise errors.DatasetError(
                "Two classes have names that differ only in capital letters; rename one of them."
            )
        unknown_classes = {photo.class_name for photo in self.photos} - set(sorted_names)
        if unknown_classes:
            raise errors.DatasetError(
                f"Some photos belong to classes that do not exist: {sorted(unknown_classes)}."
            )
        # The dataclass is frozen, so the sorted list is stored the way dataclasses do it.
        object.__setattr__(self, "class_names", sorted_names)

    @property
    def labels(self) -> list[int]:
        """The class of each photo, as its index in `class_names`, in the order of `photos`."""
        index_of = {class_name: index for index, class_name in enumerate(self.class_names)}
        return [index_of[photo.class_name] for photo in self.photos]

    def counts(self) -> dict[str, int]:
        """Counts the photos of each class.

        Returns:
            The number of photos of every class, in the order of `class_names`, zeros included.
        """
        counts = dict.fromkeys(self.class_names, 0)
        for photo in self.photos:
            counts[photo.class_name] += 1
        return counts

    def photos_of(self, class_name: str) -> list[Photo]:
        """Returns the photos of one class.

        Args:
            class_name: One of `class_names`.

        Returns:
            Its photos, in the order of `photos`.
        """
        return [photo for photo in self.photos if photo.class_name == class_name]


def check_trainable(dataset: Dataset, minimum_per_class: int = 2) -> None:
    """Checks that a dataset has enough classes and photos to train a model on.

    Args:
        dataset: The dataset.
        minimum_per_class: The fewest photos each class must have.

    Raises:
        DatasetError: There are fewer than 2 classes, or some classes have fewer than
            `minimum_per_class` photos; the message names them.
    """
    problems = []
    if len(dataset.class_names) < 2:
        found = ", ".join(f"'{class_name}'" for class_name in dataset.class_names) or "none"
        problems.append(
            f"Training needs at least 2 classes, and there are {len(dataset.class_names)} "
            f"({found}). Add a class."
        )
    too_small = [
        f"'{class_name}' ({count})"
        for class_name, count in dataset.counts().items()
        if count < minimum_per_class
    ]
    if too_small:
        problems.append(
            f"Each class needs at least {minimum_per_class} photos, and these have fewer: "
            f"{', '.join(too_small)}. Add photos to them, or remove them."
        )
    if problems:
        raise errors.DatasetError(" ".join(problems))


def _class_order(class_name: str) -> tuple[str, str]:
    """Returns the key that sorts class names case-insensitively, and the same way every time."""
    return names.comparison_key(class_name), class_name
