"""`cjm benchmark`: wall time and peak memory of `cjm run`, against the same work in plain DuckDB.

The baseline is what a person would write by hand in one DuckDB script: read the exports,
drop duplicate GA4 lines, stitch identities, map touchpoints with the default rules written
as CASE expressions, and compute NPS per touchpoint and the phase funnel. It has none of the
pipeline's guarantees (no ledger, quarantine, quality checks, tests, contracts or publishing),
so the ratio says what those cost. Both run as child processes; peak memory is the maximum
resident set of the child and everything it started (dbt included), from ``wait4``.

The time per step of ``cjm run`` comes from structured records, not from its output: the Dagster
run's step statistics in the benchmark's own instance (start-up = first step's start minus the
moment the child was started; ingest = the ``raw__*`` and inventory steps; checks = the raw
tables' asset-check steps; publish = ``bi__published_marts``) and the node results in dbt's
JSON log (``dbt.log``) of that run (dbt models: the wall time during which at least one model or
seed ran; dbt tests: the time during which only tests ran; the rest of the ``dbt_build`` step is
dbt's own start-up and Dagster's handling of its events).

The baseline also serves the generator's tests as a second, independent implementation of the
contract's rules (see ``tests/unit/test_generate.py``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

_WEB_COLUMNS = (
    "{'event_timestamp': 'VARCHAR', 'event_name': 'VARCHAR',"
    " 'event_params': 'STRUCT(key VARCHAR, value STRUCT(string_value VARCHAR))[]',"
    " 'user_id': 'VARCHAR', 'user_pseudo_id': 'VARCHAR',"
    " 'ecommerce': 'STRUCT(purchase_revenue VARCHAR)'}"
)

_CONTACT_MAP = """
create table contact_map as
with contacts as (
    select id, lower(trim(email)) as email, createddate::timestamp as created from contact
)
select substr(c.id, 1, 15) as id15, m.master as customer_id
from contacts as c
join (select email, arg_min(id, (created, id)) as master from contacts group by email) as m
    using (email)
