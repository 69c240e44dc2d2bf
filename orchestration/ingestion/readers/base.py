"""The reader interface: one small object per export format.

A reader says whether it recognises a file (``detect``, from the first bytes) and turns it into
temp objects in DuckDB (``read``): the rows in the raw table's shape plus the rows it had to
quarantine. The loader (``orchestration.ingestion.loader``) owns transactions, the ledger and
the raw tables, so a new format is one new reader class registered in ``RAW_TABLES``.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

import duckdb

from ..schema import Column, quote_ident
from ..settings import IngestSettings


class FormatError(Exception):
    """The file cannot be loaded as this format. The message says what is wrong and what to do."""


class TempScope:
    """Names and cleans up the temp tables and views of one file load."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self._prefix = f"_ingest_{uuid.uuid4().hex[:10]}_"
        self._objects: list[tuple[str, str]] = []

    def table(self, name: str) -> str:
        full = self._prefix + name
        self._objects.append(("TABLE", full))
        return full

    def view(self, name: str) -> str:
        full = self._prefix + name
        self._objects.append(("VIEW", full))
        return full

    def drop_all(self) -> None:
        """Drop every object (views first); safe after a rollback."""
        for kind, name in sorted(self._objects, key=lambda o: o[0] != "VIEW"):
            with contextlib.suppress(duckdb.Error):
                self._con.execute(f"DROP {kind} IF EXISTS temp.{quote_ident(name)}").fetchall()
        self._objects.clear()


@dataclass
class ReadContext:
    """What a reader may know about the file it reads."""

    source_file: str  # path relative to the landing folder, e.g. 'crm/Account.csv'
    raw_table: str
    settings: IngestSettings
    head: bytes  # first bytes of the content (decompressed for gzip)
    scope: TempScope
    # What the reader's ``read_batch`` read for several files at once (this one among them),
    # or None: then ``read`` reads the file itself.
    prefetched: object | None = None


@dataclass
class ReadResult:
    """Temp objects a reader produced.

    ``rows``: table or view with ``_source_row`` BIGINT and the raw columns (``columns``).
    ``quarantine``: table with ``source_row`` BIGINT, ``column_name``, ``reason``, ``record``.
    ``rows_read`` must equal rows in ``rows`` + rows in ``quarantine``; the loader checks it.
    """

    rows: str
    columns: list[Column]
    quarantine: str
    rows_read: int
    notes: list[str] = field(default_factory=list)


@runtime_checkable
class BatchReader(Protocol):
    """A reader that can read several files of its format in one scan (optional).

    ``read_batch`` returns an object that ``read`` finds in ``ReadContext.prefetched``; the
    loader still applies every file on its own. It raises when any file cannot be read, and
    the loader then reads the files one by one.
    """

    batch_max_files: int

    def read_batch(
        self, con: duckdb.DuckDBPyConnection, paths: list[Path], scope: TempScope
    ) -> object: ...


@runtime_checkable
class Reader(Protocol):
    """One export format. ``name`` is the ledger's ``source_format``."""

    name: str
    label: str  # how the format is named in messages ("Salesforce Data Loader CSV ...")

    def detect(self, path: Path, head: bytes) -> bool: ...

    def read(self, con: duckdb.DuckDBPyConnection, path: Path, ctx: ReadContext) -> ReadResult: ...


@dataclass(frozen=True)
class RefusedFormat:
    """A format that is recognised but not supported yet: detecting it gives a precise message.

    Replace it by a real reader when the format gets supported.
    """

    name: str
    label: str
    advice: str
    recognise: object  # callable(head: bytes) -> bool

    def detect(self, path: Path, head: bytes) -> bool:
        return bool(self.recognise(head))  # type: ignore[operator]

    def read(self, con: duckdb.DuckDBPyConnection, path: Path, ctx: ReadContext) -> ReadResult:
        raise FormatError(
            f"{ctx.source_file} is a {self.label}, which is not supported yet. {self.advice}"
        )
