"""A project's metadata as rows of the database, read whole and written back by difference.

The rest of the store (and `access`, `evaluation.testing_photos`, `photo_files`) works on one dict
per project, laid out as `project.json` was: top-level fields, `shares`, and `classes`, each with
its `photos` and `evaluation.testing_photos` records. `load` builds that dict from the rows, with a
`Snapshot` of what it read; `save` compares the edited dict with the snapshot and writes only
the rows that changed, so adding one photo to a 20,000-photo project inserts one row.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3

from tlcore.data import names
from tlcore.evaluation import testing_photos
from tlcore.store import database

# The top-level fields that have a column of their own; any other field goes to `other`.
_COLUMNS = (
    "id",
    "owner",
    "name",
    "format",
    "created_at",
    "updated_at",
    "changed_at",
    "trained_at",
    "training_started_at",
)
_SHARES_KEY = "shares"
_CLASSES_KEY = "classes"


@dataclasses.dataclass
class Snapshot:
    """What `load` read, for `save` to write only what changed.

    Args:
        shares: The share links as read.
        classes: Each class's (folder, name), in order.
        photos: The key (folder, is_test, content_hash) of every photo.
        revision: The project's revision when read; each `save` adds one.
    """

    shares: list[dict]
    classes: list[tuple[str, str]]
    photos: set[tuple[str, int, str]]
    revision: int = 0


def revision(connection: sqlite3.Connection, project_id: str) -> int | None:
    """Returns a project's revision (one more at each change), or None if it does not exist."""
    row = connection.execute("select revision from projects where id = ?", (project_id,)).fetchone()
    return None if row is None else row[0]


def summary_from_row(row: sqlite3.Row, shares: list[dict]) -> dict:
    """Returns a project's top-level fields (no classes) from its row and its share links."""
    summary = json.loads(row["other"] or "{}")
    for column in _COLUMNS:
        if row[column] is not None or column != "training_started_at":
            summary[column] = row[column]
    summary[_SHARES_KEY] = shares
    return summary


def _shares(connection: sqlite3.Connection, project_ids: list[str]) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {project_id: [] for project_id in project_ids}
    rows = connection.execute(
        "select project_id, token, role, created_at from shares order by id"
    ).fetchall()
    for row in rows:
        if row["project_id"] in found:
            found[row["project_id"]].append(
                {"token": row["token"], "role": row["role"], "created_at": row["created_at"]}
            )
    return found


def summaries(connection: sqlite3.Connection, owner: str | None = None) -> list[dict]:
    """Returns the top-level fields of every project (of one owner when named)."""
    if owner is None:
        rows = connection.execute("select * from projects order by id").fetchall()
    else:
        rows = connection.execute(
            "select * from projects where owner = ? order by id", (owner,)
        ).fetchall()
    shares = _shares(connection, [row["id"] for row in rows]) if rows else {}
    return [summary_from_row(row, shares[row["id"]]) for row in rows]


def summary(connection: sqlite3.Connection, project_id: str) -> dict | None:
    """Returns one project's top-level fields, or None if there is no such project."""
    row = connection.execute("select * from projects where id = ?", (project_id,)).fetchone()
    if row is None:
        return None
    shares = connection.execute(
        "select token, role, created_at from shares where project_id = ? order by id",
        (project_id,),
    ).fetchall()
    return summary_from_row(row, [dict(share) for share in shares])


def load(connection: sqlite3.Connection, project_id: str) -> tuple[dict, Snapshot] | None:
    """Returns a project's whole metadata and what was read, or None if it does not exist."""
    metadata = summary(connection, project_id)
    if metadata is None:
        return None
    read_revision = revision(connection, project_id)
    entries: dict[str, dict] = {}
    for folder, name in connection.execute(
        "select folder, name from classes where project_id = ? order by position", (project_id,)
    ).fetchall():
        entries[folder] = {"name": name, "folder": folder, "photos": []}
    # Plain tuples and one dict literal per photo: this loop reads every photo of the project,
    # 20,000 of them in a large one, at each change.
    lists = {(folder, 0): entry["photos"] for folder, entry in entries.items()}
    rows = database.plain_rows(
        connection,
        "select folder, is_test, file_name, content_hash, extension, added_at from photos "
        "where project_id = ? order by id",
        (project_id,),
    )
    photo_keys = set()
    for folder, is_test, file_name, content_hash, extension, added_at in rows:
        records = lists.get((folder, is_test))
        if records is None:
            records = entries[folder].setdefault(testing_photos.records_key(bool(is_test)), [])
            lists[(folder, is_test)] = records
        records.append(
            {
                "file_name": file_name,
                "content_hash": content_hash,
                "extension": extension,
                "added_at": added_at,
            }
        )
        photo_keys.add((folder, is_test, content_hash))
    metadata[_CLASSES_KEY] = list(entries.values())
    snapshot = Snapshot(
        shares=[dict(share) for share in metadata[_SHARES_KEY]],
        classes=[(entry["folder"], entry["name"]) for entry in entries.values()],
        photos=photo_keys,
        revision=read_revision,
    )
    return metadata, snapshot


def _photo_rows(metadata: dict) -> dict[tuple[str, int, str], dict]:
    """Every photo record of the metadata by its key, in class order and oldest first."""
    rows = {}
    for entry in metadata[_CLASSES_KEY]:
        for is_test in (0, 1):
            for record in testing_photos.records(entry, bool(is_test)):
                rows[(entry["folder"], is_test, record["content_hash"])] = record
    return rows


