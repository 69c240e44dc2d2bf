"""The shape of one catalogue case: a bad or unusual delivery and the outcome it must have.

Every ``cases_<area>.py`` module in this folder exports ``CASES: list[Case]``;
``test_catalogue.py`` runs each case through the real ingestion (DuckDB file, readers, loader,
ledger, quarantine) and, where a case names them, the real Great Expectations suites, then checks
the outcome and that the counts reconcile for every file (read = loaded + quarantined + held).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class Symlink:
    """A symbolic link in the landing folder pointing at ``target``."""

    target: str


Content = Path | bytes | str | Symlink
"""A fixture path, raw bytes, UTF-8 text, or a symbolic link."""


@dataclass(frozen=True)
class Outcome:
    """What the ledger must say about one file after the last delivery of a case.

    ``status``: the file's current ledger status (``loaded``, ``failed``, ``held``,
    ``unrecognised``, ...). ``rows``: (read, loaded, quarantined) when given. ``message``:
    substrings the ledger message must contain (case-insensitive).
    """

    status: str
    rows: tuple[int, int, int] | None = None
    message: tuple[str, ...] = ()


@dataclass(frozen=True)
class Quarantined:
    """A row that must be in ops.quarantine (not retired) after the case ran."""

    source_file: str
    source_row: int | None
    column: str | None
    reason: str  # substring of the reason, case-insensitive
    check_name: str | None = None  # None: put there by ingestion; 'gx_<table>': by a GX check


@dataclass(frozen=True)
class Case:
    """One input of the catalogue.

    ``deliveries``: landing-folder states delivered one after the other (relative path ->
    content; ``None`` removes the file), each followed by ingesting every raw table.
    ``outcomes``: the ledger outcome per file after the last delivery. ``quarantined``: rows
    that must be in quarantine. ``gx_tables``: raw tables whose GX suite is run at the end
    (its failures are quarantined as in a real run); ``gx_passes``: whether each must pass.
    ``check``: further assertions on the warehouse connection (raw values, for example).
    ``env``: environment variables set while the case runs. ``gx_after_delivery``: also run
    the ``gx_passes`` suites (quarantining their failures) right after that delivery (index).
    """

    id: str
    description: str
    deliveries: list[dict[str, Content | None]]
    outcomes: dict[str, Outcome]
    quarantined: list[Quarantined] = field(default_factory=list)
    gx_passes: dict[str, bool] = field(default_factory=dict)
    check: Callable[[duckdb.DuckDBPyConnection], None] | None = None
    env: dict[str, str] = field(default_factory=dict)
    gx_after_delivery: int | None = None


def raw_rows(
    con: duckdb.DuckDBPyConnection, table: str, columns: str, source_file: str
) -> list[tuple]:
    """``columns`` of the rows ``source_file`` put into raw.<table>, in file order."""
    return con.execute(
        f"SELECT {columns} FROM raw.{table} WHERE _source_file = ? ORDER BY _source_row",
        [source_file],
    ).fetchall()


def ledger_notes(con: duckdb.DuckDBPyConnection, source_file: str) -> str:
    """The notes of the latest ledger row of ``source_file`` ('' when none)."""
    rows = con.execute(
        "SELECT coalesce(notes, '') FROM ops.load_ledger WHERE source_file = ? "
        "ORDER BY loaded_at DESC LIMIT 1",
        [source_file],
    ).fetchall()
    return rows[0][0] if rows else ""
