"""Snowplow enriched events (TSV, as the enricher and S3 loader write them) into raw.web_events.

The format: no header, one event per line, tab-separated values in a fixed order, empty string
for null, UTC timestamps ``YYYY-MM-DD HH:MM:SS.mmm``, contexts as JSON strings. The field order
is the canonical enriched-event list (``SNOWPLOW_FIELDS``), as published by Snowplow in
snowplow/documentation ``docs/pipeline/enriched-tsv-format/index.md`` and used by
snowplow/snowplow-python-analytics-sdk (``event_transformer.py``, ENRICHED_EVENT_FIELD_TYPES):
131 fields. Older enrichers wrote prefixes of it (snowplow/snowplow-scala-analytics-sdk issue
#5): 125 fields up to R70 (without event_vendor .. true_tstamp) and 108 up to R62 (also without
tr_currency .. derived_tstamp); field 4 was then called ``dvce_tstamp``. A file's layout is
taken from the width of its first line of a known width; a line of another width is
quarantined.

Mapping into the GA4 shape of raw.web_events, so that the dbt staging reads it unchanged (all
values stay text; nothing is rounded or reformatted except the timestamp, see below):

- event_timestamp: microseconds since the epoch (UTC) of derived_tstamp, else collector_tstamp;
  event_date: that timestamp's UTC date ``YYYYMMDD`` (GA4 uses the property's time zone).
- event_name: event_name, else event (old layouts). user_pseudo_id: domain_userid.
  user_id: user_id. stream_id: app_id. platform: platform (``web``, as written).
- event_params: page_location, page_title, page_referrer from page_url, page_title,
  page_referrer; ga_session_id (int) a stable number per session: the first 15 hex digits of
  the md5 of domain_sessionid (of domain_userid + '/' + domain_sessionidx in layouts without
  domain_sessionid), since staging keys sessions by user_pseudo_id + ga_session_id;
  ga_session_number (int) from domain_sessionidx; and ``snowplow.<field>`` (string) for every
  other non-empty field (contexts JSON, structured-event fields, timestamps, ...).
- geo {country, region, city}: geo_country (ISO code), geo_region, geo_city.
- device {category, operating_system, language, web_info {browser, hostname}}: dvce_type,
  os_family, br_lang, br_family, page_urlhost.
- collected_traffic_source {manual_source, manual_medium, manual_campaign_name}: mkt_source,
  mkt_medium, mkt_campaign.
- ecommerce {transaction_id, purchase_revenue}: tr_orderid, tr_total; items [{item_id,
  item_name, price, quantity}]: ti_sku, ti_name, ti_price, ti_quantity.

``user_ipaddress`` is not loaded into raw: IP addresses are personal data and belong in the
``pii`` schema only.

Lines without a usable timestamp, without domain_userid (the first-party cookie, which places an
event in a journey) or without an event name are quarantined with their line and column.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from ..schema import GA4_EVENT_COLUMNS, GA4_EVENT_TYPE, quote_ident, sql_literal, sql_type
from ..textfile import decode_head, head_is_complete
from .base import FormatError, ReadContext, ReadResult
from .lines import read_lines

SNOWPLOW_FIELDS: tuple[str, ...] = (
    "app_id", "platform", "etl_tstamp", "collector_tstamp", "dvce_created_tstamp", "event",
    "event_id", "txn_id", "name_tracker", "v_tracker", "v_collector", "v_etl", "user_id",
    "user_ipaddress", "user_fingerprint", "domain_userid", "domain_sessionidx", "network_userid",
    "geo_country", "geo_region", "geo_city", "geo_zipcode", "geo_latitude", "geo_longitude",
    "geo_region_name", "ip_isp", "ip_organization", "ip_domain", "ip_netspeed", "page_url",
    "page_title", "page_referrer", "page_urlscheme", "page_urlhost", "page_urlport",
    "page_urlpath", "page_urlquery", "page_urlfragment", "refr_urlscheme", "refr_urlhost",
    "refr_urlport", "refr_urlpath", "refr_urlquery", "refr_urlfragment", "refr_medium",
    "refr_source", "refr_term", "mkt_medium", "mkt_source", "mkt_term", "mkt_content",
    "mkt_campaign", "contexts", "se_category", "se_action", "se_label", "se_property",
    "se_value", "unstruct_event", "tr_orderid", "tr_affiliation", "tr_total", "tr_tax",
    "tr_shipping", "tr_city", "tr_state", "tr_country", "ti_orderid", "ti_sku", "ti_name",
    "ti_category", "ti_price", "ti_quantity", "pp_xoffset_min", "pp_xoffset_max",
    "pp_yoffset_min", "pp_yoffset_max", "useragent", "br_name", "br_family", "br_version",
    "br_type", "br_renderengine", "br_lang", "br_features_pdf", "br_features_flash",
    "br_features_java", "br_features_director", "br_features_quicktime",
    "br_features_realplayer", "br_features_windowsmedia", "br_features_gears",
    "br_features_silverlight", "br_cookies", "br_colordepth", "br_viewwidth", "br_viewheight",
    "os_name", "os_family", "os_manufacturer", "os_timezone", "dvce_type", "dvce_ismobile",
    "dvce_screenwidth", "dvce_screenheight", "doc_charset", "doc_width", "doc_height",
    "tr_currency", "tr_total_base", "tr_tax_base", "tr_shipping_base", "ti_currency",
    "ti_price_base", "base_currency", "geo_timezone", "mkt_clickid", "mkt_network", "etl_tags",
    "dvce_sent_tstamp", "refr_domain_userid", "refr_device_tstamp", "derived_contexts",
    "domain_sessionid", "derived_tstamp", "event_vendor", "event_name", "event_format",
    "event_version", "event_fingerprint", "true_tstamp",
)  # fmt: skip

# Field count -> which enricher versions wrote it (every layout is a prefix of the current one).
LAYOUTS: dict[int, str] = {
    131: "the current layout (R71 and later)",
    125: "the layout of R63 to R70",
    108: "the layout of R62 and earlier",
}

# Snowplow fields copied unchanged into a named place of the GA4 shape (see the module table);
# every other non-empty field except these and NOT_LOADED becomes a snowplow.<field> param.
MAPPED_FIELDS: frozenset[str] = frozenset(
    {
        "page_url", "page_title", "page_referrer", "domain_userid", "user_id",
        "domain_sessionidx", "geo_country", "geo_region", "geo_city", "dvce_type", "os_family",
        "br_lang", "br_family", "page_urlhost", "mkt_source", "mkt_medium", "mkt_campaign",
        "tr_orderid", "tr_total", "ti_sku", "ti_name", "ti_price", "ti_quantity", "app_id",
        "platform", "event_name",
    }
)  # fmt: skip
NOT_LOADED: frozenset[str] = frozenset({"user_ipaddress"})  # personal data: pii schema only
PARAM_PREFIX = "snowplow."

# A quarantined line is kept without field 14 (user_ipaddress): IP addresses stay out of the
# warehouse outside the pii schema, quarantine included.
_IP_FIELD = SNOWPLOW_FIELDS.index("user_ipaddress") + 1
_RECORD_WITHOUT_IP = (
    f"CASE WHEN len(f) >= {_IP_FIELD} THEN array_to_string(list_concat(f[1:{_IP_FIELD - 1}], "
    f"[''], f[{_IP_FIELD + 1}:]), chr(9)) ELSE line END"
)
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?$")
_AGAIN = (
    "Deliver the file exactly as the Snowplow S3 loader wrote it (do not open and save it in a "
    "spreadsheet); if it is, check the enricher's output for this event."
)


def snowplow_width(head: bytes) -> int | None:
    """The field count of the first line of a known Snowplow layout in the head, if any.

    A line counts when its width is a known layout and its collector_tstamp (field 4) is a
    timestamp ``YYYY-MM-DD HH:MM:SS[.mmm]``; only the first ten non-empty lines are looked at.
    """
    complete = head_is_complete(head)
    decoded = decode_head(head, complete)
    if decoded is None:
        return None
    lines = decoded.text.split("\n")
    if not complete:
        lines = lines[:-1]
    seen = 0
    for line in lines:
        line = line.rstrip("\r")
        if not line:
            continue
        seen += 1
        fields = line.split("\t")
        if len(fields) in LAYOUTS and _TIMESTAMP.match(fields[3]):
            return len(fields)
        if seen >= 10:
            break
    return None


class _Fields:
    """SQL for the fields of one line (``f`` is its list of values) in a layout of ``width``."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.index = {name: i + 1 for i, name in enumerate(SNOWPLOW_FIELDS[:width])}

    def __call__(self, name: str) -> str:
        """The field's value, NULL when empty or not in this layout."""
        if name not in self.index:
            return "CAST(NULL AS VARCHAR)"
        return f"nullif(f[{self.index[name]}], '')"

    def struct(self, target: dict[str, object], values: dict[str, str]) -> str:
        """A struct of ``target``'s shape from SQL ``values``; NULL when every value is NULL."""
        parts = [
            f"{quote_ident(k)} := {values.get(k, f'CAST(NULL AS {sql_type(spec)})')}"
            for k, spec in target.items()
        ]
        all_null = " AND ".join(f"{v} IS NULL" for v in values.values())
        return f"CASE WHEN {all_null} THEN NULL ELSE struct_pack({', '.join(parts)}) END"


