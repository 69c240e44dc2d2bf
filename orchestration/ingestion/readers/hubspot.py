"""HubSpot CRM exports of contacts, companies and deals (UI export or API export, CSV).

The UI writes display labels in the header (``Record ID``, ``Lifecycle Stage``, ``Create
Date``), the API internal names (``hs_object_id``, ``lifecyclestage``, ``createdate``). Every
column is kept, under the lower-case snake-case form of its API name (known display labels are
mapped to their API names; other labels are snake-cased), every value as text.

The object (contacts, companies, deals) comes from the raw table the file name feeds (see
``specs.py``). Beside HubSpot's own columns the reader fills the Salesforce-named standard
fields the dbt staging reads (``CRM_STANDARD_FIELDS``), derived as ``STANDARD_SOURCES`` says.
Time standard fields hold ISO 8601 UTC text: epoch milliseconds (older exports) and UI times
without a zone (``2021-05-21 10:17``, the account's zone, ``IngestSettings.hubspot_timezone``)
are converted there only; HubSpot's own column keeps the exported text. A record without its
Record ID is quarantined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ..schema import CRM_STANDARD_FIELDS, VARCHAR, quote_ident, sql_literal
from ..textfile import sniff_csv
from .base import FormatError, ReadContext, ReadResult
from .csv_records import decimal_separator, load_csv_records, record_text_sql

# Lifecycle stages (internal value -> display name) of HubSpot's default lifecycle pipeline.
LIFECYCLE_STAGES: dict[str, str] = {
    "subscriber": "Subscriber",
    "lead": "Lead",
    "marketingqualifiedlead": "Marketing Qualified Lead",
    "salesqualifiedlead": "Sales Qualified Lead",
    "opportunity": "Opportunity",
    "customer": "Customer",
    "evangelist": "Evangelist",
    "other": "Other Lifecycle Stage",
}

# Display label (lower case) -> API name, for the default properties of contacts, companies
# and deals that UI exports carry.
DISPLAY_LABELS: dict[str, str] = {
    "record id": "hs_object_id",
    "contact id": "hs_object_id",
    "company id": "hs_object_id",
    "deal id": "hs_object_id",
    "first name": "firstname",
    "last name": "lastname",
    "email": "email",
    "phone number": "phone",
    "job title": "jobtitle",
    "lifecycle stage": "lifecyclestage",
    "lead status": "hs_lead_status",
    "create date": "createdate",
    "last modified date": "lastmodifieddate",
    "last activity date": "notes_last_updated",
    "contact owner": "hubspot_owner_id",
    "company owner": "hubspot_owner_id",
    "deal owner": "hubspot_owner_id",
    "associated company id": "associatedcompanyid",
    "primary associated company id": "associatedcompanyid",
    "company name": "name",
    "company domain name": "domain",
    "industry": "industry",
    "annual revenue": "annualrevenue",
    "number of employees": "numberofemployees",
    "city": "city",
    "country/region": "country",
    "deal name": "dealname",
    "deal stage": "dealstage",
    "deal type": "dealtype",
    "amount": "amount",
    "close date": "closedate",
    "pipeline": "pipeline",
    "is closed won": "hs_is_closed_won",
    **{
        f"became {'an' if label[0] in 'AEIOU' else 'a'} {label.lower()} date": (
            f"hs_lifecyclestage_{stage}_date"
        )
        for stage, label in LIFECYCLE_STAGES.items()
    },
    **{
        f'date entered "{label.lower()} (lifecycle stage pipeline)"': f"hs_date_entered_{stage}"
        for stage, label in LIFECYCLE_STAGES.items()
    },
}

# API names (besides any ``hs_*`` property) that only HubSpot headers carry; two of them, or
# ``hs_object_id``, make a header a HubSpot header. (Not firstname, lastname or
# lastmodifieddate: Salesforce's FirstName, LastName, LastModifiedDate snake-case to them.)
_MARKERS = frozenset(
    {
        "hs_object_id",
        "createdate",
        "lifecyclestage",
        "associatedcompanyid",
        "hubspot_owner_id",
        "dealstage",
        "dealname",
        "pipeline",
    }
)

# Number columns (header text, any case) whose decimal separator is recorded per file.
NUMERIC_LABELS = ("amount", "annual revenue", "annualrevenue", "hs_arr", "hs_mrr")

OBJECTS: dict[str, tuple[str, str]] = {
    # raw table -> (HubSpot object, Salesforce object whose standard fields the table has)
    "crm_contacts": ("contacts", "Contact"),
    "crm_accounts": ("companies", "Account"),
    "crm_opportunities": ("deals", "Opportunity"),
}


@dataclass(frozen=True)
class Source:
    """Where a standard field comes from: the first present candidate column, read as ``kind``.

    Kinds: ``text`` (unchanged), ``time`` (ISO 8601 UTC text), ``date`` (``YYYY-MM-DD`` in the
    account's zone, as HubSpot shows the date), ``first_id`` (the first of ``;``-separated
    ids), ``won`` (``true``/``false`` from the deal stage or hs_is_closed_won).
    """

    candidates: tuple[str, ...]
    kind: str = "text"


OBJECTS_BY_HUBSPOT = {hub: sf for hub, sf in OBJECTS.values()}

_ID = Source(("hs_object_id", "id", "vid"))
STANDARD_SOURCES: dict[str, dict[str, Source]] = {
    "contacts": {
        "id": _ID,
        "email": Source(("email",)),
        "accountid": Source(("associatedcompanyid", "associated_company_ids"), "first_id"),
        "createddate": Source(("createdate",), "time"),
    },
    "companies": {
        "id": _ID,
        "name": Source(("name",)),
        "createddate": Source(("createdate",), "time"),
    },
    "deals": {
        "id": _ID,
        "accountid": Source(("associatedcompanyid", "associated_company_ids"), "first_id"),
        "contactid": Source(("associatedcontactid", "associated_contact_ids"), "first_id"),
        "stagename": Source(("dealstage",)),
        "amount": Source(("amount",)),
        "closedate": Source(("closedate",), "date"),
        "iswon": Source(("hs_is_closed_won", "dealstage"), "won"),
        "createddate": Source(("createdate",), "time"),
    },
}

_ISO_UTC = "'%Y-%m-%dT%H:%M:%S.%fZ'"
_EPOCH_MS = "'^[0-9]{12,13}$'"  # 1973..2286 in milliseconds
_NO_ZONE = r"'^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?$'"
_DATE_ONLY = "'^[0-9]{4}-[0-9]{2}-[0-9]{2}$'"
_WITH_ZONE = r"'[0-9]:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)? ?(Z|[+-][0-9]{2}(:?[0-9]{2})?)$'"


def snake_case(label: str) -> str:
    """``Became a Customer Date`` -> ``became_a_customer_date``; ``hs_object_id`` unchanged."""
    return re.sub(r"[^a-z0-9]+", "_", label.strip().lower()).strip("_")


def api_name(label: str) -> str:
    """The column name of a header cell: the API name of a known display label, else snake."""
    text = " ".join(label.strip().split())
    return DISPLAY_LABELS.get(text.lower()) or snake_case(text)


def is_hubspot_header(header: list[str]) -> bool:
    names = [api_name(h) for h in header]
    known = [n for n in names if n in _MARKERS or n.startswith("hs_")]
    return "hs_object_id" in names or len(set(known)) >= 2


def _time_sql(column: str, zone: str) -> str:
    """ISO 8601 UTC text from HubSpot time text; other text (dates, unreadable) unchanged."""
    v = f"nullif(trim({column}), '')"
    return f"""CASE
        WHEN {v} IS NULL THEN NULL
        WHEN regexp_matches({v}, {_EPOCH_MS})
            THEN strftime(make_timestamp(CAST({v} AS BIGINT) * 1000), {_ISO_UTC})
        WHEN regexp_matches({v}, {_NO_ZONE}) AND try_cast({v} AS TIMESTAMP) IS NOT NULL
            THEN strftime(timezone('UTC', timezone({sql_literal(zone)},
                                                   CAST({v} AS TIMESTAMP))), {_ISO_UTC})
        WHEN regexp_matches({v}, {_WITH_ZONE}) AND try_cast({v} AS TIMESTAMPTZ) IS NOT NULL
            THEN strftime(timezone('UTC', CAST({v} AS TIMESTAMPTZ)), {_ISO_UTC})
        ELSE {v}
    END"""


def _date_sql(column: str, zone: str) -> str:
    """``YYYY-MM-DD`` in the account's zone from HubSpot time text; other text unchanged."""
    v = f"nullif(trim({column}), '')"
    z = sql_literal(zone)
    return f"""CASE
        WHEN {v} IS NULL THEN NULL
        WHEN regexp_matches({v}, {_EPOCH_MS}) THEN strftime(timezone({z}, timezone('UTC',
            make_timestamp(CAST({v} AS BIGINT) * 1000))), '%Y-%m-%d')
        WHEN regexp_matches({v}, {_NO_ZONE}) OR regexp_matches({v}, {_DATE_ONLY})
            THEN substr({v}, 1, 10)
        WHEN regexp_matches({v}, {_WITH_ZONE}) AND try_cast({v} AS TIMESTAMPTZ) IS NOT NULL
            THEN strftime(timezone({z}, CAST({v} AS TIMESTAMPTZ)), '%Y-%m-%d')
        ELSE {v}
    END"""


