"""A dataset gathered while a folder or a zip is read, and the rules both readers follow.

Which names are ignored, how big a file may be to be read as a photo, and the reason a
folder inside a class folder is left out are the same for folders and zips
(`tlcore.data.loading`).
"""

import pathlib

from tlcore import errors
from tlcore.data import datasets, images, names

MAX_PHOTO_BYTES = 256 * 1024**2
"""The biggest single file read as a photo; bigger files are skipped without being read."""

# Files that computers add to folders by themselves. They, and every name that starts with a
# dot (such as .DS_Store or macOS's ._ copies), are ignored without a word.
IGNORED_NAMES = frozenset({"__MACOSX", "Thumbs.db", "desktop.ini"})

SUB_FOLDER_REASON = (
    "it is a folder inside the class folder '{class_folder}': put photos directly in the class "
    "folder"
)


class DatasetBuilder:
    """Gathers classes, photos, skipped files and duplicates while a folder or zip is read."""

    def __init__(self):
        self.class_names_by_key: dict[str, str] = {}
        self.folder_names_by_key: dict[str, str] = {}
        self.photos: list[datasets.Photo] = []
        self.skipped: list[datasets.SkippedFile] = []
        self.duplicates: list[datasets.DuplicatePhoto] = []
        self.photos_by_hash: dict[str, datasets.Photo] = {}

    def add_class(self, folder_name: str) -> tuple[str | None, str | None]:
        """Adds the class of a class folder; adding the same folder again changes nothing.

        Args:
            folder_name: The folder's name.

        Returns:
            The class name and None, or None and the reason the folder name cannot be used.

        Raises:
            DatasetError: Another folder's name differs from this one only in case or spaces.
        """
        try:
            class_name = names.clean_class_name(folder_name)
        except errors.ClassNameError as error:
            return None, f"the folder name cannot be used as a class name. {error}"
        key = names.comparison_key(class_name)
        other_folder = self.folder_names_by_key.setdefault(key, folder_name)
        if other_folder != folder_name:
            raise errors.DatasetError(
                f"The folders '{other_folder}' and '{folder_name}' would be the same class: class "
                "names that differ only in capital letters or spaces would be confused. Rename "
                "one of them, or put their photos together."
            )
        self.class_names_by_key[key] = class_name
        return class_name, None

    def skip(self, shown_name: str, reason: str) -> None:
        """Records a file left out, and why."""
        self.skipped.append(datasets.SkippedFile(shown_name, reason))

    def add_photo(
        self,
        data: bytes,
        file_name: str,
        class_name: str,
        shown_name: str,
        path: pathlib.Path | None = None,
    ) -> None:
        """Checks a photo and adds it, or records it as a duplicate or a skipped file.

        Args:
            data: The file's content.
            file_name: The file's name, without its folder.
            class_name: Its class, already added.
            shown_name: The file's path inside the folder or zip, for messages.
            path: The file on disk; when given, the photo keeps it instead of `data`.
        """
        content_hash = images.content_hash(data)
        first_photo = self.photos_by_hash.get(content_hash)
        if first_photo is not None:
            self.duplicates.append(
                datasets.DuplicatePhoto(
                    file_name, class_name, first_photo.file_name, first_photo.class_name
                )
            )
            return
        try:
            images.check_photo(data, file_name)
        except errors.UnreadableImageError as error:
            self.skip(shown_name, error.reason)
            return
        photo = datasets.Photo(
            file_name, class_name, content_hash, path=path, data=None if path is not None else data
        )
        self.photos_by_hash[content_hash] = photo
        self.photos.append(photo)

    def build(self) -> datasets.Dataset:
        """Returns the dataset gathered.

        Raises:
            DatasetError: No class folder was found.
        """
        if not self.class_names_by_key:
            raise errors.DatasetError(
                "No class folders found: put each class's photos in a folder named after the class."
            )
        return datasets.Dataset(
            list(self.class_names_by_key.values()), self.photos, self.skipped, self.duplicates
        )


def is_ignored(name: str) -> bool:
    """Tells whether a file or folder name is one computers add by themselves, or hidden."""
    return name.startswith(".") or name in IGNORED_NAMES


def too_big_reason(size: int) -> str:
    """Returns why a file of `size` bytes is not read as a photo."""
    return (
        f"the file is too large to be a photo ({size / 1024**2:.0f} MB; the limit is "
        f"{MAX_PHOTO_BYTES // 1024**2} MB)"
    )
