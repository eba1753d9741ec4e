"""Sets of labelled photos, read from a folder or a zip archive.

Both are laid out one sub-folder a class, named after the class:

    photos/
        apples/IMG_0001.jpg
        pears/IMG_0002.jpg

A zip may also wrap everything in one top folder, which is what zipping a folder gives.

Loading never stops at one bad photo: a file that is not a usable photo is kept aside as a
`SkippedFile` with the reason, and a photo whose content was already seen is kept aside as a
`DuplicatePhoto`, so the person can be told about both. Only problems with the set as a whole
(no classes, two class folders that differ only in case, an unsafe or damaged zip) raise a
`DatasetError`.
"""

import dataclasses
import io
import os
import pathlib
import re
import stat
import struct
import zipfile
import zlib

from tlcore import errors, images, names

MAX_ZIP_UNCOMPRESSED_BYTES = 2 * 1024**3
"""The most bytes all the files of a zip may hold once unpacked, as the zip declares them."""

MAX_ZIP_ENTRIES = 100_000
"""The most files and folders a zip may hold."""

MAX_PHOTO_BYTES = 256 * 1024**2
"""The biggest single file read as a photo; bigger files are skipped without being read."""

# Files that computers add to folders by themselves. They, and every name that starts with a
# dot (such as .DS_Store or macOS's ._ copies), are ignored without a word.
_IGNORED_NAMES = frozenset({"__MACOSX", "Thumbs.db", "desktop.ini"})

# Python can always read these compression methods; others (such as Deflate64) are skipped.
_READABLE_COMPRESSIONS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2)

# The errors reading one damaged entry of an otherwise readable zip can raise.
_DAMAGED_ENTRY_ERRORS = (zipfile.BadZipFile, NotImplementedError, zlib.error, EOFError, OSError)

# The errors opening a file that is not a zip, or a badly damaged one, can raise.
_DAMAGED_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, struct.error)

# A name such as "C:/Windows/..." is an absolute path on Windows.
_WINDOWS_DRIVE = re.compile(r"[A-Za-z]:[/\\]")

_SUB_FOLDER_REASON = (
    "it is a folder inside the class folder '{class_folder}': put photos directly in the class "
    "folder"
)


