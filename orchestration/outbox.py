"""The outbox: files that alerting and ticketing tools pick up, each item written once.

Follow-ups: every follow-up of ``marts.fct_detractor_follow_ups`` not handed over before goes
into one CSV and one JSON Lines file per run in ``<outbox>/follow_ups/`` and is recorded in
``ops.follow_up_outbox``. The ticketing tool's outcomes come back as ``followups/*.csv`` in
the landing folder (see orchestration/ingestion/readers/follow_ups.py).

After the marts are published, the job writes every alert of ``marts.fct_cx_alerts`` that it
has not raised before as one JSON file in ``<outbox>/alerts/`` and records it in
``ops.alerts``. An alert's id is stable for the same kind, metric, scope and period, so a
later run (or a re-run of the same exports) never raises it again. The file is written
before the row is recorded: a crash in between rewrites the same file (same name, same
content) on the next run instead of losing the alert.
"""

import contextlib
import csv
import datetime as dt
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.ingestion.schema import has_table
from orchestration.owners import CX_ANALYTICS
from orchestration.resources import WarehouseResource

ALERT_COLUMNS = (
    "alert_id",
    "alert_kind",
    "metric",
    "statistic",
    "scope_type",
    "scope_id",
    "period_grain",
    "period_start",
    "value",
    "compared_value",
    "difference",
    "difference_ci_low",
    "difference_ci_high",
    "n",
    "owner",
    "message",
)

_CREATE_ALERTS = """
create table if not exists ops.alerts (
    alert_id varchar primary key,
    alert_kind varchar,
    metric varchar,
    statistic varchar,
    scope_type varchar,
    scope_id varchar,
    period_grain varchar,
    period_start date,
    value double,
    compared_value double,
    difference double,
    difference_ci_low double,
    difference_ci_high double,
    n bigint,
    owner varchar,
    message varchar,
    raised_at timestamp,
    run_id varchar,
    outbox_file varchar
)
"""


@contextlib.contextmanager
def _outbox_writes(outbox: Path, what: str) -> Iterator[None]:
    """Turn a failed write into a step failure that says what to do: the marts are published
    by then, and what was not written is not recorded, so the next run writes it."""
    try:
        yield
    except OSError as error:
        raise dg.Failure(
            description=(
                f"could not write {what} into the outbox {outbox}: {error.strerror or error}"
                f" ({error.filename}). The marts are published. Nothing unwritten was recorded as"
                " handed over, so the next run writes it. Make the folder writable, or point"
                " CJM_OUTBOX at one that is, and run `cjm run` again."
            )
        ) from error


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _json_value(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value


def _not_recorded_yet(
    con: duckdb.DuckDBPyConnection,
    mart: str,
    ledger: str,
    key: str,
    columns: tuple[str, ...],
    order_by: str,
) -> list[dict[str, object]]:
    """Rows of ``marts.<mart>`` whose ``key`` the ledger ``ops.<ledger>`` does not hold."""
    selected = ", ".join(f"items.{name}" for name in columns)
    rows = con.execute(
        f"select {selected} from marts.{mart} as items"
        f" where not exists (select 1 from ops.{ledger} as done where done.{key} = items.{key})"
        f" order by {order_by}"
    ).fetchall()
    return [dict(zip(columns, row, strict=True)) for row in rows]


def new_alerts(con: duckdb.DuckDBPyConnection) -> list[dict[str, object]]:
    """Alerts of marts.fct_cx_alerts that ops.alerts has not recorded yet."""
    con.execute("create schema if not exists ops")
    con.execute(_CREATE_ALERTS)
    return _not_recorded_yet(
        con,
        "fct_cx_alerts",
        "alerts",
        "alert_id",
        ALERT_COLUMNS,
        "items.period_grain, items.scope_type, items.scope_id, items.alert_kind",
    )


def raise_alerts(
    con: duckdb.DuckDBPyConnection, outbox: Path, run_id: str
) -> list[dict[str, object]]:
    """Write each new alert to ``<outbox>/alerts/<alert_id>.json``, then record it."""
    alerts = new_alerts(con)
    raised_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for alert in alerts:
        path = outbox / "alerts" / f"{alert['alert_id']}.json"
        document = {key: _json_value(value) for key, value in alert.items()}
        _write_atomically(path, json.dumps({**document, "run_id": run_id}, indent=2) + "\n")
        placeholders = ", ".join("?" for _ in range(len(ALERT_COLUMNS) + 3))
        con.execute(
            f"insert into ops.alerts values ({placeholders})",
            [*alert.values(), raised_at, run_id, str(path)],
        )
    return alerts


FOLLOW_UP_COLUMNS = (
    "follow_up_id",
    "survey_response_id",
    "customer_id",
    "touchpoint_id",
    "owner",
    "trigger_reason",
    "nps_score",
    "csat_score",
    "comment",
    "responded_at",
    "due_at",
)

_CREATE_FOLLOW_UP_OUTBOX = """
create table if not exists ops.follow_up_outbox (
    follow_up_id varchar primary key,
    handed_over_at timestamp,
    run_id varchar,
    outbox_file varchar
)
"""


# Marts whose rows are follow-ups (the columns of FOLLOW_UP_COLUMNS): unhappy answers, and
# customers in the high churn-risk band without an open follow-up (trigger_reason churn_risk).
FOLLOW_UP_MARTS = ("fct_detractor_follow_ups", "fct_churn_risk_follow_ups")


def new_follow_ups(con: duckdb.DuckDBPyConnection) -> list[dict[str, object]]:
    """Follow-ups of FOLLOW_UP_MARTS not handed over yet, oldest first (a mart an older
    warehouse does not have yet is left out)."""
    con.execute("create schema if not exists ops")
    con.execute(_CREATE_FOLLOW_UP_OUTBOX)
    follow_ups = [
        row
        for mart in FOLLOW_UP_MARTS
        if has_table(con, "marts", mart)
        for row in _not_recorded_yet(
            con,
            mart,
            "follow_up_outbox",
            "follow_up_id",
            FOLLOW_UP_COLUMNS,
            "items.responded_at, items.follow_up_id",
        )
    ]
    return sorted(follow_ups, key=lambda row: (row["responded_at"], row["follow_up_id"]))


def hand_over_follow_ups(
    con: duckdb.DuckDBPyConnection, outbox: Path, run_id: str
) -> tuple[list[dict[str, object]], list[Path]]:
    """Write the new follow-ups to ``follow_ups_<time>_<run>.csv`` and ``.jsonl``, then record
    them; returns the follow-ups and the files (none when there is nothing new)."""
    follow_ups = new_follow_ups(con)
    if not follow_ups:
        return [], []
    handed_over_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    stem = f"follow_ups_{handed_over_at:%Y%m%dT%H%M%S}_{run_id[:8]}"
    folder = outbox / "follow_ups"
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=FOLLOW_UP_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: _json_value(v) for k, v in row.items()} for row in follow_ups)
    lines = "".join(
        json.dumps({k: _json_value(v) for k, v in row.items()}, ensure_ascii=False) + "\n"
        for row in follow_ups
    )
    files = [folder / f"{stem}.csv", folder / f"{stem}.jsonl"]
    _write_atomically(files[0], table.getvalue())
    _write_atomically(files[1], lines)
    # one statement over the list of ids: DuckDB's executemany runs one insert per row (~6 ms
    # each, a minute for the first run of a large warehouse)
    con.execute(
        "insert into ops.follow_up_outbox select unnest($ids), $at, $run_id, $file",
        {
            "ids": [row["follow_up_id"] for row in follow_ups],
            "at": handed_over_at,
            "run_id": run_id,
            "file": str(files[0]),
        },
    )
    return follow_ups, files


