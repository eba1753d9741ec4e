"""Datasets read from a folder or a zip archive.

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

import io
import os
import pathlib
import re
import stat
import struct
import zipfile
import zlib

from tlcore import errors
from tlcore.data import builder as dataset_builder
from tlcore.data import datasets

MAX_ZIP_UNCOMPRESSED_BYTES = 2 * 1024**3
"""The most bytes all the files of a zip may hold once unpacked, as the zip declares them."""

MAX_ZIP_ENTRIES = 100_000
"""The most files and folders a zip may hold."""

# Python can always read these compression methods; others (such as Deflate64) are skipped.
_READABLE_COMPRESSIONS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2)

# The errors reading one damaged entry of an otherwise readable zip can raise.
_DAMAGED_ENTRY_ERRORS = (zipfile.BadZipFile, NotImplementedError, zlib.error, EOFError, OSError)

# The errors opening a file that is not a zip, or a badly damaged one, can raise.
_DAMAGED_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, struct.error)

# A name such as "C:/Windows/..." is an absolute path on Windows.
_WINDOWS_DRIVE = re.compile(r"[A-Za-z]:[/\\]")


def load_dataset(path: str | os.PathLike) -> datasets.Dataset:
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


def load_folder(path: str | os.PathLike) -> datasets.Dataset:
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
    builder = dataset_builder.DatasetBuilder()
    for class_folder in class_folders:
        if dataset_builder.is_ignored(class_folder.name) or not class_folder.is_dir():
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
            if dataset_builder.is_ignored(entry.name):
                continue
            shown_name = f"{class_folder.name}/{entry.name}"
            if class_name is None:
                builder.skip(shown_name, bad_name_reason)
            elif not _is_inside(entry, root):
                builder.skip(shown_name, "it is a link to a file outside the chosen folder")
            elif entry.is_dir():
                builder.skip(
                    shown_name,
                    dataset_builder.SUB_FOLDER_REASON.format(class_folder=class_folder.name),
                )
            elif not entry.is_file():
                builder.skip(shown_name, "it is not a regular file")
            else:
                _add_photo_file(builder, entry, class_name, shown_name)
    return builder.build()


def load_zip(source: bytes | str | os.PathLike) -> datasets.Dataset:
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


def _add_photo_file(
    builder: dataset_builder.DatasetBuilder, path: pathlib.Path, class_name: str, shown_name: str
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
        if size > dataset_builder.MAX_PHOTO_BYTES:
            builder.skip(shown_name, dataset_builder.too_big_reason(size))
            return
        data = path.read_bytes()
    except OSError:
        builder.skip(shown_name, "the file cannot be read")
        return
    builder.add_photo(data, path.name, class_name, shown_name, path=path)


def _load_zip_entries(archive: zipfile.ZipFile, zip_name: str) -> datasets.Dataset:
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
    builder = dataset_builder.DatasetBuilder()
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
                builder.skip(
                    sub_folder, dataset_builder.SUB_FOLDER_REASON.format(class_folder=parts[0])
                )
        else:
            _add_zip_entry(builder, archive, info, parts[1], class_name, shown_name)
    return builder.build()


def _add_zip_entry(
    builder: dataset_builder.DatasetBuilder,
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
    if info.file_size > dataset_builder.MAX_PHOTO_BYTES:
        builder.skip(shown_name, dataset_builder.too_big_reason(info.file_size))
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
        if parts and not any(dataset_builder.is_ignored(part) for part in parts):
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
