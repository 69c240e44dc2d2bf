"""Freshness: a warning when a source has had no new export for too long.

"New export" is a file whose content the warehouse applied (ledger status ``loaded``, or
``superseded`` by a later copy); a file delivered again unchanged does not count. The allowed
age is per landing folder, in hours: ``CJM_FRESHNESS_HOURS_<FOLDER>`` (e.g.
``CJM_FRESHNESS_HOURS_CRM=192``), defaults in
``DEFAULT_MAX_AGE_HOURS`` (daily GA4 and survey exports may miss a day; CRM and follow-up
exports are weekly). The checks warn and never block: old data is still the best data there is.
A raw table that never received a file passes (optional exports, such as contact roles).
"""

from __future__ import annotations

import datetime as dt
import os

import dagster as dg

from orchestration.ingestion import RAW_TABLES
from orchestration.ingestion.report import LOADED, SUPERSEDED
from orchestration.resources import WarehouseResource

DEFAULT_MAX_AGE_HOURS = {"web": 48.0, "survey": 48.0, "crm": 192.0, "followups": 192.0}


def max_age_hours(folder: str) -> float:
    name = f"CJM_FRESHNESS_HOURS_{folder.upper()}"
    raw = os.environ.get(name, "").strip()
    if not raw:
        return DEFAULT_MAX_AGE_HOURS[folder]
    try:
        hours = float(raw)
    except ValueError as err:
        raise ValueError(f"{name}={raw!r} is not a number of hours; use e.g. 48") from err
    if hours <= 0:
        raise ValueError(f"{name}={raw!r} must be a positive number of hours, e.g. 48")
    return hours


def freshness_check_name(raw_table: str) -> str:
    return f"fresh_{raw_table}"


def evaluate_freshness(
    newest: dt.datetime | None, now: dt.datetime, raw_table: str
) -> dg.AssetCheckResult:
    """The check's result for the newest applied export of ``raw_table`` (UTC, naive)."""
    folder = RAW_TABLES[raw_table].folder
    allowed = max_age_hours(folder)
    if newest is None:
        return dg.AssetCheckResult(
            passed=True,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"no export of raw.{raw_table} delivered yet",
            metadata={"max_age_hours": allowed},
        )
    age = (now - newest).total_seconds() / 3600
    fresh = age <= allowed
    return dg.AssetCheckResult(
        passed=fresh,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"newest export applied {age:.1f} h ago (allowed {allowed:g} h)"
            if fresh
            else f"no new export of raw.{raw_table} for {age:.1f} h (allowed {allowed:g} h,"
            f" CJM_FRESHNESS_HOURS_{folder.upper()}): check the export job that fills"
            f" <landing>/{folder}/"
        ),
        metadata={
            "newest_export_applied_at": newest.isoformat(sep=" ", timespec="seconds"),
            "age_hours": round(age, 1),
            "max_age_hours": allowed,
        },
    )


def build_freshness_check(raw_table: str) -> dg.AssetChecksDefinition:
    folder = RAW_TABLES[raw_table].folder

    @dg.asset_check(
        asset=dg.AssetKey(["raw", raw_table]),
        name=freshness_check_name(raw_table),
        blocking=False,
        description=(
            f"Warns when raw.{raw_table} has had no new export for longer than"
            f" CJM_FRESHNESS_HOURS_{folder.upper()} hours (default"
            f" {DEFAULT_MAX_AGE_HOURS[folder]:g}); an unchanged re-delivery is not new."
        ),
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            newest = con.execute(
                "select max(loaded_at) from ops.load_ledger"
                " where raw_table = ? and status in (?, ?)",
                [raw_table, LOADED, SUPERSEDED],
            ).fetchone()[0]
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        return evaluate_freshness(newest, now, raw_table)

    return _check