def _standard_sql(source: Source, column: str, zone: str) -> str:
    if source.kind == "time":
        return _time_sql(column, zone)
    if source.kind == "date":
        return _date_sql(column, zone)
    if source.kind == "first_id":
        return f"nullif(trim(split_part({column}, ';', 1)), '')"
    if source.kind == "won":
        v = f"lower(replace(trim({column}), ' ', ''))"
        return f"""CASE WHEN {v} IN ('true', 'closedwon') THEN 'true'
            WHEN {v} = '' OR {column} IS NULL THEN NULL ELSE 'false' END"""
    return f"nullif({column}, '')"


@dataclass(frozen=True)
class Plan:
    """How a HubSpot file becomes raw columns: select expressions and notes for people."""

    select: list[tuple[str, str]]  # (column name, SQL over c0..cn)
    derived: list[str]  # 'createddate <- Create Date (createdate)' lines
    converted: list[tuple[str, Source, str, str]]  # (standard field, source, kept column, cell)
    id_index: int


def plan_columns(header: list[str], hubspot_object: str, source_file: str, zone: str) -> Plan:
    """Decide every raw column of a HubSpot file; FormatError when it cannot be loaded."""
    names = [api_name(h) or f"column_{i + 1}" for i, h in enumerate(header)]
    seen: dict[str, str] = {}
    for label, name in zip(header, names, strict=True):
        if name in seen:
            raise FormatError(
                f"{source_file}: columns '{seen[name]}' and '{label}' are the same HubSpot "
                f"property ('{name}'), so they would load into the same column. Export the "
                "object again with each property once, then deliver the file again."
            )
        seen[name] = label
    index = {name: i for i, name in enumerate(names)}
    sources = STANDARD_SOURCES[hubspot_object]
    id_column = next((c for c in _ID.candidates if c in index), None)
    if id_column is None:
        raise FormatError(
            f"{source_file} is a HubSpot {hubspot_object} export without a 'Record ID' "
            "(hs_object_id) column, so its records cannot be joined or deduplicated. Export "
            "the object again with the Record ID property, then deliver the file again."
        )

    select: list[tuple[str, str]] = []
    derived: list[str] = []
    converted: list[tuple[str, Source, str, str]] = []
    kept_as_is: set[str] = set()
    fields = ("id", *CRM_STANDARD_FIELDS[OBJECTS_BY_HUBSPOT[hubspot_object]])
    for field_name in fields:
        source = sources.get(field_name)
        column = next((c for c in source.candidates if c in index), None) if source else None
        if source is None or column is None:
            select.append((field_name, "CAST(NULL AS VARCHAR)"))
            continue
        cell = f"c{index[column]}"
        select.append((field_name, _standard_sql(source, cell, zone)))
        derived.append(f"{field_name} <- '{header[index[column]]}' ({column}, {source.kind})")
        if source.kind != "text":
            kept = f"{column}_as_exported" if column in fields else column
            converted.append((field_name, source, kept, f"nullif(trim({cell}), '')"))
        if column == field_name and source.kind == "text":
            kept_as_is.add(column)
    standard = {name for name, _ in select}
    for i, name in enumerate(names):
        if name in kept_as_is:
            continue
        # A HubSpot property named like a standard field whose value is derived keeps its
        # exported text under <name>_as_exported (for example deals' closedate).
        select.append((f"{name}_as_exported" if name in standard else name, f"c{i}"))
    return Plan(select, derived, converted, index[id_column])


