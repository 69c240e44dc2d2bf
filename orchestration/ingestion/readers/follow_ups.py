"""Follow-up outcomes: what the ticketing tool did with the follow-ups the outbox handed it.

A plain CSV (comma, semicolon or tab; UTF-8 or Windows-1252) with a header naming at least
``follow_up_id`` and ``status``, and usually ``closed_at`` and ``resolution``. Header names are
read without regard to letter case, spaces and hyphens ("Follow-up ID" is follow_up_id). Other
columns are ignored (a note names them). A record without a follow-up id is quarantined.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from ..schema import FOLLOW_UP_OUTCOME_COLUMNS, quote_ident
from ..textfile import sniff_csv
from .base import FormatError, ReadContext, ReadResult
from .csv_records import load_csv_records, quarantine_records_without_id

REQUIRED = ("follow_up_id", "status")


def column_key(name: str) -> str:
    """'Follow-up ID' -> 'follow_up_id'."""
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


class FollowUpOutcomesCsvReader:
    """Outcome file of the follow-ups (the ticketing tool's export back to the warehouse)."""

    name = "follow_up_outcomes_csv"
    label = "follow-up outcomes CSV (columns follow_up_id, status, closed_at, resolution)"

    def detect(self, path: Path, head: bytes) -> bool:
        sniffed = sniff_csv(head)
        if sniffed is None:
            return False
        keys = {column_key(name) for name in sniffed.header}
        return set(REQUIRED) <= keys

    def read(self, con: duckdb.DuckDBPyConnection, path: Path, ctx: ReadContext) -> ReadResult:
        head = sniff_csv(ctx.head)
        keys = [column_key(name) for name in head.header] if head else []
        missing = [name for name in REQUIRED if name not in keys]
        if head is None or missing:
            raise FormatError(
                f"{ctx.source_file} has no column {', '.join(missing or REQUIRED)}. A follow-up "
                "outcome file needs the columns follow_up_id and status (closed_at and "
                "resolution when known); export it again with them, then deliver it again."
            )
        records = load_csv_records(con, path, head, ctx.scope)
        index = {key: keys.index(key) for key in dict.fromkeys(keys)}
        select_list = ", ".join(
            f"{f'c{index[name]}' if name in index else 'NULL'} AS {quote_ident(name)}"
            for name, _ in FOLLOW_UP_OUTCOME_COLUMNS
        )
        has_id = f"nullif(trim(c{index['follow_up_id']}), '') IS NOT NULL"
        rows = ctx.scope.view("rows")
        con.execute(
            f"""CREATE TEMP VIEW {quote_ident(rows)} AS
            SELECT _source_row, {select_list}
            FROM {quote_ident(records.records)}
            WHERE _source_row > 1 AND {has_id}"""
        ).fetchall()
        id_column = head.header[index["follow_up_id"]]
        reason = (
            f"The record has no follow-up id (column '{id_column}' is empty), so it cannot "
            "close a follow-up. Fill in the id the outbox gave the follow-up, or delete the "
            "record, then deliver the file again."
        )
        quarantine, rows_read = quarantine_records_without_id(
            con, ctx.scope, records, head, has_id, id_column, reason
        )
        known = {name for name, _ in FOLLOW_UP_OUTCOME_COLUMNS}
        ignored = [name for name, key in zip(head.header, keys, strict=True) if key not in known]
        notes = [f"columns ignored: {', '.join(ignored)}"] if ignored else []
        return ReadResult(
            rows=rows,
            columns=list(FOLLOW_UP_OUTCOME_COLUMNS),
            quarantine=quarantine,
            rows_read=rows_read,
            notes=records.notes + notes,
        )