def _param(key: str, string_value: str = "NULL", int_value: str = "NULL") -> str:
    return (
        f"struct_pack(key := {sql_literal(key)}, value := struct_pack("
        f"string_value := CAST({string_value} AS VARCHAR), "
        f"int_value := CAST({int_value} AS VARCHAR), "
        "float_value := CAST(NULL AS VARCHAR), double_value := CAST(NULL AS VARCHAR)))"
    )


def _session_number(fld: _Fields) -> str:
    """ga_session_id: 15 hex digits of an md5 (< 2^60), stable per Snowplow session."""
    by_index = f"{fld('domain_userid')} || '/' || {fld('domain_sessionidx')}"
    key = f"coalesce({fld('domain_sessionid')}, {by_index})"
    return f"CAST(CAST('0x' || left(md5({key}), 15) AS BIGINT) AS VARCHAR)"


def _event_params(fld: _Fields) -> str:
    params = [
        _param("page_location", fld("page_url")),
        _param("page_title", fld("page_title")),
        _param("page_referrer", fld("page_referrer")),
        _param("ga_session_id", int_value=_session_number(fld)),
        _param("ga_session_number", int_value=fld("domain_sessionidx")),
    ]
    params += [
        _param(PARAM_PREFIX + name, fld(name))
        for name in SNOWPLOW_FIELDS[: fld.width]
        if name not in MAPPED_FIELDS and name not in NOT_LOADED
    ]
    return (
        f"list_filter([{', '.join(params)}], "
        "lambda p: coalesce(p.value.string_value, p.value.int_value) IS NOT NULL)"
    )


