"""The Dagster instance `cjm run` records its runs in (``DAGSTER_HOME``), made cheap to write.

Dagster stores every event of a run in SQLite: before the first step, one "planned" event per
asset and per asset check (~530 for this job, most of them dbt tests shown as checks), then
every step, log line, materialization and check result (~1,400 more). Its SQLite event log
storage opens a new SQLAlchemy engine and connection for every write (``NullPool``), so each
event paid for an engine, a connection, compiling its INSERT again (the statement cache lives
in the engine) and, with SQLite's default ``synchronous=FULL``, waiting for the disk. That was
most of the time from process start to the first asset (10-15 s of a sample run on a busy
2-core machine).

``open_instance`` keeps Dagster's storage and its files exactly as they are (the UI, `dagster
dev` and the benchmark read them as before) and changes only how this process writes them:

- one engine per SQLite file (run shard, index shard), kept for the process, so connections
  and compiled statements are re-used (``PooledSqliteEventLogStorage``);
- ``synchronous=OFF`` on the instance's SQLite files: after a crash of the operating system
  (not of this process) the run history can lose its last events or be damaged; the warehouse
  (DuckDB, with its own write-ahead log and the load ledger) is not affected.

Only the SQLite storage Dagster uses by default is changed; an instance configured with other
storage (Postgres, ...) is used as configured.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS

if TYPE_CHECKING:
    from dagster import DagsterInstance
    from sqlalchemy.engine import Connection, Engine


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log storage with one engine per SQLite file for the process.

    The files, tables and statements are Dagster's own; only the connections differ: Dagster
    creates and disposes of an engine (and so a connection and its compiled statements) for
    every event it stores, and again to ask whether a table exists before every check event.
    Each call still runs in its own transaction, committed at its end, except a batch
    (``store_event_batch``), which is one transaction per file.
    """

    _engines: dict[str, Engine]

    def _engine(self, shard: str) -> Engine:
        engines = self.__dict__.setdefault("_engines", {})
        if shard not in engines:
            engines[shard] = create_engine(
                self.conn_string_for_shard(shard),
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
            )
        return engines[shard]

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            batch = self.__dict__.get("_batch")
            if batch is not None and batch[0] == threading.get_ident():
                yield self._batch_connection(batch[1], shard)
                return
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def has_table(self, table_name: str) -> bool:
        """Whether the index file has the table; Dagster asks before storing each check event
        (with a new engine each time). A table that exists stays: that answer is kept."""
        tables = self.__dict__.setdefault("_tables", set())
        if table_name not in tables:
            # not under _db_lock: Dagster asks while it holds a connection (and the lock)
            with self._engine(INDEX_SHARD_NAME).connect() as conn:
                if conn.dialect.has_table(conn, table_name):
                    tables.add(table_name)
        return table_name in tables

    def _batch_connection(self, open_connections: dict[str, Connection], shard: str) -> Connection:
        if shard not in open_connections:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            conn = engine.connect()
            conn.begin()
            open_connections[shard] = conn
        return open_connections[shard]

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        """Store the events as Dagster does one by one, in one transaction per SQLite file.

        Dagster hands over its "planned" events (one per asset and asset check of the run,
        ~530 here) as one batch when ``DAGSTER_EVENT_BATCH_SIZE`` is set (``open_instance``
        sets it). A failure undoes the whole batch; Dagster then stores the events one by one.
        """
        open_connections: dict[str, Connection] = {}
        self.__dict__["_batch"] = (threading.get_ident(), open_connections)
        try:
            for event in events:
                self.store_event(event)
        except BaseException:
            for conn in open_connections.values():
                conn.rollback()
            raise
        else:
            for conn in open_connections.values():
                conn.commit()
        finally:
            self.__dict__.pop("_batch", None)
            for conn in open_connections.values():
                conn.close()

    def dispose(self) -> None:
        for engine in self.__dict__.pop("_engines", {}).values():
            engine.dispose()
        super().dispose()


# Dagster's switch for handing its "planned" events to the storage as one batch.
BATCH_SIZE = "DAGSTER_EVENT_BATCH_SIZE"

_UNSYNCED_HOMES: set[str] = set()


def _unsynced(home: Path) -> None:
    """``synchronous=OFF`` for every SQLite connection to a file under ``home``."""
    if not _UNSYNCED_HOMES:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        event.listen(Engine, "connect", _no_fsync_under_unsynced_homes)
    _UNSYNCED_HOMES.add(str(home.resolve()) + os.sep)


def _no_fsync_under_unsynced_homes(dbapi_connection: Any, _record: Any) -> None:  # noqa: ANN401
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    files = [row[2] or "" for row in dbapi_connection.execute("PRAGMA database_list")]
    if any(name.startswith(home) for name in files for home in _UNSYNCED_HOMES):
        dbapi_connection.execute("PRAGMA synchronous = OFF")


def open_instance(home: Path) -> DagsterInstance:
    """The Dagster instance at ``home`` (its dagster.yaml), written as described above."""
    import dagster as dg

    _unsynced(home)
    os.environ.setdefault(BATCH_SIZE, "10000")
    instance = dg.DagsterInstance.from_config(str(home))
    storage = instance.event_log_storage
    if type(storage) is SqliteEventLogStorage:
        storage.__class__ = PooledSqliteEventLogStorage
    return instance
