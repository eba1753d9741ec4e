"""The one database of a workspace: projects, classes, photos and jobs, in SQLite (WAL).

Every web server and worker of a workspace reads and writes its metadata here, through this
module alone: `Database.transaction` takes the database's write lock at once (`begin
immediate`), so two processes (or threads) editing one project are serialised by the database
itself, with no in-process lock, and each edit writes only the rows it changed (one photo added
is one row inserted). Photos and models stay files in the workspace.

The database is `<workspace>/tlcore.db`, or what `TLCORE_DATABASE_URL` names: another SQLite
file (`sqlite:////absolute/path.db`) or a PostgreSQL server (`postgresql://user@host/name`,
through `tlcore.store.postgres`, which runs the same SQL). The schema carries its version
(`schema_version`), and `MIGRATIONS` brings an older database up to date when first opened.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from tlcore import errors
from tlcore.store import postgres

DATABASE_URL_VARIABLE = "TLCORE_DATABASE_URL"
DATABASE_FILE = "tlcore.db"

#: How long a writer waits for another's transaction before giving up, in seconds.
BUSY_TIMEOUT_SECONDS = 30

# Each entry brings the schema from the version before it to its own; never edit an entry
# once released: add one.
MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        create table projects (
            id text primary key,
            owner text not null,
            name text not null,
            name_key text not null,
            format integer not null default 1,
            created_at text not null,
            updated_at text not null,
            changed_at text,
            trained_at text,
            training_started_at text,
            revision integer not null default 0,
            other text not null default '{}'
        );
        create unique index projects_by_owner_name on projects (owner, name_key);
        create table shares (
            id integer primary key,
            project_id text not null references projects (id) on delete cascade,
            token text not null unique,
            role text not null,
            created_at text not null
        );
        create index shares_by_project on shares (project_id);
        create table classes (
            project_id text not null references projects (id) on delete cascade,
            folder text not null,
            name text not null,
            position integer not null,
            primary key (project_id, folder)
        );
        create table photos (
            id integer primary key,
            project_id text not null,
            folder text not null,
            content_hash text not null,
            extension text not null,
            is_test integer not null default 0,
            file_name text not null,
            added_at text not null,
            foreign key (project_id, folder) references classes (project_id, folder)
                on delete cascade,
            unique (project_id, folder, is_test, content_hash)
        );
        create table jobs (
            id text primary key,
            kind text not null,
            project_id text not null,
            owner text not null,
            state text not null,
            priority real not null default 0,
            payload text not null default '{}',
            created_at real not null,
            started_at real,
            finished_at real,
            heartbeat_at real,
            attempts integer not null default 0,
            worker text,
            cancel_requested integer not null default 0,
            progress text not null default '{}',
            history text not null default '{}',
            error text,
            result text not null default '{}'
        );
        create index jobs_by_project on jobs (project_id, created_at);
        create index jobs_by_state on jobs (state, priority, created_at);
        """,
    ),
    (
        2,
        # The projects a visitor opened through a share link, for Home's "Shared with you".
        # A record only: the listing checks the link against `shares` every time.
        """
        create table shared_with (
            owner text not null,
            project_id text not null references projects (id) on delete cascade,
            share_token text not null,
            opened_at text not null,
            primary key (owner, project_id)
        );
        """,
    ),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]

_CANNOT_WRITE = (
    "The server cannot read or write its list of projects ({where}): {why}. Nothing you "
    "saved before is lost; tell the person who runs this server."
)


class DatabaseError(errors.WorkspaceError):
    """The database cannot be opened, read or written, said in words."""


def database_path(workspace_root: str | os.PathLike, url: str | None = None) -> Path:
    """Returns the SQLite file named by `url`, `TLCORE_DATABASE_URL`, or the workspace default.

    Args:
        workspace_root: The workspace folder.
        url: A database URL; `TLCORE_DATABASE_URL` when None, the workspace's file when unset.

    Raises:
        DatabaseError: The URL names a database this version cannot use.
    """
    url = url if url is not None else os.environ.get(DATABASE_URL_VARIABLE, "")
    if not url:
        return Path(workspace_root).expanduser() / DATABASE_FILE
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///")).expanduser()
    raise DatabaseError(
        f"The database address {url!r} ({DATABASE_URL_VARIABLE}) is not one this server can "
        "use: give a SQLite file as sqlite:////absolute/path.db, a PostgreSQL server as "
        "postgresql://user@host/database, or leave it unset."
    )


def _words_for(error: sqlite3.Error) -> str:
    """Says in words why SQLite refused."""
    text = str(error).lower()
    if "readonly" in text or "read-only" in text:
        return "its file may not be written (read-only)"
    if "locked" in text or "busy" in text:
        return "another process kept it busy for too long"
    if "unable to open" in text:
        return "its file or folder cannot be opened"
    if "malformed" in text or "not a database" in text:
        return "its file is damaged"
    return f"the database said: {error}"


