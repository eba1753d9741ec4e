"""The PostgreSQL dialect of the workspace's database, for `TLCORE_DATABASE_URL=postgresql://…`.

`tlcore.store.database` writes its SQL once, for SQLite; this module runs the same statements
on PostgreSQL through psycopg 3: `?` placeholders become `%s`, the schema's SQLite types their
PostgreSQL equivalents (`integer primary key` an identity column, `real` a double), and `begin
immediate` a transaction that first takes one advisory lock, so writers are serialised as
SQLite serialises them. Rows answer by index and by column name, as `sqlite3.Row` does.
psycopg is imported only when such a URL is given.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Sequence

#: The URL prefixes this dialect takes.
URL_PREFIXES = ("postgresql://", "postgres://")

# The advisory lock every write transaction takes first: one writer at a time, as in SQLite.
_WRITE_LOCK = 7_207_001


def is_postgres_url(url: str) -> bool:
    """Whether a database URL names a PostgreSQL server."""
    return url.startswith(URL_PREFIXES)


def psycopg_module():
    """Returns psycopg, or raises ImportError with what to install."""
    try:
        return importlib.import_module("psycopg")
    except ImportError as error:
        raise ImportError(
            "a PostgreSQL address needs the psycopg package (pip install 'psycopg[binary]')"
        ) from error


def schema(script: str) -> str:
    """Turns a migration written for SQLite into PostgreSQL's words."""
    script = re.sub(
        r"\binteger primary key\b", "bigint generated always as identity primary key", script
    )
    return re.sub(r"\breal\b", "double precision", script)


class Row(tuple):
    """A row that answers by index, by unpacking, and by column name (`row["name"]`)."""

    names: Sequence[str] = ()

    def __getitem__(self, key):
        if isinstance(key, str):
            return tuple.__getitem__(self, self.names.index(key))
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        """The column names, so that `dict(row)` works."""
        return list(self.names)


def _row_factory(cursor):
    names = [column.name for column in cursor.description or ()]
    row_type = type("Row", (Row,), {"names": names})
    return lambda values: row_type(values)


class Connection:
    """A psycopg connection that takes the store's SQLite-style statements.

    Args:
        url: The `postgresql://` URL.
        busy_timeout_seconds: How long a writer waits for the write lock.
    """

    def __init__(self, url: str, busy_timeout_seconds: float):
        psycopg = psycopg_module()
        self.raw = psycopg.connect(url, autocommit=True, row_factory=_row_factory)
        self.raw.execute(f"set lock_timeout = {int(busy_timeout_seconds * 1000)}")

    def execute(self, statement: str, parameters: Sequence = ()):
        """Runs one statement; returns its cursor."""
        if statement.strip().lower() == "begin immediate":
            self.raw.execute("begin")
            return self.raw.execute("select pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))
        return self.raw.execute(_placeholders(statement), tuple(parameters))

    def executemany(self, statement: str, rows: Iterable[Sequence]) -> None:
        """Runs one statement for each row of parameters."""
        rows = [tuple(row) for row in rows]
        if rows:
            with self.raw.cursor() as cursor:
                cursor.executemany(_placeholders(statement), rows)

    def plain_rows(self, statement: str, parameters: Sequence = ()):
        """Runs a query whose rows are only unpacked (the quickest rows)."""
        return self.raw.execute(_placeholders(statement), tuple(parameters)).fetchall()

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open."""
        return self.raw.info.transaction_status != 0  # 0: idle

    def close(self) -> None:
        """Closes the connection."""
        self.raw.close()


def _placeholders(statement: str) -> str:
    return statement.replace("%", "%%").replace("?", "%s")


def words_for(error: Exception) -> tuple[bool, str]:
    """Says whether a psycopg error is a full disk, and why it refused, in words."""
    name = type(error).__name__
    if name == "DiskFull":
        return True, "the database server's disk is full"
    if name in ("LockNotAvailable", "QueryCanceled"):
        return False, "another process kept it busy for too long"
    if name == "OperationalError":
        return False, "the database server does not answer"
    return False, f"the database said: {str(error).strip()}"


def error_types() -> tuple[type[Exception], ...]:
    """The exceptions of psycopg that mean the database refused."""
    return (psycopg_module().Error,)
