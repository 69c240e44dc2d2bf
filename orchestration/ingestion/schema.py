"""Column definitions of the raw and ops tables (the raw layer in the README) and SQL helpers.

Everything here is data: the raw tables' shapes, the GA4 event type, and functions that turn
them into DuckDB SQL. Readers and the loader import from here so that a column is named in one
place only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

import duckdb


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB (any text is allowed, quotes are doubled)."""
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value: str) -> str:
    """A SQL string literal (single quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


Column = tuple[str, str]
"""A column as (name, DuckDB type)."""

VARCHAR = "VARCHAR"

# Lineage columns carried by every raw table, in this order, before the source's own columns.
LINEAGE_COLUMNS: tuple[Column, ...] = (
    ("_load_id", VARCHAR),
    ("_source_file", VARCHAR),
    ("_source_row", "BIGINT"),
    ("_loaded_at", "TIMESTAMP"),
)

SURVEY_RESPONSE_COLUMNS: tuple[Column, ...] = tuple(
    (name, VARCHAR)
    for name in (
        "source_format",
        "survey_name",
        "response_id",
        "response_status",
        "is_finished",
        "progress",
        "started_at_local",
        "ended_at_local",
        "recorded_at_local",
        "source_timezone",
        "recipient_email",
        "external_reference",
        "user_language",
        "distribution_channel",
        "nps_question_id",
        "nps_score",
        "nps_group",
        "csat_question_id",
        "csat_score",
        "comment_question_id",
        "comment",
        "answers_json",
    )
)

# Outcomes of the follow-ups the outbox handed to a ticketing tool (landing `followups/*.csv`).
FOLLOW_UP_OUTCOME_COLUMNS: tuple[Column, ...] = tuple(
    (name, VARCHAR) for name in ("follow_up_id", "status", "closed_at", "resolution")
)

# A CRM table starts with the lineage columns, `id` and the object's CRM_STANDARD_FIELDS; every
# other column arrives with the files (Salesforce exports choose their own fields) and is added
# on first sight.
# `_decimal_separator`: '.' or ',' (German Excel), the decimal separator of the file's numbers;
# the values stay as exported and staging reads them with it (macro decimal_text).
CRM_BASE_COLUMNS: tuple[Column, ...] = (("id", VARCHAR), ("_decimal_separator", VARCHAR))

# The Salesforce fields the warehouse reads (dbt staging), per object. A CRM raw table starts
# with these (all VARCHAR) so that a landing folder without that object's export still builds
# (with no rows) instead of failing on missing columns; an export adds every other field.
# `isdeleted` (IsDeleted, written by Data Loader "Export All" and the weekly Data Export) is how
# a deletion upstream reaches the warehouse: staging leaves out a record whose latest copy says
# 'true'. A record missing from a shorter re-delivery is not deleted (see the loader's held
# deliveries). HubSpot exports have no such column: it stays NULL there.
CRM_STANDARD_FIELDS: dict[str, tuple[str, ...]] = {
    "Account": ("name", "industry", "billingcountry", "numberofemployees", "createddate",
                "isdeleted"),
    "Contact": ("accountid", "email", "leadsource", "createddate", "isdeleted"),
    "Opportunity": ("accountid", "contactid", "stagename", "amount", "closedate", "iswon",
                    "createddate", "isdeleted", "type"),
    "OpportunityHistory": ("opportunityid", "stagename", "amount", "closedate", "createddate",
                           "isdeleted"),
    "Case": ("contactid", "accountid", "origin", "status", "isclosed", "closeddate",
             "createddate", "isdeleted", "type", "reason"),
    "OpportunityContactRole": ("opportunityid", "contactid", "role", "isprimary",
                               "createddate", "isdeleted"),
}  # fmt: skip

# GA4 BigQuery export event, as nested Python data: dict = STRUCT, one-element list = LIST of
# that element, str = scalar type. INT64 and FLOAT64 values stay VARCHAR (JSON exports write
# INT64 as strings and some doubles as numbers; both load to the same text this way).
_PARAM_VALUE = {
    "string_value": VARCHAR,
    "int_value": VARCHAR,
    "float_value": VARCHAR,
    "double_value": VARCHAR,
}
GA4_EVENT_TYPE: dict[str, object] = {
    "event_date": VARCHAR,
    "event_timestamp": VARCHAR,
    "event_name": VARCHAR,
    "event_params": [{"key": VARCHAR, "value": _PARAM_VALUE}],
    "event_previous_timestamp": VARCHAR,
    "event_value_in_usd": VARCHAR,
    "event_bundle_sequence_id": VARCHAR,
    "user_id": VARCHAR,
    "user_pseudo_id": VARCHAR,
    "user_first_touch_timestamp": VARCHAR,
    "user_properties": [
        {"key": VARCHAR, "value": {**_PARAM_VALUE, "set_timestamp_micros": VARCHAR}}
    ],
    "privacy_info": {
        "analytics_storage": VARCHAR,
        "ads_storage": VARCHAR,
        "uses_transient_token": VARCHAR,
    },
    "device": {
        "category": VARCHAR,
        "operating_system": VARCHAR,
        "language": VARCHAR,
        "web_info": {"browser": VARCHAR, "hostname": VARCHAR},
    },
    "geo": {"country": VARCHAR, "region": VARCHAR, "city": VARCHAR},
    "traffic_source": {"name": VARCHAR, "medium": VARCHAR, "source": VARCHAR},
    "collected_traffic_source": {
        "manual_source": VARCHAR,
        "manual_medium": VARCHAR,
        "manual_campaign_name": VARCHAR,
        "gclid": VARCHAR,
    },
    "stream_id": VARCHAR,
    "platform": VARCHAR,
    "ecommerce": {
        "transaction_id": VARCHAR,
        "purchase_revenue": VARCHAR,
        "total_item_quantity": VARCHAR,
    },
    "items": [{"item_id": VARCHAR, "item_name": VARCHAR, "price": VARCHAR, "quantity": VARCHAR}],
}


def sql_type(spec: object) -> str:
    """DuckDB type text for a nested type description (see GA4_EVENT_TYPE)."""
    if isinstance(spec, str):
        return spec
    if isinstance(spec, list) and len(spec) == 1:
        return f"{sql_type(spec[0])}[]"
    if isinstance(spec, Mapping):
        fields = ", ".join(f"{quote_ident(k)} {sql_type(v)}" for k, v in spec.items())
        return f"STRUCT({fields})"
    raise TypeError(f"not a type description: {spec!r}")


def json_structure(spec: object) -> str:
    """The `structure` argument of DuckDB's from_json for a nested type description."""

    def convert(node: object) -> object:
        if isinstance(node, str):
            return node
        if isinstance(node, list):
            return [convert(node[0])]
        if isinstance(node, Mapping):
            return {k: convert(v) for k, v in node.items()}
        raise TypeError(f"not a type description: {node!r}")

    return json.dumps(convert(spec), separators=(",", ":"))