class Database:
    """One database, a SQLite file or a PostgreSQL server, its schema kept up to date.

    Args:
        path: The SQLite file; made, with its schema, if missing. None with `url`.
        url: A `postgresql://` URL instead of a file.
    """

    def __init__(self, path: Path | None = None, url: str = ""):
        self.path = Path(path) if path is not None else None
        self.url = url
        self.where = self.path.name if self.path is not None else "PostgreSQL"
        self._local = threading.local()
        try:
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            else:
                postgres.psycopg_module()
        except (OSError, ImportError) as error:
            why = getattr(error, "strerror", None) or str(error)
            raise DatabaseError(_CANNOT_WRITE.format(where=self.where, why=why)) from error
        with self._translated():
            # Held open for the life of the process: while one connection is open, SQLite keeps
            # the WAL and its index, so a full disk still lets every thread read.
            self._keeper = self._connect()
            if self.path is not None:
                self._keeper.execute("pragma journal_mode=wal")
            self._migrate(self._keeper)

    def _thread_connection(self) -> sqlite3.Connection:
        """This thread's connection, opened on its first use and kept (a thread's own)."""
        connection = getattr(self._local, "idle", None)
        if connection is None:
            connection = self._connect()
            self._local.idle = connection
        return connection

    def _connect(self) -> sqlite3.Connection:
        if self.url:
            return postgres.Connection(self.url, BUSY_TIMEOUT_SECONDS)
        connection = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
        )
        connection.row_factory = sqlite3.Row
        connection.execute(f"pragma busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        connection.execute("pragma foreign_keys = on")
        # WAL keeps a committed transaction safe against a crash of the process; `normal`
        # spares the fsync of each commit (a power cut may lose the last ones, never corrupt).
        connection.execute("pragma synchronous = normal")
        return connection

    def _migrate(self, connection: sqlite3.Connection) -> None:
        """Brings the schema up to `SCHEMA_VERSION`, each step in its own transaction."""
        connection.execute("begin immediate")
        try:
            connection.execute("create table if not exists schema_version (version integer)")
            row = connection.execute("select max(version) from schema_version").fetchone()
            current = row[0] or 0
            for version, script in MIGRATIONS:
                if version > current:
                    if self.url:
                        script = postgres.schema(script)
                    for statement in script.split(";"):
                        if statement.strip():
                            connection.execute(statement)
                    connection.execute("insert into schema_version values (?)", (version,))
            connection.execute("commit")
        except BaseException:
            connection.execute("rollback")
            raise

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        """Turns SQLite's refusals into a `DatabaseError` (a full disk into `DiskFullError`)."""
        try:
            yield
        except self._error_types() as error:
            if not isinstance(error, sqlite3.Error):
                full, why = postgres.words_for(error)
                if full:
                    raise errors.DiskFullError("your change", why) from error
                raise DatabaseError(_CANNOT_WRITE.format(where=self.where, why=why)) from error
            text = str(error).lower()
            if "full" in text:
                raise errors.DiskFullError("your change", "the server's disk is full") from error
            if "disk i/o error" in text:
                # What SQLite says when the disk refuses a write for want of room other than
                # ENOSPC (a file size limit, a quota).
                raise errors.DiskFullError(
                    "your change", "the server's disk refused to store it (full, or a limit)"
                ) from error
            raise DatabaseError(
                _CANNOT_WRITE.format(where=self.where, why=_words_for(error))
            ) from error

    def _error_types(self) -> tuple[type[Exception], ...]:
        return (sqlite3.Error, *postgres.error_types()) if self.url else (sqlite3.Error,)

    @contextlib.contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """A connection for reading, in autocommit mode (inside a transaction: that one's)."""
        active = getattr(self._local, "connection", None)
        if active is not None:
            yield active
            return
        with self._translated():
            yield self._thread_connection()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that holds the database's write lock from its start.

        Every edit of metadata runs in one, so two writers (threads or processes) never
        interleave: the second waits up to `BUSY_TIMEOUT_SECONDS`. A transaction opened inside
        another of the same thread joins it. An exception rolls everything back.
        """
        active = getattr(self._local, "connection", None)
        if active is not None:
            yield active
            return
        with self._translated():
            connection = self._thread_connection()
            connection.execute("begin immediate")
            self._local.connection = connection
            try:
                yield connection
            except BaseException:
                if connection.in_transaction:
                    connection.execute("rollback")
                raise
            finally:
                self._local.connection = None
            try:
                connection.execute("commit")
            except BaseException:
                # A commit the disk refused leaves the transaction open: end it, so the
                # thread's connection is clean for its next use.
                if connection.in_transaction:
                    connection.execute("rollback")
                raise


def plain_rows(connection, statement: str, parameters=()) -> list[tuple]:
    """Runs a query and returns its rows as plain tuples, the quickest to unpack."""
    if isinstance(connection, sqlite3.Connection):
        cursor = connection.execute(statement, parameters)
        cursor.row_factory = None
        return cursor.fetchall()
    return connection.plain_rows(statement, parameters)


_open: dict[Path | str, Database] = {}
_open_guard = threading.Lock()


def open_database(workspace_root: str | os.PathLike, url: str | None = None) -> Database:
    """Returns the database of a workspace, opened (and its schema checked) once per process.

    Args:
        workspace_root: The workspace folder.
        url: A database URL; `TLCORE_DATABASE_URL` when None (see `database_path`).

    Raises:
        DatabaseError: The URL is not usable, or the database cannot be opened or written.
    """
    url = url if url is not None else os.environ.get(DATABASE_URL_VARIABLE, "")
    with _open_guard:
        if postgres.is_postgres_url(url):
            if url not in _open:
                _open[url] = Database(url=url)
            return _open[url]
        path = database_path(workspace_root, url).resolve()
        if path not in _open or not path.exists():
            _open[path] = Database(path)
        return _open[path]
