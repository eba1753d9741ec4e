"""The projects each visitor opened through a share link, for Home's "Shared with you".

When someone opens a project with a share link (`Workspace.open_as`), the link's token is
recorded against their owner token (`remember`), so Home lists the project again without the
link. The record proves nothing: `Workspace.list_shared_with` checks each token against the
project's share links as they are now (`tlcore.store.access.access_for`), so a withdrawn link drops
the project from the list at once, and forgets the record (`forget`). A project deleted takes
its records with it (`on delete cascade`).
"""

from __future__ import annotations

import sqlite3

from tlcore.store import records


def is_recorded(connection: sqlite3.Connection, owner: str, project_id: str, token: str) -> bool:
    """Whether `owner` is recorded as having opened the project with this share token."""
    row = connection.execute(
        "select share_token from shared_with where owner = ? and project_id = ?",
        (owner, project_id),
    ).fetchone()
    return row is not None and row[0] == token


def remember(connection: sqlite3.Connection, owner: str, project_id: str, token: str) -> None:
    """Records that `owner` opened a project with a share token (replacing another token)."""
    connection.execute(
        "insert into shared_with (owner, project_id, share_token, opened_at) "
        "values (?, ?, ?, ?) on conflict (owner, project_id) do update set "
        "share_token = excluded.share_token, opened_at = excluded.opened_at",
        (owner, project_id, token, records.now()),
    )


def recorded(connection: sqlite3.Connection, owner: str) -> list[tuple[str, str]]:
    """The (project id, share token) pairs recorded for an owner, the latest opened first."""
    rows = connection.execute(
        "select project_id, share_token from shared_with where owner = ? "
        "order by opened_at desc, project_id",
        (owner,),
    ).fetchall()
    return [(row[0], row[1]) for row in rows]


def forget(connection: sqlite3.Connection, owner: str, withdrawn: list[tuple[str, str]]) -> None:
    """Forgets an owner's records of (project id, share token) pairs whose links were withdrawn.

    A record the owner renewed meanwhile with another link (another token) is kept.
    """
    for project_id, token in withdrawn:
        connection.execute(
            "delete from shared_with where owner = ? and project_id = ? and share_token = ?",
            (owner, project_id, token),
        )