@dataclasses.dataclass(frozen=True)
class Photo:
    """One photo of a dataset, with the class it belongs to.

    Attributes:
        file_name: The file's name, without its folder.
        class_name: The name of its class.
        content_hash: The SHA-256 of its content (see `images.content_hash`).
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


def load_dataset(path: str | os.PathLike) -> Dataset:
    """Loads a dataset from a folder or from a .zip file.

    Args:
        path: A folder holding one sub-folder a class, or a .zip file laid out the same way.

    Returns:
        The dataset.

    Raises:
        DatasetError: The path does not exist, is neither a folder nor a .zip file, or the
            folder or zip cannot be used (see `load_folder` and `load_zip`).
    """
    path = pathlib.Path(path)
    if not path.exists():
        raise errors.DatasetError(
            f"'{path}' does not exist. Choose a folder of class folders, or a .zip file."
        )
    if path.is_dir():
        return load_folder(path)
    if path.suffix.lower() == ".zip":
        return load_zip(path)
    raise errors.DatasetError(
        f"'{path.name}' is neither a folder nor a .zip file. Choose a folder with one sub-folder "
        "for each class, or a .zip file of such a folder."
    )


def load_folder(path: str | os.PathLike) -> Dataset:
    """Loads a dataset from a folder holding one sub-folder a class.

    Every photo is read and decoded once to check it. Files directly in the folder, hidden
    files and folders inside class folders are left out. Links are followed only when they
    point inside the folder. Folders and files are read in sorted order, so the result is the
    same on every run.

    Args:
        path: The folder.

    Returns:
        The dataset; its photos keep their `path`, not their content.

    Raises:
        DatasetError: The folder does not exist, has no class folders, or has two class folders
            whose names differ only in case.
    """
    root = pathlib.Path(path)
    if not root.is_dir():
        raise errors.DatasetError(f"'{root}' is not a folder, or it does not exist.")
    root = root.resolve()
    try:
        class_folders = sorted(root.iterdir())
    except OSError as error:
        raise errors.DatasetError(f"The folder '{root.name}' cannot be read.") from error
    builder = _DatasetBuilder()
    for class_folder in class_folders:
        if _is_ignored(class_folder.name) or not class_folder.is_dir():
            continue
        if not _is_inside(class_folder, root):
            builder.skip(class_folder.name, "it is a link to a folder outside the chosen folder")
            continue
        class_name, bad_name_reason = builder.add_class(class_folder.name)
        try:
            entries = sorted(class_folder.iterdir())
        except OSError:
            builder.skip(class_folder.name, "the folder cannot be read")
            continue
        for entry in entries:
            if _is_ignored(entry.name):
                continue
            shown_name = f"{class_folder.name}/{entry.name}"
            if class_name is None:
                builder.skip(shown_name, bad_name_reason)
            elif not _is_inside(entry, root):
                builder.skip(shown_name, "it is a link to a file outside the chosen folder")
            elif entry.is_dir():
                builder.skip(shown_name, _SUB_FOLDER_REASON.format(class_folder=class_folder.name))
            elif not entry.is_file():
                builder.skip(shown_name, "it is not a regular file")
            else:
                _add_photo_file(builder, entry, class_name, shown_name)
    return builder.build()


def load_zip(source: bytes | str | os.PathLike) -> Dataset:
    """Loads a dataset from a zip archive holding one folder a class.

    The archive is read in memory and nothing is unpacked to disk. It is refused as a whole
    when it holds a link or a name that would point outside it (an absolute path or `..`), or
    when it declares more than `MAX_ZIP_ENTRIES` entries or `MAX_ZIP_UNCOMPRESSED_BYTES` bytes.
    No entry is ever read beyond the size it declares. One top folder wrapping all the class
    folders is allowed. Damaged entries, zips inside the zip and files too big to be photos are
    skipped with a reason.

    Args:
        source: The content of the zip file, or its path.

    Returns:
        The dataset; its photos keep their content in `data`.

    Raises:
        DatasetError: The file is not a zip, is damaged, is unsafe or too big, has no class
            folders, or has two class folders whose names differ only in case.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        zip_name, opened = "The zip file", io.BytesIO(source)
    else:
        zip_name, opened = f"'{pathlib.Path(source).name}'", source
    try:
        archive = zipfile.ZipFile(opened)
    except FileNotFoundError as error:
        raise errors.DatasetError(f"{zip_name} does not exist.") from error
    except (*_DAMAGED_ZIP_ERRORS, OSError) as error:
        raise errors.DatasetError(
            f"{zip_name} is not a zip archive, or it is damaged. Make the zip again, for example "
            "with 'Compress' on the folder of class folders."
        ) from error
    with archive:
        return _load_zip_entries(archive, zip_name)


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


class _DatasetBuilder:
    """Gathers classes, photos, skipped files and duplicates while a folder or zip is read."""

    def __init__(self):
        self.class_names_by_key: dict[str, str] = {}
        self.folder_names_by_key: dict[str, str] = {}
        self.photos: list[Photo] = []
        self.skipped: list[SkippedFile] = []
        self.duplicates: list[DuplicatePhoto] = []
        self.photos_by_hash: dict[str, Photo] = {}

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
        self.skipped.append(SkippedFile(shown_name, reason))

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
                DuplicatePhoto(file_name, class_name, first_photo.file_name, first_photo.class_name)
            )
            return
        try:
            images.load_image(data, file_name)
        except errors.UnreadableImageError as error:
            self.skip(shown_name, error.reason)
            return
        photo = Photo(
            file_name, class_name, content_hash, path=path, data=None if path is not None else data
        )
        self.photos_by_hash[content_hash] = photo
        self.photos.append(photo)

    def build(self) -> Dataset:
        """Returns the dataset gathered.

        Raises:
            DatasetError: No class folder was found.
        """
        if not self.class_names_by_key:
            raise errors.DatasetError(
                "No class folders found: put each class's photos in a folder named after the class."
            )
        return Dataset(
            list(self.class_names_by_key.values()), self.photos, self.skipped, self.duplicates
        )