def build_follow_ups_asset(after: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=dg.AssetKey(["cx", "follow_ups_outbox"]),
        deps=after,
        group_name="publish",
        kinds={"duckdb", "csv", "json"},
        owners=[CX_ANALYTICS],
        description=(
            "New follow-ups of marts.fct_detractor_follow_ups (every detractor and CSAT 1-2 "
            "answer) and marts.fct_churn_risk_follow_ups (high churn risk, no open follow-up) "
            "handed to the ticketing tool: one CSV and one JSON Lines file per run in "
            "<outbox>/follow_ups/, recorded in ops.follow_up_outbox, never the same one twice."
        ),
    )
    def follow_ups_outbox(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        outbox = warehouse.outbox()
        with warehouse.connect() as con, _outbox_writes(outbox, "the follow-ups"):
            follow_ups, files = hand_over_follow_ups(con, outbox, context.run.run_id)
            total = con.execute("select count(*) from ops.follow_up_outbox").fetchone()[0]
        context.log.info(f"{len(follow_ups)} new follow-up(s) handed over in {outbox}")
        return dg.MaterializeResult(
            metadata={
                "new_follow_ups": len(follow_ups),
                "handed_over_so_far": total,
                **({"csv": dg.MetadataValue.path(str(files[0]))} if files else {}),
                "outbox": dg.MetadataValue.path(str(outbox / "follow_ups")),
            }
        )

    return follow_ups_outbox


def build_alerts_asset(after: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=dg.AssetKey(["cx", "alerts"]),
        deps=after,
        group_name="publish",
        kinds={"duckdb", "json"},
        owners=[CX_ANALYTICS],
        check_specs=[
            dg.AssetCheckSpec(
                "no_new_cx_alerts",
                asset=dg.AssetKey(["cx", "alerts"]),
                description=(
                    "Warns when this run raised an alert: an NPS or CSAT of a touchpoint or "
                    "phase below its target or the previous period, beyond noise."
                ),
            )
        ],
        description=(
            "New alerts of marts.fct_cx_alerts: one JSON file each in <outbox>/alerts/, a row "
            "in ops.alerts, never the same alert twice. Runs after the marts are published."
        ),
    )
    def cx_alerts(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        outbox = warehouse.outbox()
        with warehouse.connect() as con, _outbox_writes(outbox, "the CX alerts"):
            alerts = raise_alerts(con, outbox, context.run.run_id)
            total = con.execute("select count(*) from ops.alerts").fetchone()[0]
        for alert in alerts:
            context.log.warning(f"alert: {alert['message']}")
        listing = "\n".join(f"- {alert['message']}" for alert in alerts)
        yield dg.MaterializeResult(
            metadata={
                "new_alerts": len(alerts),
                "alerts_raised_so_far": total,
                "outbox": dg.MetadataValue.path(str(outbox / "alerts")),
            }
        )
        yield dg.AssetCheckResult(
            check_name="no_new_cx_alerts",
            passed=not alerts,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"{len(alerts)} new alert(s)" if alerts else "no new alerts",
            metadata={"alerts": dg.MetadataValue.md(listing)} if alerts else {},
        )

    return cx_alerts
