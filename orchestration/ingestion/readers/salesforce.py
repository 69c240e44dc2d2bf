"""Salesforce object exports (Data Loader and the weekly Data Export), one CSV per object.

The header holds field API names, UPPER CASE from Data Loader and CamelCase from Data Export;
they become lower-case column names. Every value stays text; ``""`` is NULL. A record without an
Id is quarantined; a file without the Id column fails with advice.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from ..schema import VARCHAR, quote_ident, sql_literal
from ..textfile import sniff_csv
from .base import FormatError, ReadContext, ReadResult
from .csv_records import decimal_separator, load_csv_records, quarantine_records_without_id
from .hubspot import is_hubspot_header

_API_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# Fields every (or nearly every) Salesforce object export carries, in lower case.
_STANDARD_FIELDS = frozenset(
    {"createddate", "lastmodifieddate", "systemmodstamp", "isdeleted", "ownerid",
     "createdbyid", "accountid", "contactid", "opportunityid"}
)  # fmt: skip
# Numeric fields whose decimal separator is recorded per file (German Excel writes 500000,0).
NUMERIC_FIELDS = ("amount", "probability", "expectedrevenue", "annualrevenue")


def api_names(header: list[str]) -> list[str] | None:
    """The header as field API names, or None when it is not a Salesforce header.

    A header without ``Id`` but with a standard Salesforce field (CreatedDate, AccountId, ...)
    is still recognised (``read`` then says the Id field is missing); a HubSpot header
    (``hs_object_id``, ``createdate``, ...) is not.
    """
    names = [c.strip() for c in header]
    if not names or not all(_API_NAME.match(n) for n in names):
        return None
    lowered = {n.lower() for n in names}
    if not lowered & ({"id"} | _STANDARD_FIELDS) or is_hubspot_header(names):
        return None
    return names


class SalesforceCsvReader:
    """Salesforce Data Loader / Data Export CSV."""

    name = "salesforce_csv"
    label = (
        "Salesforce Data Loader or Data Export CSV (header of field API names such as Id, "
        "AccountId, StageName in any letter case, one file per object)"
    )

    def detect(self, path: Path, head: bytes) -> bool:
        sniffed = sniff_csv(head)
        return sniffed is not None and api_names(sniffed.header) is not None

    def read(self, con: duckdb.DuckDBPyConnection, path: Path, ctx: ReadContext) -> ReadResult:
        head = sniff_csv(ctx.head)
        header = api_names(head.header) if head else None
        if head is None or header is None:
            raise FormatError(f"{ctx.source_file} has no Salesforce header with an Id column.")
        lowered = [n.lower() for n in header]
        seen: dict[str, str] = {}
        for original, low in zip(header, lowered, strict=True):
            if low in seen:
                raise FormatError(
                    f"{ctx.source_file}: columns '{seen[low]}' and '{original}' differ only in "
                    "letter case, so they would load into the same column. Export the object "
                    "again with each field once, then deliver the file again."
                )
            seen[low] = original
        if "id" not in lowered:
            raise FormatError(
                f"{ctx.source_file} has no Id column, so its records cannot be joined or "
                "deduplicated. Export the object again with the Id field (Data Loader and "
                "Data Export include it unless it is deselected), then deliver the file again."
            )

        records = load_csv_records(con, path, head, ctx.scope)
        if con.execute(
            f"SELECT count(*) FROM {quote_ident(records.rejects)} WHERE source_row = 1"
        ).fetchall()[0][0]:
            raise FormatError(
                f"{ctx.source_file}: the header row cannot be parsed as CSV. Export the object "
                "again without editing the file, then deliver it again."
            )
        id_index = lowered.index("id")
        has_id = f"nullif(trim(c{id_index}), '') IS NOT NULL"
        select_list = ", ".join(f"c{i} AS {quote_ident(low)}" for i, low in enumerate(lowered))
        decimals = decimal_separator(con, records, NUMERIC_FIELDS, head.delimiter)
        select_list += f", {sql_literal(decimals.separator)} AS _decimal_separator"
        rows = ctx.scope.view("rows")
        con.execute(
            f"""CREATE TEMP VIEW {quote_ident(rows)} AS
            SELECT _source_row, {select_list}
            FROM {quote_ident(records.records)}
            WHERE _source_row > 1 AND {has_id}"""
        ).fetchall()

        reason = (
            f"The record has no Salesforce Id (column '{header[id_index]}' is empty), so it "
            "cannot be joined or deduplicated. Export the object again with the Id field, or "
            "delete the record, then deliver the file again."
        )
        quarantine, rows_read = quarantine_records_without_id(
            con, ctx.scope, records, head, has_id, header[id_index], reason
        )
        return ReadResult(
            rows=rows,
            columns=[(low, VARCHAR) for low in lowered] + [("_decimal_separator", VARCHAR)],
            quarantine=quarantine,
            rows_read=rows_read,
            notes=records.notes + ([decimals.note] if decimals.note else []),
        )