def save(connection: sqlite3.Connection, snapshot: Snapshot, metadata: dict) -> Snapshot:
    """Writes the rows of `metadata` that differ from what `snapshot` says was read.

    Returns:
        What the database holds now, for a next change to start from.
    """
    project_id = metadata["id"]
    other = {
        key: value
        for key, value in metadata.items()
        if key not in _COLUMNS and key not in (_SHARES_KEY, _CLASSES_KEY)
    }
    connection.execute(
        "update projects set owner = ?, name = ?, name_key = ?, format = ?, created_at = ?, "
        "updated_at = ?, changed_at = ?, trained_at = ?, training_started_at = ?, other = ?, "
        "revision = revision + 1 where id = ?",
        (
            metadata.get("owner", ""),
            metadata["name"],
            names.comparison_key(metadata["name"]),
            metadata.get("format", 1),
            metadata["created_at"],
            metadata["updated_at"],
            metadata.get("changed_at"),
            metadata.get("trained_at"),
            metadata.get("training_started_at"),
            json.dumps(other),
            project_id,
        ),
    )
    shares = metadata.get(_SHARES_KEY) or []
    if shares != snapshot.shares:
        connection.execute("delete from shares where project_id = ?", (project_id,))
        _insert_shares(connection, project_id, shares)
    _save_classes(connection, snapshot, metadata)
    wanted = _photo_rows(metadata)
    for folder, is_test, content_hash in snapshot.photos - wanted.keys():
        connection.execute(
            "delete from photos where project_id = ? and folder = ? and is_test = ? "
            "and content_hash = ?",
            (project_id, folder, is_test, content_hash),
        )
    added = [(key, record) for key, record in wanted.items() if key not in snapshot.photos]
    _insert_photos(connection, project_id, added)
    return Snapshot(
        shares=[dict(share) for share in shares],
        classes=[(entry["folder"], entry["name"]) for entry in metadata[_CLASSES_KEY]],
        photos=set(wanted),
        revision=snapshot.revision + 1,
    )


def _save_classes(connection: sqlite3.Connection, snapshot: Snapshot, metadata: dict) -> None:
    """Deletes, adds and renames or reorders the classes that changed."""
    project_id = metadata["id"]
    wanted = [(entry["folder"], entry["name"]) for entry in metadata[_CLASSES_KEY]]
    if wanted == snapshot.classes:
        return
    kept = {folder for folder, _ in wanted}
    for folder, _ in snapshot.classes:
        if folder not in kept:
            # Its photos go with it (`on delete cascade`).
            connection.execute(
                "delete from classes where project_id = ? and folder = ?", (project_id, folder)
            )
    before = {folder: (position, name) for position, (folder, name) in enumerate(snapshot.classes)}
    for position, (folder, name) in enumerate(wanted):
        if before.get(folder) != (position, name):
            connection.execute(
                "insert into classes (project_id, folder, name, position) values (?, ?, ?, ?) "
                "on conflict (project_id, folder) do update set name = excluded.name, "
                "position = excluded.position",
                (project_id, folder, name, position),
            )


def _insert_shares(connection: sqlite3.Connection, project_id: str, shares: list[dict]) -> None:
    connection.executemany(
        "insert into shares (project_id, token, role, created_at) values (?, ?, ?, ?)",
        [
            (project_id, share["token"], share["role"], share.get("created_at", ""))
            for share in shares
        ],
    )


def _insert_photos(
    connection: sqlite3.Connection,
    project_id: str,
    photos: list[tuple[tuple[str, int, str], dict]],
) -> None:
    connection.executemany(
        "insert into photos (project_id, folder, is_test, content_hash, extension, file_name, "
        "added_at) values (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                project_id,
                folder,
                is_test,
                content_hash,
                record["extension"],
                record.get("file_name", f"{content_hash}.{record['extension']}"),
                record.get("added_at", ""),
            )
            for (folder, is_test, content_hash), record in photos
        ],
    )


def insert(connection: sqlite3.Connection, metadata: dict) -> None:
    """Writes a whole new project: a new one, or one read from an old `project.json`."""
    connection.execute(
        "insert into projects (id, owner, name, name_key, created_at, updated_at) "
        "values (?, ?, ?, ?, ?, ?)",
        (
            metadata["id"],
            metadata.get("owner", ""),
            metadata["name"],
            names.comparison_key(metadata["name"]),
            metadata["created_at"],
            metadata["updated_at"],
        ),
    )
    empty = Snapshot(shares=[], classes=[], photos=set())
    save(connection, empty, {**metadata, _CLASSES_KEY: metadata.get(_CLASSES_KEY, [])})


def delete(connection: sqlite3.Connection, project_id: str) -> None:
    """Deletes a project's rows; its classes, photos and share links go with it."""
    connection.execute("delete from projects where id = ?", (project_id,))


def name_taken(
    connection: sqlite3.Connection, owner: str, name: str, ignore_id: str | None = None
) -> str | None:
    """Returns the name of another project of the owner that is called `name`, or None."""
    row = connection.execute(
        "select name from projects where owner = ? and name_key = ? and id != ?",
        (owner, names.comparison_key(name), ignore_id or ""),
    ).fetchone()
    return row["name"] if row else None


def counts(connection: sqlite3.Connection, owner: str) -> tuple[int, int]:
    """Returns how many projects the workspace holds, and how many of them are the owner's."""
    (total,) = connection.execute("select count(*) from projects").fetchone()
    (owned,) = connection.execute(
        "select count(*) from projects where owner = ?", (owner,)
    ).fetchone()
    return total, owned
