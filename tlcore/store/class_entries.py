"""A project's classes in its metadata: found by name, and added with their photo folder."""

from pathlib import Path

from tlcore import errors, files
from tlcore.data import names
from tlcore.store import photo_files


def find_class(metadata: dict, name: str) -> dict:
    """Returns a class's entry in the metadata, by exact name.

    Raises:
        ClassNameError: If there is no such class.
    """
    for entry in metadata["classes"]:
        if entry["name"] == name:
            return entry
    raise errors.ClassNameError(f"There is no class called '{name}' in this project.")


def add_class_entry(folder: Path, metadata: dict, name: str) -> str:
    """Adds a class to the metadata and makes its photo folder; returns its stored name.

    Args:
        folder: The project's folder.
        metadata: The project's metadata, being edited.
        name: The class name a person typed.

    Raises:
        ClassNameError: If the name is empty, unusable or already a class.
    """
    name = names.check_new_class_name(name, [entry["name"] for entry in metadata["classes"]])
    used = {entry["folder"] for entry in metadata["classes"]}
    with files.disk_errors(f"the class '{name}'"):
        candidate = photo_files.make_class_folder(folder, name, used)
    metadata["classes"].append({"name": name, "folder": candidate, "photos": []})
    return name


def import_class(
    folder: Path, metadata: dict, class_name: str, create: bool
) -> tuple[str | None, bool]:
    """Finds the class named like `class_name`, or makes it when `create` says so.

    Returns:
        The class's name as stored (None when missing and not made), and whether it was made.
    """
    wanted = names.comparison_key(class_name)
    for entry in metadata["classes"]:
        if names.comparison_key(entry["name"]) == wanted:
            return entry["name"], False
    if not create:
        return None, False
    return add_class_entry(folder, metadata, class_name), True