def _add_photo_file(
    builder: _DatasetBuilder, path: pathlib.Path, class_name: str, shown_name: str
) -> None:
    """Reads a file of a class folder and hands it to the builder.

    Args:
        builder: The dataset being built.
        path: The file.
        class_name: Its class.
        shown_name: The file's path inside the chosen folder, for messages.
    """
    try:
        size = path.stat().st_size
        if size > MAX_PHOTO_BYTES:
            builder.skip(shown_name, _too_big_reason(size))
            return
        data = path.read_bytes()
    except OSError:
        builder.skip(shown_name, "the file cannot be read")
        return
    builder.add_photo(data, path.name, class_name, shown_name, path=path)


def _load_zip_entries(archive: zipfile.ZipFile, zip_name: str) -> Dataset:
    """Checks every entry of an open zip, then reads its photos into a dataset.

    Args:
        archive: The open zip.
        zip_name: How to name the zip in messages.

    Returns:
        The dataset.

    Raises:
        DatasetError: The zip is unsafe, too big or has no usable class folders.
    """
    entries = _checked_entries(archive, zip_name)
    wrapper, entries = _unwrap(entries)
    builder = _DatasetBuilder()
    reported_sub_folders = set()
    for parts, info in sorted(entries, key=lambda entry: entry[0]):
        if len(parts) == 1:
            # A folder entry at the top is a class; a file at the top belongs to no class.
            if info.is_dir():
                builder.add_class(parts[0])
            continue
        class_name, bad_name_reason = builder.add_class(parts[0])
        if info.is_dir():
            continue
        shown_name = "/".join(wrapper + parts)
        if class_name is None:
            builder.skip(shown_name, bad_name_reason)
        elif len(parts) > 2:
            sub_folder = "/".join(wrapper + parts[:2])
            if sub_folder not in reported_sub_folders:
                reported_sub_folders.add(sub_folder)
                builder.skip(sub_folder, _SUB_FOLDER_REASON.format(class_folder=parts[0]))
        else:
            _add_zip_entry(builder, archive, info, parts[1], class_name, shown_name)
    return builder.build()


def _add_zip_entry(
    builder: _DatasetBuilder,
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    file_name: str,
    class_name: str,
    shown_name: str,
) -> None:
    """Reads one file entry of a class folder of a zip and hands it to the builder.

    Args:
        builder: The dataset being built.
        archive: The open zip.
        info: The entry.
        file_name: The file's name, without its folder.
        class_name: Its class.
        shown_name: The entry's path inside the zip, for messages.
    """
    if file_name.lower().endswith(".zip"):
        builder.skip(shown_name, "it is a zip inside the zip: unpack it and add its photos")
        return
    if info.flag_bits & 0x1:
        builder.skip(shown_name, "it is protected by a password")
        return
    if info.compress_type not in _READABLE_COMPRESSIONS:
        builder.skip(shown_name, "it is compressed in a way that cannot be read; zip it again")
        return
    if info.file_size > MAX_PHOTO_BYTES:
        builder.skip(shown_name, _too_big_reason(info.file_size))
        return
    try:
        with archive.open(info) as entry:
            # Reading one byte more than declared shows a header that under-states the size,
            # without ever holding more than that in memory.
            data = entry.read(info.file_size + 1)
    except _DAMAGED_ENTRY_ERRORS:
        builder.skip(shown_name, "the file is damaged inside the zip")
        return
    if len(data) > info.file_size:
        builder.skip(shown_name, "the file is damaged inside the zip")
        return
    if data.startswith(b"PK\x03\x04"):
        builder.skip(shown_name, "it is a zip inside the zip: unpack it and add its photos")
        return
    builder.add_photo(data, file_name, class_name, shown_name)


