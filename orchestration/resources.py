"""Paths and settings shared by the CLI, the Dagster assets and the tests.

Every setting comes from an environment variable with a default that works on a fresh
clone, so nothing needs editing before the first run:

- ``CJM_LANDING``: folder with the export files (default: the repository's ``seeds/``).
- ``CJM_WAREHOUSE``: the DuckDB file the job writes (default: ``warehouse/cjm.duckdb``).
- ``CJM_PUBLISHED``: the read-only copy of the marts that BI tools open
  (default: ``<warehouse stem>_marts.duckdb`` beside the warehouse).
- ``CJM_DBT_PROJECT_DIR``: the dbt project (default: the repository's ``dbt_project/``).
- ``CJM_OUTBOX``: folder of the files other tools pick up: alerts, follow-ups
  (default: ``outbox/`` beside the warehouse).
- ``CJM_REPORT_DIR``: folder of the journey map page ``journey_map.html`` that every
  successful run writes (default: ``reports/`` beside the warehouse).
- ``CJM_DUCKDB_MEMORY_LIMIT``, ``CJM_DUCKDB_THREADS``, ``CJM_DUCKDB_TEMP_DIRECTORY``: DuckDB
  settings of every warehouse connection, dbt's included (see ``orchestration.duckdb_config``).
- ``CJM_ENGINE``: ``duckdb`` (default) or ``spark``, the engine that builds the dbt project, and
  the ``CJM_SPARK_*`` paths (see ``orchestration.engine``).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import getpass
import json
import os
import socket
import sys
import tempfile
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.duckdb_config import duckdb_config
from orchestration.engine import SparkPaths, checked_engine, engine_from_env
from orchestration.transform.manifest import default_project_dir as dbt_project_dir  # noqa: F401 (re-exported)

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_LANDING = REPO_ROOT / "seeds"
DEFAULT_WAREHOUSE = REPO_ROOT / "warehouse" / "cjm.duckdb"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"


class WarehouseLockedError(RuntimeError):
    """The DuckDB file is held by another process (DuckDB allows one writer per file)."""


def connect_duckdb(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB file with the CJM_DUCKDB_* settings (memory limit, threads, temp
    directory); when another process holds it, say who and what to do."""
    try:
        return duckdb.connect(str(path), read_only=read_only, config=duckdb_config())
    except duckdb.IOException as error:
        if "Could not set lock" not in str(error):
            raise
        holder = str(error).split("Conflicting lock is held in", 1)[-1].split(". See", 1)[0]
        raise WarehouseLockedError(
            f"{path} is open in another process ({holder.strip()}); DuckDB allows one writer "
            "per file and a writer blocks readers. Stop that process (another `cjm run`, a run "
            "in `make ui`, a standalone `dbt build`, or a tool that opened this file) and try "
            "again. BI tools should open the published copy (<warehouse>_marts.duckdb) instead."
        ) from error


class WarehouseBusyError(RuntimeError):
    """Another `cjm run` holds the warehouse (its run lock)."""


class WarehouseNotWritableError(RuntimeError):
    """The warehouse file or its folder cannot be written by this user."""


def check_writable(warehouse: Path) -> None:
    """Fail early, in words, when DuckDB could not write the warehouse or its WAL beside it."""
    folder = warehouse.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".cjm-write-test-"):
            pass
        if warehouse.exists():
            with warehouse.open("r+b"):
                pass
    except OSError as error:
        raise WarehouseNotWritableError(
            f"cannot write the warehouse {warehouse} ({error.strerror or error}): DuckDB writes "
            f"the file and a write-ahead log ({warehouse.name}.wal) in {folder}. Run as a user "
            "who may write there, fix the folder's permissions, or pass --warehouse with a "
            "writable path. Nothing was loaded."
        ) from error