class HubSpotCsvReader:
    """HubSpot contacts, companies or deals export (UI display labels or API names)."""

    name = "hubspot_csv"
    label = (
        "HubSpot contacts, companies or deals export CSV (header of display labels such as "
        "'Record ID', 'Lifecycle Stage', 'Create Date' or API names such as hs_object_id, "
        "lifecyclestage, createdate)"
    )

    def detect(self, path: Path, head: bytes) -> bool:
        sniffed = sniff_csv(head)
        return sniffed is not None and is_hubspot_header(sniffed.header)

    def read(self, con: duckdb.DuckDBPyConnection, path: Path, ctx: ReadContext) -> ReadResult:
        head = sniff_csv(ctx.head)
        if head is None or not is_hubspot_header(head.header):
            raise FormatError(f"{ctx.source_file} has no HubSpot export header.")
        if ctx.raw_table not in OBJECTS:
            raise FormatError(
                f"{ctx.source_file} is a HubSpot export, but raw.{ctx.raw_table} takes "
                "Salesforce files only. HubSpot contacts, companies and deals exports load when "
                "their file name contains 'contacts', 'companies' or 'deals' (as HubSpot names "
                "them, e.g. hubspot-crm-exports-all-contacts-2024-01-31.csv)."
            )
        zone = ctx.settings.hubspot_timezone
        _check_zone(con, zone)
        hubspot_object = OBJECTS[ctx.raw_table][0]
        header = head.header
        plan = plan_columns(header, hubspot_object, ctx.source_file, zone)

        records = load_csv_records(con, path, head, ctx.scope)
        body = f"FROM {quote_ident(records.records)} WHERE _source_row > 1"
        has_id = f"nullif(trim(c{plan.id_index}), '') IS NOT NULL"
        decimals = decimal_separator(con, records, NUMERIC_LABELS, head.delimiter)
        columns = [*plan.select, ("_decimal_separator", sql_literal(decimals.separator))]
        select_list = ", ".join(f"{sql} AS {quote_ident(n)}" for n, sql in columns)
        rows = ctx.scope.view("rows")
        con.execute(
            f"CREATE TEMP VIEW {quote_ident(rows)} AS "
            f"SELECT _source_row, {select_list} {body} AND {has_id}"
        ).fetchall()

        id_label = header[plan.id_index]
        reason = (
            f"The record has no HubSpot Record ID (column '{id_label}' is empty), so it cannot "
            "be joined or deduplicated. Export the object again with the Record ID property, "
            "or delete the record, then deliver the file again."
        )
        quarantine = ctx.scope.table("quarantine")
        con.execute(
            f"""CREATE TEMP TABLE {quote_ident(quarantine)} AS
            SELECT _source_row AS source_row, {sql_literal(id_label)} AS column_name,
                   {sql_literal(reason)} AS reason,
                   {record_text_sql(len(header), head.delimiter)} AS record
            {body} AND NOT ({has_id})
            UNION ALL
            SELECT source_row, column_name, reason, record
            FROM {quote_ident(records.rejects)}
            WHERE source_row > 1"""
        ).fetchall()
        rows_read = con.execute(
            f"""SELECT (SELECT count(*) {body})
              + (SELECT count(*) FROM {quote_ident(records.rejects)} WHERE source_row > 1)"""
        ).fetchall()[0][0]
        notes = [
            f"HubSpot {hubspot_object} export ("
            + ("API names" if all(h.strip() == api_name(h) for h in header) else "display labels")
            + "); standard fields filled: "
            + "; ".join(plan.derived)
            + ". Every column is kept under its API name.",
            *_conversion_notes(con, records.records, plan, zone),
            *([decimals.note] if decimals.note else []),
            *records.notes,
        ]
        return ReadResult(
            rows=rows,
            columns=[(n, VARCHAR) for n, _ in columns],
            quarantine=quarantine,
            rows_read=int(rows_read),
            notes=notes,
        )