def _checked_entries(
    archive: zipfile.ZipFile, zip_name: str
) -> list[tuple[tuple[str, ...], zipfile.ZipInfo]]:
    """Checks that a zip is safe to read, and lists the entries worth reading.

    Args:
        archive: The open zip.
        zip_name: How to name the zip in messages.

    Returns:
        Each entry that is not hidden, as the parts of its path and its `ZipInfo`.

    Raises:
        DatasetError: The zip has too many entries, declares too many bytes, or holds a link, an
            absolute path or a `..` component.
    """
    infos = archive.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        raise errors.DatasetError(
            f"{zip_name} holds {len(infos):,} files; the limit is {MAX_ZIP_ENTRIES:,}."
        )
    total_size = sum(info.file_size for info in infos)
    if total_size > MAX_ZIP_UNCOMPRESSED_BYTES:
        raise errors.DatasetError(
            f"{zip_name} would unpack to {total_size / 1024**3:.1f} GB; the limit is "
            f"{MAX_ZIP_UNCOMPRESSED_BYTES / 1024**3:.0f} GB. Split the photos into smaller zips."
        )
    unsafe = (
        f"{zip_name} is refused because it holds an unsafe entry, '{{name}}', that {{why}}. "
        "Make the zip again from the folder of class folders."
    )
    entries = []
    for info in infos:
        name = info.filename
        raw_parts = name.replace("\\", "/").split("/")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise errors.DatasetError(unsafe.format(name=name, why="is a link"))
        if name.startswith(("/", "\\")) or _WINDOWS_DRIVE.match(name):
            raise errors.DatasetError(unsafe.format(name=name, why="is an absolute path"))
        if ".." in raw_parts:
            raise errors.DatasetError(
                unsafe.format(name=name, why="points outside the zip with '..'")
            )
        parts = tuple(part for part in raw_parts if part not in ("", "."))
        if parts and not any(_is_ignored(part) for part in parts):
            entries.append((parts, info))
    return entries


def _unwrap(
    entries: list[tuple[tuple[str, ...], zipfile.ZipInfo]],
) -> tuple[tuple[str, ...], list[tuple[tuple[str, ...], zipfile.ZipInfo]]]:
    """Removes the one top folder that wraps all class folders, when there is one.

    Zipping a folder puts everything in a folder named after it. The top folder is taken for
    such a wrapper when every entry is inside it and it holds at least one folder; a zip of
    one folder with photos directly in it is taken as one class instead.

    Args:
        entries: The entries, as the parts of their paths and their `ZipInfo`.

    Returns:
        The parts of the wrapper's path (empty when there is none), and the entries with their
        paths made relative to it. Entries directly in the wrapper end up at the top.
    """
    top_names = {parts[0] for parts, _ in entries}
    if len(top_names) != 1:
        return (), entries
    holds_folder = any(
        len(parts) > 2 or (len(parts) == 2 and info.is_dir()) for parts, info in entries
    )
    if not holds_folder:
        return (), entries
    wrapper = (top_names.pop(),)
    return wrapper, [(parts[1:], info) for parts, info in entries if len(parts) > 1]


def _is_ignored(name: str) -> bool:
    """Tells whether a file or folder name is one computers add by themselves, or hidden."""
    return name.startswith(".") or name in _IGNORED_NAMES


def _is_inside(path: pathlib.Path, root: pathlib.Path) -> bool:
    """Tells whether a path, once links are followed, is inside a folder.

    Args:
        path: The path, maybe a link.
        root: The folder, already resolved.

    Returns:
        True when the path resolves inside `root`; False when it points elsewhere or the link
        cannot be followed.
    """
    try:
        return path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):
        # Python 3.11 raises RuntimeError for a link that points to itself, in a loop.
        return False


def _too_big_reason(size: int) -> str:
    """Returns why a file of `size` bytes is not read as a photo."""
    return (
        f"the file is too large to be a photo ({size / 1024**2:.0f} MB; the limit is "
        f"{MAX_PHOTO_BYTES // 1024**2} MB)"
    )


def _class_order(class_name: str) -> tuple[str, str]:
    """Returns the key that sorts class names case-insensitively, and the same way every time."""
    return names.comparison_key(class_name), class_name
