"""Sending one outbox batch to the server in bulk: the part of a push that moves the rows.

The rows' current state is read straight from SQLite with the driver's cursor, as the
stored values (no ORM objects, no per-value type conversion: ciphertext stays
ciphertext, JSON stays JSON text, a date-time stays SQLite's naive-UTC text). On the
server each table of the batch is one ``COPY`` into a temporary table (dropped at
commit) and one ``INSERT ... SELECT ... ON CONFLICT`` into the real table, so a batch
costs a few round trips and the server parses the values itself (the session time
zone is UTC for the transaction, so the naive UTC text lands as the same instant).
A 100,000-record first sync went from one pipelined statement per row to this
(docs/performance.md "Storage and sync").

Errors from the raw driver calls are re-raised as SQLAlchemy's DBAPIError family, as
every other server call is: the caller's refusal rule (``refusal_reason``: a bad value
or a constraint sets the record aside after halving the batch) and its offline /
authentication / TLS classification then treat a COPY batch like any other.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

import sqlalchemy.exc as sa_exc
from sqlalchemy.engine import Connection

from dxdesk.store.server import raw_table

Row = tuple[Any, ...]


@dataclass(frozen=True)
class TableShape:
    """A pushed table's columns in the order both sides use, and the SQL built from them once."""

    name: str
    columns: tuple[str, ...]
    append_only: bool

    @property
    def column_list(self) -> str:
        return ", ".join(f'"{c}"' for c in self.columns)

    def index(self, column: str) -> int:
        return self.columns.index(column)

    def select_local(self, count: int) -> str:
        marks = ", ".join("?" * count)
        return f'SELECT {self.column_list} FROM "{self.name}" WHERE id IN ({marks})'

    def upsert_from(self, staging: str) -> str:
        cols = self.column_list
        head = f'INSERT INTO "{self.name}" ({cols}) SELECT {cols} FROM {staging} ON CONFLICT (id) '
        if self.append_only:
            return head + "DO NOTHING"  # append-only: the first copy to arrive is the record
        updates = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in self.columns if c != "id")
        # Versioned and authoritative rows: an older version never overwrites a newer one.
        return head + f'DO UPDATE SET {updates} WHERE EXCLUDED.updated_at >= "{self.name}".updated_at'


@cache
def table_shape(name: str, append_only: bool) -> TableShape:
    return TableShape(name, tuple(c.name for c in raw_table(name).columns), append_only)


def read_local_rows(conn: sqlite3.Connection, shape: TableShape, ids: list[str]) -> dict[str, Row]:
    """The stored rows of ``ids`` (a batch: a few hundred), keyed by id; deleted records are absent."""
    id_at = shape.index("id")
    cursor = conn.execute(shape.select_local(len(ids)), ids)
    return {row[id_at]: row for row in cursor.fetchall()}


def sqlite_driver_connection(conn: Connection) -> sqlite3.Connection:
    driver = conn.connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)
    return driver


def send_rows(conn: Connection, upserts: list[tuple[TableShape, list[Row]]],
              deletes: list[tuple[str, list[str]]]) -> None:
    """Write one batch inside the caller's server transaction ``conn`` (committed by the caller).

    ``upserts`` in parents-first order, ``deletes`` children first (the server's foreign keys).
    """
    # Imported here, where a server is reached: the driver costs ~0.3 s, and every window that shows
    # the sync state (the admin page) imports this module, also on a desk with no server at all.
    import psycopg
    from psycopg import sql

    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    # Round trips are what a batch costs on a busy machine or a town network, so statements without
    # parameters go together: one for the session setting and staging tables, one COPY per table,
    # one for every upsert and delete.
    prepare = ["SET LOCAL TimeZone = 'UTC'"]  # SQLite's naive date-times are UTC
    prepare += [f"CREATE TEMP TABLE {_staging(shape)} ON COMMIT DROP AS "
                f'SELECT {shape.column_list} FROM "{shape.name}" WITH NO DATA' for shape, _ in upserts]
    write = [shape.upsert_from(_staging(shape)) for shape, _ in upserts]
    write += [sql.SQL("DELETE FROM {} WHERE id = ANY({}::text[])").format(sql.Identifier(name), sql.Literal(ids))
              .as_string(driver) for name, ids in deletes]
    statement = "staging tables"
    try:
        with driver.cursor() as cur:
            cur.execute("; ".join(prepare).encode())
            for shape, rows in upserts:
                statement = f"COPY {shape.name}"
                with cur.copy(f"COPY {_staging(shape)} ({shape.column_list}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            if write:
                statement = "upserts and deletes"
                cur.execute("; ".join(write).encode())
    except psycopg.Error as exc:
        # The statement's name only (never the rows: they may hold record data).
        invalidated = bool(conn.dialect.is_disconnect(cast(Any, exc), cast(Any, driver), None))
        if invalidated:
            conn.invalidate()
        raise sa_exc.DBAPIError.instance(statement, None, exc, psycopg.Error, hide_parameters=True,
                                         connection_invalidated=invalidated, dialect=conn.dialect) from exc


def _staging(shape: TableShape) -> str:
    return f"dxdesk_incoming_{shape.name}"