def _raw_columns(fld: _Fields) -> dict[str, str]:
    """SQL per raw.web_events column, from the line's fields and its parsed timestamp ``ts``."""
    t = GA4_EVENT_TYPE
    device = t["device"]
    return {
        "event_date": "strftime(ts, '%Y%m%d')",
        "event_timestamp": "CAST(epoch_us(ts) AS VARCHAR)",
        "event_name": f"coalesce({fld('event_name')}, {fld('event')})",
        "event_params": _event_params(fld),
        "user_id": fld("user_id"),
        "user_pseudo_id": fld("domain_userid"),
        "device": fld.struct(
            device,  # type: ignore[arg-type]
            {
                "category": fld("dvce_type"),
                "operating_system": fld("os_family"),
                "language": fld("br_lang"),
                "web_info": fld.struct(
                    device["web_info"],  # type: ignore[index]
                    {"browser": fld("br_family"), "hostname": fld("page_urlhost")},
                ),
            },
        ),
        "geo": fld.struct(
            t["geo"],  # type: ignore[arg-type]
            {"country": fld("geo_country"), "region": fld("geo_region"), "city": fld("geo_city")},
        ),
        "collected_traffic_source": fld.struct(
            t["collected_traffic_source"],  # type: ignore[arg-type]
            {
                "manual_source": fld("mkt_source"),
                "manual_medium": fld("mkt_medium"),
                "manual_campaign_name": fld("mkt_campaign"),
            },
        ),
        "stream_id": fld("app_id"),
        "platform": fld("platform"),
        "ecommerce": fld.struct(
            t["ecommerce"],  # type: ignore[arg-type]
            {"transaction_id": fld("tr_orderid"), "purchase_revenue": fld("tr_total")},
        ),
        "items": (
            f"CASE WHEN coalesce({fld('ti_sku')}, {fld('ti_name')}, {fld('ti_price')}, "
            f"{fld('ti_quantity')}) IS NULL THEN NULL ELSE ["
            + fld.struct(
                t["items"][0],  # type: ignore[index]
                {
                    "item_id": fld("ti_sku"),
                    "item_name": fld("ti_name"),
                    "price": fld("ti_price"),
                    "quantity": fld("ti_quantity"),
                },
            )
            + "] END"
        ),
    }


