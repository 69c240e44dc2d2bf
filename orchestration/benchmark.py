"""`cjm benchmark`: wall time and peak memory of `cjm run`, against the same work in plain DuckDB.

The baseline is what a person would write by hand in one DuckDB script: read the exports,
drop duplicate GA4 lines, stitch identities, map touchpoints with the default rules written
as CASE expressions, and compute NPS per touchpoint and the phase funnel. It has none of the
pipeline's guarantees (no ledger, quarantine, quality checks, tests, contracts or publishing),
so the ratio says what those cost. Both run as child processes; peak memory is the maximum
resident set of the child and everything it started (dbt included), from ``wait4``.

The baseline also serves the generator's tests as a second, independent implementation of the
contract's rules (see ``tests/unit/test_generate.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

PHASE_OF_TOUCHPOINT = {
    "website_visit": 1, "blog_article": 1, "pricing_page": 2, "demo_request": 2,
    "sales_call": 2, "proposal": 3, "checkout": 3, "contract_signed": 3, "help_center": 4,
    "support_call": 4, "support_email": 4, "support_portal": 4, "referral": 5, "community": 5,
}  # fmt: skip
PHASE_NAMES = ("awareness", "consideration", "purchase", "service", "loyalty")

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

_OCCURRENCES = r"""
create table occurrences as
with logins as (
    select user_pseudo_id, arg_min(user_id, event_timestamp::bigint) as user_id
    from web where user_id is not null group by user_pseudo_id
),
events as (
    select
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
)
select customer_id, occurred_us, case
    when event_name = 'purchase' then 'checkout'
    when event_name = 'generate_lead' then 'demo_request'
    when path like '/pricing%' then 'pricing_page'
    when regexp_matches(path, '^/blog/.+') then 'blog_article'
    when path like '/help%' then 'help_center'
    when path like '/refer%' then 'referral'
    when path like '/community%' then 'community'
    when regexp_matches(path, '^/($|features|about)') then 'website_visit'
end as touchpoint_id, case when event_name = 'purchase' then revenue end as revenue
from events
union all
select m.customer_id, epoch_us(h.createddate::timestamp), case
    when h.stagename in ('Proposal/Price Quote', 'Negotiation/Review') then 'proposal'
    when h.stagename = 'Closed Won' then 'contract_signed'
    when h.stagename in ('Prospecting', 'Needs Analysis', 'Value Proposition',
                         'Id. Decision Makers') then 'sales_call'
end, case when h.stagename = 'Closed Won' then h.amount::double end
from opportunityhistory as h
join opportunity as o on substr(o.id, 1, 15) = substr(h.opportunityid, 1, 15)
join contact_map as m on m.id15 = substr(o.contactid, 1, 15)
union all
select m.customer_id, epoch_us(c.createddate::timestamp), case c.origin
    when 'Phone' then 'support_call' when 'Email' then 'support_email'
    when 'Web' then 'support_portal' end, null
