"""The one way tlcore writes a file: complete, or not at all.

Every write goes to a temporary file beside the target (`.<name>.<random>.tmp`), is forced to
the disk, and is then moved into place with `os.replace`, so a crash, a killed process or a
full disk leaves the old file or the new one, never half of one. A disk without room ends the
write with a `DiskFullError` that says, in words, what could not be saved. The workspace,
project files (`tlcore.serving.project_file`), exports and the features cache
(`tlcore.features.embeddings`) all write through `write_atomically`.
"""

import contextlib
import errno
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from tlcore import errors

#: How every temporary file's name ends; such a file is never read, only removed.
TEMPORARY_SUFFIX = ".tmp"

# The errors of a write that found no room: a full disk, a full quota, a file over a size limit.
_DISK_FULL_ERRNOS = {errno.ENOSPC: "full", errno.EDQUOT: "full", errno.EFBIG: "too large"}


def write_atomically(
    path: str | os.PathLike, data: bytes, what: str = "your change", durable: bool = True
) -> Path:
    """Writes a file atomically: to a temporary file in the same folder, then moved in place.

    Args:
        path: The file to write; its folder is made when missing.
        data: Its content.
        what: What the file holds, in words, for the message of a full disk.
        durable: Whether to force the bytes to the disk before the rename. Only a cache whose
            files are computed again when damaged (photo features) leaves it off, to spare a
            disk flush per file.

    Returns:
        The path written.

    Raises:
        DiskFullError: If the disk has no room; the old file, if any, is left as it was.
    """
    path = Path(path)
    temporary = temporary_path(path)
    try:
        with disk_errors(what):
            path.parent.mkdir(parents=True, exist_ok=True)
            write_new_file(temporary, data, durable)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def write_json(path: Path, data: dict, what: str = "your change") -> None:
    """Writes a dictionary as a JSON file, atomically (see `write_atomically`)."""
    write_atomically(path, json_bytes(data), what)


def read_json(path: Path) -> dict:
    """Reads a JSON file written by `write_json`."""
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def json_bytes(data: dict) -> bytes:
    """Returns a dictionary as the bytes of an indented UTF-8 JSON file."""
    return json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")


def temporary_path(path: Path) -> Path:
    """Returns a new temporary file's name beside `path`: hidden, and ending in `.tmp`."""
    return path.parent / f".{path.name}.{secrets.token_hex(6)}{TEMPORARY_SUFFIX}"


def is_temporary(path: Path) -> bool:
    """Tells whether a file's name is one `temporary_path` gives."""
    return path.name.startswith(".") and path.name.endswith(TEMPORARY_SUFFIX)


def write_new_file(path: Path, data: bytes, durable: bool = True) -> None:
    """Writes a new file and forces it to the disk, so a later rename publishes all of it.

    Args:
        path: The file to create; it must not exist.
        data: Its content.
        durable: Whether to force the bytes to the disk (see `write_atomically`).
    """
    with open(path, "xb") as file:
        file.write(data)
        if durable:
            file.flush()
            os.fsync(file.fileno())


@contextlib.contextmanager
def disk_errors(what: str) -> Iterator[None]:
    """Turns the `OSError` of a disk without room into a `DiskFullError` about `what`."""
    try:
        yield
    except OSError as error:
        kind = _DISK_FULL_ERRNOS.get(error.errno)
        if kind is None:
            raise
        reason = (
            "the server's disk is full"
            if kind == "full"
            else "the server refuses to store a file this large"
        )
        raise errors.DiskFullError(what, reason) from error