GA4_EVENT_COLUMNS: tuple[Column, ...] = tuple(
    (name, sql_type(spec)) for name, spec in GA4_EVENT_TYPE.items()
)

LOAD_LEDGER_COLUMNS: tuple[Column, ...] = (
    ("load_id", VARCHAR),
    ("raw_table", VARCHAR),
    ("source_file", VARCHAR),
    ("file_name", VARCHAR),
    ("file_sha256", VARCHAR),
    ("file_bytes", "BIGINT"),
    ("source_format", VARCHAR),
    ("rows_read", "BIGINT"),
    ("rows_loaded", "BIGINT"),
    ("rows_quarantined", "BIGINT"),
    ("status", VARCHAR),
    ("message", VARCHAR),
    ("loaded_at", "TIMESTAMP"),
    # Added after the first release; ensure_ops_tables adds them to older warehouses.
    ("rows_held", "BIGINT"),  # rows of a held file: read = loaded + quarantined + held
    ("notes", VARCHAR),  # what the reader assumed or converted, one note per line
)

QUARANTINE_COLUMNS: tuple[Column, ...] = (
    ("load_id", VARCHAR),
    ("raw_table", VARCHAR),
    ("source_file", VARCHAR),
    ("source_row", "BIGINT"),
    ("column_name", VARCHAR),
    ("reason", VARCHAR),
    ("record", VARCHAR),
    ("check_name", VARCHAR),
    ("quarantined_at", "TIMESTAMP"),
    # Set when the file the row came from was withdrawn (removed from the landing folder):
    # the row stays as history but no longer blocks anything.
    ("retired_at", "TIMESTAMP"),
)

# Deliberate acceptance of a held file (`cjm accept`): the bytes (sha256) of that path that may
# replace the earlier copy although they hold fewer rows.
ACCEPTED_DELIVERY_COLUMNS: tuple[Column, ...] = (
    ("source_file", VARCHAR),
    ("file_sha256", VARCHAR),
    ("accepted_at", "TIMESTAMP"),
    ("accepted_by", VARCHAR),
)


def column_defs(columns: Iterable[Column]) -> str:
    return ", ".join(f"{quote_ident(name)} {type_}" for name, type_ in columns)


def has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether ``schema.table`` exists (a table or a view) in the connected database."""
    return bool(
        con.execute(
            "select count(*) from information_schema.tables"
            " where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchall()[0][0]
    )


def qualified(schema: str, table: str) -> str:
    return f"{quote_ident(schema)}.{quote_ident(table)}"


def names(columns: Sequence[Column]) -> list[str]:
    return [name for name, _ in columns]