def _check_zone(con: duckdb.DuckDBPyConnection, zone: str) -> None:
    try:
        con.execute("SELECT timezone(?, TIMESTAMP '2000-01-01')", [zone]).fetchall()
    except duckdb.Error as err:
        raise FormatError(
            f"CJM_HUBSPOT_TIMEZONE={zone!r} is not an IANA time zone (such as Europe/Berlin); "
            "set it to the HubSpot account's time zone and run the load again."
        ) from err


def _conversion_notes(
    con: duckdb.DuckDBPyConnection, records: str, plan: Plan, zone: str
) -> list[str]:
    """Say which standard-field values were converted, and how, per standard field."""
    notes: list[str] = []
    for field_name, source, kept, value in plan.converted:
        epoch, local, several = con.execute(
            f"""SELECT count(*) FILTER (WHERE regexp_matches({value}, {_EPOCH_MS})),
                       count(*) FILTER (WHERE regexp_matches({value}, {_NO_ZONE})),
                       count(*) FILTER (WHERE contains({value}, ';'))
                FROM {quote_ident(records)} WHERE _source_row > 1"""
        ).fetchall()[0]
        target = "ISO 8601 UTC" if source.kind == "time" else f"the date in {zone}"
        if source.kind in ("time", "date") and epoch:
            notes.append(
                f"{field_name}: {epoch} value(s) in epoch milliseconds (older HubSpot exports) "
                f"converted to {target}; the exported number stays in {kept}."
            )
        if source.kind == "time" and local:
            notes.append(
                f"{field_name}: {local} time(s) without a time zone (HubSpot UI export) read as "
                f"{zone} (CJM_HUBSPOT_TIMEZONE, the HubSpot account's zone) and converted to "
                f"UTC; the exported text stays in {kept}."
            )
        if source.kind == "won" and kept.startswith("dealstage"):
            notes.append(
                "iswon: 'true' for the deal stage closedwon ('Closed Won'), 'false' for every "
                "other stage; a custom pipeline whose won stage has another id needs the "
                "hs_is_closed_won property in the export."
            )
        if source.kind == "first_id" and several:
            notes.append(
                f"{field_name}: {several} record(s) list several ids in {kept}; the first is "
                f"used, all stay in {kept}."
            )
    return notes