from "case" as c join contact_map as m on m.id15 = substr(c.contactid, 1, 15)
"""


def _survey_select(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """One Qualtrics file as (touchpoint_id, nps): the NPS column found by its _NPS_GROUP."""
    columns = [r[0] for r in con.execute(
        "select * from read_csv(?, header = true, all_varchar = true) limit 0", [str(path)]
    ).description]  # fmt: skip
    group = next(c for c in columns if c.endswith("_NPS_GROUP"))
    nps = group.removesuffix("_NPS_GROUP")
    touchpoint = "touchpoint" if "touchpoint" in columns else "'support_portal'"
    return (
        f'select {touchpoint} as touchpoint_id, try_cast("{nps}" as integer) as nps'
        f" from read_csv('{path}', header = true, all_varchar = true)"
        " where ResponseId like 'R\\_%' escape '\\'"
        " and Status not in ('Survey Preview', 'Survey Test', '1')"
        " and lower(Finished) in ('true', '1')"
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
    con.execute(_CONTACT_MAP)
    con.execute(_OCCURRENCES)
    surveys = " union all ".join(
        _survey_select(con, p) for p in sorted((landing / "survey").glob("*.csv"))
    )
    phases = ", ".join(f"('{tp}', {order})" for tp, order in PHASE_OF_TOUCHPOINT.items())
    touchpoints = dict(con.execute(
        "select touchpoint_id, count(*) from occurrences where touchpoint_id is not null"
        " group by all"
    ).fetchall())  # fmt: skip
    nps = {
        tp: {"responses": n, "nps": score}
        for tp, n, score in con.execute(
            f"select touchpoint_id, count(*), 100.0 * (count(*) filter (where nps >= 9)"
            f" - count(*) filter (where nps <= 6)) / count(*) from ({surveys}) group by all"
        ).fetchall()
    }
    funnel = con.execute(f"""
        with phases(touchpoint_id, phase_order) as (values {phases}),
        entered as (
            select customer_id, phase_order, min(occurred_us) as entered_us
            from occurrences join phases using (touchpoint_id) group by all
        )
        select a.phase_order, count(*), count(b.entered_us),
            quantile_cont((b.entered_us - a.entered_us) / 3600e6, 0.5),
            quantile_cont((b.entered_us - a.entered_us) / 3600e6, 0.9)
        from entered as a
        left join entered as b on b.customer_id = a.customer_id
            and b.phase_order = a.phase_order + 1
        group by all order by 1""").fetchall()
    return {
        "touchpoints": touchpoints,
        "revenue_total": con.execute("select sum(revenue) from occurrences").fetchall()[0][0],
        "customers": con.execute(
            "select count(distinct customer_id) from occurrences"
        ).fetchall()[0][0],
        "nps_by_touchpoint": nps,
        "funnel": [
            {
                "phase_id": PHASE_NAMES[order - 1], "phase_order": order,
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


def measure(label: str, command: list[str], env: dict[str, str] | None = None) -> Measurement:
    """Run a command as a child; wall time and the peak RSS of its whole process tree."""
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
    return Measurement(label, wall, usage.ru_maxrss / 1024, process.returncode)


def _data_size_mb(landing: Path) -> float:
    return sum(p.stat().st_size for p in landing.rglob("*") if p.is_file()) / 2**20


def run_benchmark(landing: Path, workdir: Path) -> list[Measurement]:
    python = sys.executable
    cjm = str(Path(python).with_name("cjm"))
    warehouse = workdir / "bench.duckdb"
    home = workdir / "dagster_home"
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    pipeline = measure(
        "cjm run (Dagster + GX + dbt, publish)",
        [cjm, "run", "--landing", str(landing), "--warehouse", str(warehouse)],
        env={"DAGSTER_HOME": str(home)},
    )
    baseline = measure(
        "plain DuckDB SQL, same metrics",
        [python, "-m", "orchestration.benchmark", "--baseline", str(landing),
         "--out", str(workdir / "baseline.json")],
    )  # fmt: skip
    return [pipeline, baseline]


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


def print_report(landing: Path, measurements: list[Measurement]) -> None:
    pipeline, baseline = measurements
    print(f"\nbenchmark on {landing} ({_data_size_mb(landing):.1f} MB of exports,"
          f" {os.cpu_count()} cores)")  # fmt: skip
    print(f"  {'':38}  {'wall s':>8}  {'peak MB':>8}  exit")
    for m in measurements:
        print(f"  {m.label:38}  {m.wall_seconds:8.1f}  {m.peak_rss_mb:8.0f}  {m.exit_code}")
    print(
        f"  {'ratio pipeline / plain DuckDB':38}  "
        f"{pipeline.wall_seconds / baseline.wall_seconds:7.1f}x  "
        f"{pipeline.peak_rss_mb / baseline.peak_rss_mb:7.1f}x"
    )


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