"""

# The journey map comes from the dbt seeds (the one home of the rules): `rules`, `touchpoints`
# and `phases` are those CSV files as tables. A record is matched against the rule versions
# valid when it occurred; the lowest priority wins, then the smallest rule_id.


def _valid_at(alias: str, at_us: str) -> str:
    """SQL: the seed version `alias` (valid_from / valid_to dates) is valid at ``at_us`` (µs)."""
    return f"""({alias}.valid_from is null or {at_us} >= epoch_us({alias}.valid_from::timestamp))
        and ({alias}.valid_to is null or {at_us} < epoch_us({alias}.valid_to::timestamp))"""


def _rule_applies(at_us: str) -> str:
    """SQL: rule version `r` maps candidate `c` (field, value) occurring at ``at_us`` (µs)."""
    return f"""r.field = c.field
        and {_valid_at("r", at_us)}
        and case r.match_type
            when 'equals' then c.value = r.pattern
            when 'prefix' then starts_with(c.value, r.pattern)
            else regexp_matches(c.value, r.pattern) end"""


_OCCURRENCES = r"""
create table occurrences as
with logins as (
    select user_pseudo_id, arg_min(user_id, event_timestamp::bigint) as user_id
    from web where user_id is not null group by user_pseudo_id
),
events as (
    select
        row_number() over () as record_id,
        w.event_name, w.event_timestamp::bigint as occurred_us,
        w.ecommerce.purchase_revenue::double as revenue,
        coalesce(m.customer_id, 'anon-' || w.user_pseudo_id) as customer_id,
        case when w.event_name = 'page_view' then regexp_replace(regexp_extract(
            list_filter(w.event_params, lambda p: p.key = 'page_location')[1]
                .value.string_value, '^https?://[^/]+([^?#]*)', 1), '(.)/$', '\1')
        end as path
    from web as w
    left join logins as l using (user_pseudo_id)
    left join contact_map as m on m.id15 = substr(l.user_id, 1, 15)
),
candidates as (
    select 'web' as source_system, record_id, customer_id, occurred_us, revenue,
        'event_name' as field, event_name as value
    from events
    union all
    select 'web', record_id, customer_id, occurred_us, revenue, 'page_path', path
    from events where path is not null
    union all
    select 'crm-h', row_number() over (), m.customer_id, epoch_us(h.createddate::timestamp),
        h.amount::double, 'opportunity_stage', h.stagename
    from opportunityhistory as h
    join opportunity as o on substr(o.id, 1, 15) = substr(h.opportunityid, 1, 15)
    left join primary_roles as p on p.id15 = substr(o.id, 1, 15)
    left join contact_map as m
        on m.id15 = substr(coalesce(nullif(o.contactid, ''), p.contactid), 1, 15)
    union all
    select 'crm-o', row_number() over (), m.customer_id, s.occurred_us, o.amount::double,
        'opportunity_stage', s.stage
    from opportunity as o
    cross join lateral (
        select epoch_us(o.createddate::timestamp) as occurred_us, 'Prospecting' as stage
        union all
        select greatest(epoch_us(o.closedate::timestamp), epoch_us(o.createddate::timestamp)),
            o.stagename
        where lower(o.iswon) = 'true' or o.stagename in ('Closed Won', 'Closed Lost')
    ) as s
    left join primary_roles as p on p.id15 = substr(o.id, 1, 15)
    left join contact_map as m
        on m.id15 = substr(coalesce(nullif(o.contactid, ''), p.contactid), 1, 15)
    where substr(o.id, 1, 15) not in (select substr(opportunityid, 1, 15) from opportunityhistory)
    union all
    select 'crm-c', row_number() over (), m.customer_id, epoch_us(c.createddate::timestamp),
        null, 'case_origin', c.origin
    from "case" as c join contact_map as m on m.id15 = substr(c.contactid, 1, 15)
),
matched as (
    select c.*, r.touchpoint_id, r.priority, r.rule_id
    from candidates as c
    left join rules as r
        on r.source_system = substr(c.source_system, 1, 3) and RULE_APPLIES(c.occurred_us)
),
records as (
    select any_value(customer_id) as customer_id, any_value(occurred_us) as occurred_us,
        any_value(revenue) as revenue,
        arg_min(touchpoint_id, (priority, rule_id)) as touchpoint_id
    from matched group by source_system, record_id
)
select records.customer_id, records.occurred_us, records.touchpoint_id, t.phase_id,
    case when t.has_revenue then records.revenue end as revenue
from records left join touchpoints as t on t.touchpoint_id = records.touchpoint_id
    and TOUCHPOINT_VALID
""".replace("RULE_APPLIES(c.occurred_us)", _rule_applies("c.occurred_us")).replace(
    "TOUCHPOINT_VALID", _valid_at("t", "records.occurred_us")
)


def _seed_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The journey-map seeds (rules, touchpoints, phases) as tables, read from the dbt project."""
    from orchestration.transform.manifest import default_project_dir

    seeds = default_project_dir() / "seeds"
    types = {
        "rules": ("touchpoint_rules", "{'valid_from': 'DATE', 'valid_to': 'DATE'}"),
        "touchpoints": (
            "touchpoints",
            "{'has_revenue': 'BOOLEAN', 'valid_from': 'DATE', 'valid_to': 'DATE'}",
        ),
        "phases": (
            "phases",
            "{'phase_order': 'INTEGER', 'valid_from': 'DATE', 'valid_to': 'DATE'}",
        ),
    }
    for table, (seed, columns) in types.items():
        con.execute(
            f"create table {table} as select * from read_csv('{seeds / seed}.csv',"
            f" header = true, all_varchar = true, types = {columns})"
        )