class SnowplowTsvReader:
    """Snowplow enriched events, tab-separated, no header (``web/*.tsv[.gz]``)."""

    name = "snowplow_tsv"
    label = (
        "Snowplow enriched events, tab-separated without header, 131 fields (or the older "
        "125 / 108) (web/*.tsv, optionally gzipped)"
    )

    def detect(self, path: Path, head: bytes) -> bool:
        return snowplow_width(head) is not None

    def read(self, con: duckdb.DuckDBPyConnection, path: Path, ctx: ReadContext) -> ReadResult:
        width = snowplow_width(ctx.head)
        if width is None:  # detect() said yes on the same head; kept for type checkers
            raise FormatError(f"{ctx.source_file} is not a Snowplow enriched-event TSV file.")
        scope = ctx.scope
        lines = read_lines(
            con,
            path,
            scope,
            source_file=ctx.source_file,
            computed="string_split(line, chr(9)) AS f",
            what="Snowplow enriched-event text",
            again=_AGAIN,
        )
        fld = _Fields(width)
        ts_column = (
            f"CASE WHEN {fld('derived_tstamp')} IS NOT NULL THEN 'derived_tstamp' "
            "ELSE 'collector_tstamp' END"
        )
        ts_text = f"coalesce({fld('derived_tstamp')}, {fld('collector_tstamp')})"
        checked = scope.view("checked")
        con.execute(
            f"""CREATE TEMP VIEW {quote_ident(checked)} AS
            SELECT *, try_cast(ts_text AS TIMESTAMP) AS ts
            FROM (
                SELECT _source_row, line, f, len(f) AS width,
                    CASE WHEN len(f) = {width} THEN {ts_text} END AS ts_text,
                    CASE WHEN len(f) = {width} THEN {ts_column} END AS ts_column
                FROM {quote_ident(lines.numbered)}
                WHERE line IS NOT NULL AND line <> ''
            )"""
        ).fetchall()
        problem = self._problem_sql(fld)
        columns = _raw_columns(fld)
        select = ", ".join(f"{expr} AS {quote_ident(name)}" for name, expr in columns.items())
        rows = scope.view("rows")
        con.execute(
            f"""CREATE TEMP VIEW {quote_ident(rows)} AS
            SELECT _source_row, {select}
            FROM {quote_ident(checked)} WHERE {problem[1]} IS NULL"""
        ).fetchall()
        quarantine = scope.table("quarantine")
        con.execute(
            f"""CREATE TEMP TABLE {quote_ident(quarantine)} AS
            SELECT _source_row AS source_row, {problem[0]} AS column_name, {problem[1]} AS reason,
                {_RECORD_WITHOUT_IP} AS record
            FROM {quote_ident(checked)} WHERE {problem[1]} IS NOT NULL
            UNION ALL
            SELECT source_row, column_name, reason, record FROM {quote_ident(lines.rejects)}"""
        ).fetchall()
        notes = [f"Snowplow enriched events with {width} fields per line, {LAYOUTS[width]}."]
        if lines.empty:
            notes.append(f"{lines.empty} empty line(s) ignored.")
        return ReadResult(
            rows=rows,
            columns=[c for c in GA4_EVENT_COLUMNS if c[0] in columns],
            quarantine=quarantine,
            rows_read=lines.rows_read,
            notes=notes,
        )

    def _problem_sql(self, fld: _Fields) -> tuple[str, str]:
        """SQL (column, reason) of the first problem of a checked line; both NULL when none.

        The column of a wrong-width line is the empty string (no single column is at fault);
        it is stored as NULL.
        """
        w = fld.width
        cases = [
            (
                f"width <> {w}",
                "''",
                f"'The line has ' || width || ' tab-separated fields, but this file''s lines "
                f"have {w} ({LAYOUTS[w]} of Snowplow enriched events); a value probably holds a "
                f"tab or a line break, or the line was cut off. ' || {sql_literal(_AGAIN)}",
            ),
            (
                "ts_text IS NULL",
                "'collector_tstamp'",
                "'The event has neither derived_tstamp nor collector_tstamp, so it cannot be "
                "placed in time. ' || " + sql_literal(_AGAIN),
            ),
            (
                "ts IS NULL",
                "ts_column",
                "'The value ''' || ts_text || ''' in ' || ts_column || ' is not a timestamp "
                "YYYY-MM-DD HH:MM:SS.mmm (UTC). ' || " + sql_literal(_AGAIN),
            ),
            (
                f"{fld('domain_userid')} IS NULL",
                "'domain_userid'",
                "'The event has no domain_userid (the first-party cookie id), so it cannot be "
                "placed in a journey; trackers with anonymous tracking or without cookies leave "
                "it empty. Check the tracker''s cookie settings.'",
            ),
            (
                f"coalesce({fld('event_name')}, {fld('event')}) IS NULL",
                "'event'",
                "'The event has neither event_name nor event, so its kind is unknown. ' || "
                + sql_literal(_AGAIN),
            ),
        ]
        column = "CASE " + " ".join(f"WHEN {c} THEN nullif({col}, '')" for c, col, _ in cases)
        reason = "CASE " + " ".join(f"WHEN {c} THEN {r}" for c, _, r in cases)
        return column + " END", reason + " END"