class RunLock:
    """One `cjm run` per warehouse at a time: an exclusive lock on ``<warehouse>.lock``.

    The lock file says who holds it (process, user, host, command, since when), so a second run
    can say so instead of failing on DuckDB's file lock halfway through. The operating system
    releases the lock when the process ends, even when it is killed.
    """

    def __init__(self, warehouse: Path) -> None:
        self.path = warehouse.with_name(warehouse.name + ".lock")
        self._fd: int | None = None

    def holder(self) -> dict[str, object]:
        try:
            return json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            return {}

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise WarehouseBusyError(self._busy_message()) from None
        started = dt.datetime.now(dt.UTC)
        record = {
            "pid": os.getpid(),
            "user": getpass.getuser(),
            "host": socket.gethostname(),
            "command": " ".join(["cjm", *sys.argv[1:]]),
            "started_at": started.strftime("%Y-%m-%d %H:%M:%S UTC"),
            "started_epoch": started.timestamp(),
        }
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(record).encode("utf-8"))
        self._fd = fd

    def _busy_message(self) -> str:
        who = self.holder()
        since = ""
        if isinstance(who.get("started_epoch"), int | float):
            seconds = dt.datetime.now(dt.UTC).timestamp() - float(who["started_epoch"])
            since = f", started {who.get('started_at')} ({seconds:.0f} s ago)"
        pid = who.get("pid", "?")
        return (
            f"another run holds the warehouse {self.path.with_suffix('')}: process {pid} "
            f"(user {who.get('user', '?')} on {who.get('host', '?')}, `{who.get('command', '?')}`"
            f"{since}). Only one run may write the warehouse at a time. Wait for it to finish "
            f"and run again, or stop it (kill {pid}) if it hangs. Nothing was changed."
        )

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def published_path_for(warehouse: Path) -> Path:
    """Where the BI copy of a warehouse lives unless ``CJM_PUBLISHED`` says otherwise."""
    return warehouse.with_name(f"{warehouse.stem}_marts{warehouse.suffix or '.duckdb'}")


def warehouse_paths(warehouse: str, published: str | None) -> tuple[Path, Path]:
    """The working warehouse and its published copy as absolute paths, from the command's
    --warehouse and --published (default: ``published_path_for`` the warehouse)."""
    working = Path(warehouse).resolve()
    return working, Path(published).resolve() if published else published_path_for(working)


REPORT_FILE_NAME = "journey_map.html"


def report_path_for(warehouse: Path, report_dir: str = "") -> Path:
    """The journey map page of a warehouse: in ``report_dir``, else ``reports/`` beside it."""
    folder = Path(report_dir) if report_dir else warehouse.parent / "reports"
    return (folder / REPORT_FILE_NAME).resolve()


def warehouse_path() -> Path:
    return Path(os.environ.get("CJM_WAREHOUSE", DEFAULT_WAREHOUSE)).resolve()


def landing_path() -> Path:
    return Path(os.environ.get("CJM_LANDING", DEFAULT_LANDING)).resolve()


def published_path() -> Path:
    configured = os.environ.get("CJM_PUBLISHED")
    return Path(configured).resolve() if configured else published_path_for(warehouse_path())


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse, the landing folder it is fed from and the published BI copy.

    DuckDB allows one writer per file: every asset opens its own short-lived connection and
    closes it before the next step (the job runs in-process, one step at a time).
    """

    path: str
    landing_dir: str
    published_path: str
    outbox_dir: str = ""  # empty: outbox/ beside the warehouse
    report_dir: str = ""  # empty: reports/ beside the warehouse
    engine: str = "duckdb"  # what builds the dbt project: duckdb or spark (orchestration.engine)

    @classmethod
    def from_env(cls) -> WarehouseResource:
        return cls(
            path=str(warehouse_path()),
            landing_dir=str(landing_path()),
            published_path=str(published_path()),
            outbox_dir=os.environ.get("CJM_OUTBOX", ""),
            report_dir=os.environ.get("CJM_REPORT_DIR", ""),
            engine=engine_from_env(),
        )

    @property
    def on_spark(self) -> bool:
        return checked_engine(self.engine) == "spark"

    def spark_paths(self) -> SparkPaths:
        """The lake, table, catalogue and published locations of the Spark engine."""
        return SparkPaths.for_warehouse(Path(self.path))

    def lake_folder(self, schema: str, table: str) -> Path:
        """The folder of a source table in the Spark lake, which this process writes."""
        return self.spark_paths().local_folder("lake") / schema / table

    def outbox(self) -> Path:
        """Where alerts and follow-ups are written for other tools to pick up."""
        return Path(self.outbox_dir or Path(self.path).parent / "outbox").resolve()

    def report_path(self) -> Path:
        """The journey map page the run writes (``bi/journey_report``)."""
        return report_path_for(Path(self.path), self.report_dir)

    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        path = Path(self.path)
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        return connect_duckdb(path, read_only=read_only)
