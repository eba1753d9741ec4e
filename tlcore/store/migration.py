"""Workspaces made before the database: their `project.json` files imported, once.

Each project folder that still holds a `project.json` is imported into the database in one
transaction (its row, share links, classes, photos and test photos), then the file is renamed
`project.json.migrated` and kept, never deleted. A server killed between the two steps finds
the project in the database on its next start and only renames the file. A file that cannot
be read is left where it is, and said in the log: nothing is lost, and the project is imported
once it is mended. Trainings kept in the history stay files (`tlcore.evaluation.history`), as do the
model and the photos, so they need no import.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from tlcore import files
from tlcore.store import database, project_rows, records

#: What an imported `project.json` is renamed to.
MIGRATED_SUFFIX = ".migrated"

_logger = logging.getLogger(__name__)


def migrate_workspace(root: Path, store_database: database.Database) -> list[str]:
    """Imports every project of the workspace still described by a `project.json`.

    Args:
        root: The workspace folder.
        store_database: The workspace's database.

    Returns:
        The ids of the projects imported now.
    """
    imported = []
    for folder in sorted(root.iterdir()):
        description = folder / records.PROJECT_FILE
        if not records.is_project_id(folder.name) or not description.is_file():
            continue
        try:
            metadata = files.read_json(description)
        except (OSError, ValueError):
            _logger.warning("%s cannot be read; it is left as it is, not imported.", description)
            continue
        if _import(store_database, folder.name, metadata):
            imported.append(folder.name)
        os.replace(description, description.with_name(description.name + MIGRATED_SUFFIX))
    return imported


def _import(store_database: database.Database, project_id: str, metadata: dict) -> bool:
    """Writes one project's rows in one transaction; False when it was imported before."""
    metadata = {**metadata, "id": project_id}
    with store_database.transaction() as connection:
        if project_rows.summary(connection, project_id) is not None:
            return False
        metadata["name"] = _free_name(connection, metadata)
        project_rows.insert(connection, metadata)
    return True


def _free_name(connection, metadata: dict) -> str:
    """The project's name, or `name (2)`... if one of the owner's imported projects has it.

    Names became unique per owner before the database; a workspace older than that may hold
    two projects of one owner with one name, and both are kept.
    """
    owner, wanted = metadata.get("owner", ""), metadata["name"]
    candidate, number = wanted, 2
    while project_rows.name_taken(connection, owner, candidate) is not None:
        candidate = f"{wanted} ({number})"
        number += 1
    if candidate != wanted:
        _logger.warning(
            "Project %s imported as %r: %r was taken.", metadata["id"], candidate, wanted
        )
    return candidate