def _survey_select(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """One Qualtrics file as (embedded touchpoint, survey name, recorded, nps): the NPS column
    found by its _NPS_GROUP."""
    columns = [r[0] for r in con.execute(
        "select * from read_csv(?, header = true, all_varchar = true) limit 0", [str(path)]
    ).description]  # fmt: skip
    group = next(c for c in columns if c.endswith("_NPS_GROUP"))
    nps = group.removesuffix("_NPS_GROUP")
    touchpoint = "touchpoint" if "touchpoint" in columns else "null"
    return (
        f"select ResponseId as response_id, {touchpoint} as embedded_touchpoint,"
        f" '{path.stem}' as survey_name, try_cast(RecordedDate as timestamp) as recorded,"
        f' try_cast("{nps}" as integer) as nps'
        f" from read_csv('{path}', header = true, all_varchar = true)"
        " where ResponseId like 'R\\_%' escape '\\'"
        " and Status not in ('Survey Preview', 'Survey Test', '1')"
        " and lower(Finished) in ('true', '1')"
    )


# The touchpoint each response rates, by the survey rules (RecordedDate taken as it is written,
# without converting the survey's time zone: the hand-written script's simplification).
_RATED = (
    """
with candidates as (
    select response_id, epoch_us(recorded) as recorded_us, nps,
        'embedded.touchpoint' as field, embedded_touchpoint as value
    from responses where embedded_touchpoint is not null
    union all
    select response_id, epoch_us(recorded), nps, 'survey_name', survey_name from responses
)
select arg_min(r.touchpoint_id, (r.priority, r.rule_id)) as touchpoint_id, any_value(c.nps) as nps
from candidates as c
join rules as r on r.source_system = 'survey' and """
    + _rule_applies("c.recorded_us")
    + """
group by c.response_id
"""
)


def plain_duckdb_journey_metrics(
    landing: Path, con: duckdb.DuckDBPyConnection | None = None
) -> dict:
    """Touchpoints, NPS per touchpoint and the funnel from the export files, in plain SQL."""
    con = con or duckdb.connect()
    con.execute(
        f"create table web as select distinct * from read_json('{landing}/web/events_*',"
        f" format = 'newline_delimited', columns = {_WEB_COLUMNS})"
    )
    for name in ("Contact", "Opportunity", "OpportunityHistory", "Case"):
        con.execute(
            f'create table "{name.lower()}" as select * from read_csv('
            f"'{landing}/crm/{name}.csv', all_varchar = true, header = true)"
        )
    _seed_tables(con)
    con.execute(_CONTACT_MAP)
    roles = landing / "crm" / "OpportunityContactRole.csv"
    roles_source = (
        f"read_csv('{roles}', all_varchar = true, header = true)"
        if roles.exists()
        else "(select null::varchar as opportunityid, null::varchar as contactid,"
        " null::varchar as isprimary, null::varchar as createddate, null::varchar as id)"
    )
    # an opportunity without ContactId is its primary contact role's (the latest one)
    con.execute(
        "create table primary_roles as select substr(opportunityid, 1, 15) as id15,"
        " arg_max(contactid, (createddate::timestamp, id)) as contactid"
        f" from {roles_source} where lower(isprimary) = 'true' group by 1"
    )
    con.execute(_OCCURRENCES)
    surveys = " union all ".join(
        _survey_select(con, p) for p in sorted((landing / "survey").glob("*.csv"))
    )
    con.execute(f"create table responses as {surveys}")
    touchpoints = dict(con.execute(
        "select touchpoint_id, count(*) from occurrences where touchpoint_id is not null"
        " group by all"
    ).fetchall())  # fmt: skip
    nps = {
        tp: {"responses": n, "nps": score}
        for tp, n, score in con.execute(
            "select touchpoint_id, count(*), 100.0 * (count(*) filter (where nps >= 9)"
            f" - count(*) filter (where nps <= 6)) / count(*) from ({_RATED}) group by all"
        ).fetchall()
    }
    funnel = con.execute(f"""
        with phased as (
            select o.customer_id, p.phase_order, o.occurred_us
            from occurrences as o
            join phases as p on p.phase_id = o.phase_id and {_valid_at("p", "o.occurred_us")}
            where o.customer_id is not null
        ),
        entered as (
            select customer_id, phase_order, min(occurred_us) as entered_us
            from phased group by all
        ),
        next_entered as (
            select a.customer_id, a.phase_order, a.entered_us, min(b.occurred_us) as next_us
            from entered as a
            left join phased as b on b.customer_id = a.customer_id
                and b.phase_order = a.phase_order + 1 and b.occurred_us > a.entered_us
            group by all
        )
        select phase_order, count(*), count(next_us),
            quantile_cont((next_us - entered_us) / 3600e6, 0.5),
            quantile_cont((next_us - entered_us) / 3600e6, 0.9)
        from next_entered group by all order by 1""").fetchall()
    phase_names = dict(
        con.execute("select phase_order, phase_id from phases where valid_to is null").fetchall()
    )
    return {
        "touchpoints": touchpoints,
        "revenue_total": con.execute("select sum(revenue) from occurrences").fetchall()[0][0],
        "customers": con.execute(
            "select count(distinct customer_id) from occurrences"
        ).fetchall()[0][0],
        "nps_by_touchpoint": nps,
        "funnel": [
            {
                "phase_id": phase_names[order], "phase_order": order,
                "customers_entered": entered, "customers_reached_next": reached,
                "median_hours_to_next": median, "p90_hours_to_next": p90,
            }
            for order, entered, reached, median, p90 in funnel
        ],
    }  # fmt: skip


@dataclass
class Measurement:
    label: str
    wall_seconds: float
    peak_rss_mb: float
    exit_code: int
    started_at: float = 0.0  # time.time() when the child was started
    steps: dict[str, float] | None = None  # seconds per step (cjm runs only)


def measure(label: str, command: list[str], env: dict[str, str] | None = None) -> Measurement:
    """Run a command as a child; wall time and the peak RSS of its whole process tree."""
    started_at = time.time()
    started = time.monotonic()
    process = subprocess.Popen(
        command, env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        print(process.stderr.read().decode(errors="replace")[-3000:], file=sys.stderr)
    process.stderr.close()
    return Measurement(label, wall, usage.ru_maxrss / 1024, process.returncode, started_at)


def _data_size_mb(landing: Path) -> float:
    return sum(p.stat().st_size for p in landing.rglob("*") if p.is_file()) / 2**20


STEP_ORDER = ("start-up", "ingest", "checks", "dbt models", "dbt tests", "dbt other", "publish",
              "other steps")  # fmt: skip


# raw__<table>_gx_<table>, _deliveries_<table>, _fresh_<table>: the raw tables' asset checks
_CHECK_STEP = re.compile(r"^raw__(\w+)_(gx|deliveries|fresh)_\1$")


def _step_group(step_key: str) -> str:
    if step_key == "bi__published_marts":
        return "publish"
    if _CHECK_STEP.match(step_key):
        return "checks"
    if step_key.startswith("raw__") or step_key == "ops__landing_inventory":
        return "ingest"
    return "other steps"


def _busy_seconds(intervals: list[tuple[float, float]]) -> float:
    """Wall time covered by at least one of the intervals."""
    total, end = 0.0, float("-inf")
    for start, stop in sorted(intervals):
        if stop <= end:
            continue
        total += stop - max(start, end)
        end = stop
    return total


def _node_results(dbt_log_dir: Path) -> Iterator[dict]:
    """The ``run_result`` of every node dbt finished, from its JSON log (dbt.log, rotated to
    dbt.log.1, ... when it grows): the job's dbt build writes no run_results.json."""
    for log in sorted(dbt_log_dir.glob("dbt.log*")):
        for line in log.read_text(encoding="utf-8").splitlines():
            if '"NodeFinished"' not in line:
                continue
            event = json.loads(line)
            if event["info"]["name"] == "NodeFinished":
                yield {
                    "unique_id": event["data"]["node_info"]["unique_id"],
                    "timing": event["data"]["run_result"].get("timing_info", []),
                }


def dbt_seconds(dbt_log_dir: Path) -> dict[str, float]:
    """Wall seconds of the dbt step during which a model (or seed) ran, and during which only
    tests ran (dbt runs them side by side on its threads), from dbt's JSON log."""
    intervals: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    for result in _node_results(dbt_log_dir):
        timing = [t for t in result["timing"] if t.get("started_at")]
        if not timing:
            continue
        start = min(dt.datetime.fromisoformat(t["started_at"].rstrip("Z")) for t in timing)
        stop = max(dt.datetime.fromisoformat(t["completed_at"].rstrip("Z")) for t in timing)
        is_test = result["unique_id"].startswith("test.")
        intervals[is_test].append((start.timestamp(), stop.timestamp()))
    models = _busy_seconds(intervals[False])
    either = _busy_seconds(intervals[False] + intervals[True])
    return {"dbt models": models, "dbt tests": either - models}


def step_seconds(home: Path, started_at: float, dbt_target: Path) -> dict[str, float]:
    """Seconds per step group of the newest Dagster run in the instance at ``home``."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs(limit=1)
        if not runs:
            return {}
        stats = [s for s in instance.get_run_step_stats(runs[0].run_id) if s.start_time]
        run_id = runs[0].run_id
    seconds = dict.fromkeys(STEP_ORDER, 0.0)
    if stats:
        seconds["start-up"] = min(s.start_time for s in stats) - started_at
    for stat in stats:
        took = (stat.end_time or stat.start_time) - stat.start_time
        if stat.step_key == "dbt_build":
            folders = sorted(dbt_target.glob(f"dbt_build-{run_id[:7]}-*"))
            dbt = dbt_seconds(folders[-1]) if folders else {}
            seconds.update(dbt)
            seconds["dbt other"] = took - sum(dbt.values())
        else:
            seconds[_step_group(stat.step_key)] += took
    return seconds


def rows_loaded(warehouse: Path) -> int:
    """Rows read from the landing folder by the run (the ledger's rows_read)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return int(con.execute(
            "select coalesce(sum(rows_read), 0) from ops.load_ledger"
        ).fetchall()[0][0])  # fmt: skip


def measure_cjm_run(
    label: str, landing: Path, warehouse: Path, home: Path, extra: list[str] | None = None
) -> Measurement:
    """``cjm run`` on ``landing`` as a child, with its time per step."""
    cjm = str(Path(sys.executable).with_name("cjm"))
    run = measure(
        label,
        [cjm, "run", "--landing", str(landing), "--warehouse", str(warehouse), *(extra or [])],
        env={"DAGSTER_HOME": str(home)},
    )
    from orchestration.resources import dbt_project_dir

    run.steps = step_seconds(home, run.started_at, dbt_project_dir() / "target")
    return run


@dataclass
class BenchmarkResult:
    measurements: list[Measurement]  # the full run, the baseline, the incremental run
    rows: int  # rows the full run read from the landing folder
    problems: list[str]  # where the full run's marts and the baseline disagree


def run_benchmark(landing: Path, workdir: Path) -> BenchmarkResult:
    """The plain-SQL baseline, a full ``cjm run`` on the same files (its marts compared with
    the baseline's figures), then a one-day incremental run: the same warehouse after one more
    day of GA4 exports (``next_day``)."""
    python = sys.executable
    warehouse = workdir / "bench.duckdb"
    home = workdir / "dagster_home"
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    baseline = measure(
        "plain DuckDB SQL, same metrics",
        [python, "-m", "orchestration.benchmark", "--baseline", str(landing),
         "--out", str(workdir / "baseline.json")],
    )  # fmt: skip
    pipeline = measure_cjm_run("cjm run, full (Dagster, checks, dbt, publish)", landing,
                               warehouse, home)  # fmt: skip
    measurements = [pipeline, baseline]
    if pipeline.exit_code or baseline.exit_code:
        return BenchmarkResult(measurements, 0, [])
    rows = rows_loaded(warehouse)
    problems = compare_results(warehouse, workdir / "baseline.json")
    plus_one_day = next_day(landing, workdir / "landing_plus_one_day")
    if plus_one_day is not None:
        measurements.append(
            measure_cjm_run("cjm run, one more day (incremental)", plus_one_day, warehouse, home)
        )
    return BenchmarkResult(measurements, rows, problems)


def next_day(landing: Path, target: Path) -> Path | None:
    """A landing folder with every file of ``landing`` (linked, not copied) and one more GA4
    export day: the newest day's events again, one day later (event_date, timestamps and the
    file name moved by a day), as the next nightly export would bring. None without GA4 files.
    """
    days = sorted((landing / "web").glob("events_*.json*"))
    if not days:
        return None
    newest = days[-1]
    stamp = re.search(r"events_(\d{8})", newest.name)
    if stamp is None:
        return None
    day = dt.datetime.strptime(stamp.group(1), "%Y%m%d") + dt.timedelta(days=1)
    for path in landing.rglob("*"):
        if path.is_file():
            link = target / path.relative_to(landing)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(path.resolve())
    opener = gzip.open if newest.suffix == ".gz" else open
    shift_us = 86_400 * 1_000_000
    out = target / "web" / f"events_{day:%Y%m%d}.json.gz"
    with opener(newest, "rt", encoding="utf-8") as lines, gzip.open(out, "wt") as moved:
        for line in lines:
            if not line.strip():
                continue
            event = json.loads(line)
            event["event_date"] = f"{day:%Y%m%d}"
            for key in ("event_timestamp", "event_previous_timestamp"):
                if event.get(key) not in (None, ""):
                    event[key] = str(int(event[key]) + shift_us)
            moved.write(json.dumps(event) + "\n")
    return target


def compare_results(warehouse: Path, baseline_json: Path) -> list[str]:
    """Where the published marts and the plain-SQL baseline disagree (empty: they agree)."""
    baseline = json.loads(baseline_json.read_text())
    with duckdb.connect(str(warehouse.with_name(f"{warehouse.stem}_marts.duckdb")),
                        read_only=True) as con:  # fmt: skip
        touchpoints = dict(con.execute(
            "select touchpoint_id, count(*) from marts.fct_touchpoints group by all"
        ).fetchall())  # fmt: skip
        nps = {
            tp: (n, score)
            for tp, n, score in con.execute(
                "select scope_id, responses, nps from marts.agg_nps"
                " where period_grain = 'all' and scope_type = 'touchpoint'"
            ).fetchall()
        }
        funnel = dict(con.execute(
            "select phase_id, customers_entered from marts.agg_phase_funnel"
        ).fetchall())  # fmt: skip
    problems = []
    if touchpoints != baseline["touchpoints"]:
        problems.append("touchpoint occurrences differ")
    for tp, figures in baseline["nps_by_touchpoint"].items():
        n, score = nps.get(tp, (None, None))
        if n != figures["responses"] or abs(score - figures["nps"]) > 1e-9:
            problems.append(f"NPS of {tp} differs")
    for row in baseline["funnel"]:
        if funnel.get(row["phase_id"]) != row["customers_entered"]:
            problems.append(f"customers entering {row['phase_id']} differ")
    return problems


def print_report(landing: Path, measurements: list[Measurement], rows: int = 0) -> None:
    """Wall time, peak RSS, rows per second and the ratios; then the time per step.

    ``measurements``: the full run, the baseline, then any further runs (incremental ones),
    whose ratio is given against the full run. ``rows``: rows read from the landing folder.
    """
    pipeline, baseline, *more = measurements
    print(f"\nbenchmark on {landing} ({_data_size_mb(landing):.1f} MB of exports, {rows:,} rows,"
          f" {os.cpu_count()} cores)")  # fmt: skip
    print(f"  {'':46}  {'wall s':>8}  {'peak MB':>8}  {'rows/s':>9}  exit")
    for m in [baseline, pipeline, *more]:
        rate = f"{rows / m.wall_seconds:9,.0f}" if rows and m.wall_seconds else f"{'':9}"
        print(f"  {m.label:46}  {m.wall_seconds:8.1f}  {m.peak_rss_mb:8.0f}  {rate}  "
              f"{m.exit_code}")  # fmt: skip
    print(
        f"  {'ratio full run / plain DuckDB':46}  "
        f"{pipeline.wall_seconds / baseline.wall_seconds:7.1f}x  "
        f"{pipeline.peak_rss_mb / baseline.peak_rss_mb:7.1f}x"
    )
    for m in more:
        print(f"  {'ratio ' + m.label.removeprefix('cjm run, ') + ' / full run':46}  "
              f"{m.wall_seconds / pipeline.wall_seconds:7.2f}x")  # fmt: skip
    for m in [pipeline, *more]:
        if not m.steps:
            continue
        print(f"  time per step of {m.label} (s):")
        for name in STEP_ORDER:
            if name in m.steps:
                print(f"    {name:20} {m.steps[name]:8.1f}")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the child process that runs the plain-DuckDB baseline."""
    parser = argparse.ArgumentParser(prog="python -m orchestration.benchmark")
    parser.add_argument("--baseline", required=True, metavar="LANDING")
    parser.add_argument("--out", required=True, metavar="JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect(str(Path(tmp) / "baseline.duckdb"))
        result = plain_duckdb_journey_metrics(Path(args.baseline), con)
        con.close()
    Path(args.out).write_text(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
