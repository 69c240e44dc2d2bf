"""The `cjm` command: run the main Dagster job in-process, generate sample exports, show status.

`cjm run` executes the very job that `dagster dev` shows (``journey_warehouse``), in this
process, against a Dagster instance kept beside the warehouse, so its runs appear in the UI.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import os
import re
import sys
import time
import warnings
from pathlib import Path

from orchestration.resources import (
    DEFAULT_LANDING,
    DEFAULT_WAREHOUSE,
    WarehouseLockedError,
    connect_duckdb,
    published_path_for,
)

EXIT_OK = 0
EXIT_RUN_FAILED = 1
EXIT_USAGE = 2
DAGSTER_YAML = "# Dagster instance of cjm run and make ui\ntelemetry:\n  enabled: false\n"


# dbt's per-node progress lines ("12 of 279 PASS not_null_..."), re-printed by dagster-dbt.
_DBT_NODE_LINE = re.compile(r"^(\x1b\[0m)?[\d:]*\s*\d+ of \d+ (START|PASS|OK|SKIP|NO-OP)\b")


class _DbtNodeLineFilter(io.TextIOBase):
    """Drops dbt's per-node lines from stdout; everything else passes through unchanged."""

    def __init__(self, target) -> None:
        self.target = target
        self.pending = ""

    def write(self, text: str) -> int:
        self.pending += text
        *lines, self.pending = self.pending.split("\n")
        for line in lines:
            if not _DBT_NODE_LINE.match(line):
                self.target.write(line + "\n")
        return len(text)

    def flush(self) -> None:
        self.target.flush()


def _configure_environment(args: argparse.Namespace) -> tuple[Path, Path, Path]:
    warehouse = Path(args.warehouse).resolve()
    published = Path(args.published).resolve() if args.published else published_path_for(warehouse)
    os.environ["CJM_WAREHOUSE"] = str(warehouse)
    os.environ["CJM_PUBLISHED"] = str(published)
    landing = Path(args.landing).resolve()  # defaults to CJM_LANDING, then seeds/
    os.environ["CJM_LANDING"] = str(landing)
    home = Path(os.environ.get("DAGSTER_HOME") or warehouse.parent / "dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return landing, warehouse, published


def _quiet_library_warnings() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    warnings.filterwarnings("ignore")


def _table(rows: list[tuple], headers: list[str]) -> str:
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)
    ]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(
            c.rjust(w) if c[:1].isdigit() or c[:1] == "-" else c.ljust(w)
            for c, w in zip(r, widths, strict=True)
        )
        for r in cells
    ]
    return "\n".join("  " + line for line in lines)


def _fmt(value: float | None, digits: int = 1) -> str | None:
    return None if value is None else f"{value:.{digits}f}"


def print_summary(warehouse: Path, published: Path, run_started: dt.datetime) -> None:
    """Rows per source for this run, quarantine, NPS per touchpoint and the phase funnel."""
    if not warehouse.exists():
        return
    try:
        con = connect_duckdb(warehouse, read_only=True)
    except WarehouseLockedError as error:
        print(f"\n(no summary: {error})")
        return
    with con:
        has_ledger = con.execute(
            "select count(*) from information_schema.tables"
            " where table_schema = 'ops' and table_name = 'load_ledger'"
        ).fetchall()[0][0]
        if has_ledger:
            rows = con.execute(
                "select raw_table,"
                " count(*) filter (where loaded_at >= ? and status in ('loaded', 'superseded')),"
                " coalesce(sum(rows_read) filter (where loaded_at >= ?), 0),"
                " coalesce(sum(rows_loaded) filter (where loaded_at >= ?), 0),"
                " coalesce(sum(rows_quarantined) filter (where loaded_at >= ?), 0),"
                " count(*) filter (where status = 'failed' and loaded_at >= ?)"
                " from ops.load_ledger group by raw_table order by raw_table",
                [run_started] * 5,
            ).fetchall()
            print("\nSources (this run)")
            print(
                _table(
                    rows,
                    [
                        "raw table",
                        "new files",
                        "rows read",
                        "loaded",
                        "quarantined",
                        "files failed",
                    ],
                )
            )
            quarantined = con.execute(
                "select raw_table, coalesce(check_name, 'ingestion'), count(*)"
                " from ops.quarantine group by all order by all"
            ).fetchall()
            if quarantined:
                print("\nQuarantine (ops.quarantine, all runs)")
                print(_table(quarantined, ["raw table", "put there by", "rows"]))
    if not published.exists():
        print(f"\nNo published marts yet ({published}).")
        return
    with connect_duckdb(published, read_only=True) as con:
        published_at = con.execute("select max(published_at) from meta.publication").fetchall()[0][
            0
        ]
        print(f"\nPublished marts: {published} (published {published_at:%Y-%m-%d %H:%M:%S} UTC)")
        if published_at < run_started.replace(tzinfo=None):
            print("  ! not replaced by this run: BI tools still read the last good version")
        nps = con.execute(
            "select n.scope_id, t.phase_id, n.responses, n.nps, n.nps_ci_low, n.nps_ci_high"
            " from marts.agg_nps as n left join marts.dim_touchpoints as t"
            " on n.scope_id = t.touchpoint_id"
            " where n.period_grain = 'all' and n.scope_type = 'touchpoint'"
            " order by n.nps desc"
        ).fetchall()
        overall = con.execute(
            "select responses, nps, nps_ci_low, nps_ci_high from marts.agg_nps"
            " where period_grain = 'all' and scope_type = 'overall'"
        ).fetchall()[0]
        print("\nNPS per touchpoint (all time, 95% adjusted-Wald interval)")
        print(
            _table(
                [(s, p, n, _fmt(v), f"{_fmt(lo)} .. {_fmt(hi)}") for s, p, n, v, lo, hi in nps],
                ["touchpoint", "phase", "responses", "NPS", "interval"],
            )
        )
        if overall:
            print(
                f"  overall: NPS {_fmt(overall[1])} from {overall[0]} responses"
                f" ({_fmt(overall[2])} .. {_fmt(overall[3])})"
            )
        funnel = con.execute(
            "select f.journey_id, f.phase_id, f.customers_entered, f.customers_reached_next,"
            " f.conversion_to_next, f.conversion_from_first, f.median_hours_to_next,"
            " f.p90_hours_to_next from marts.agg_phase_funnel as f"
            " join marts.dim_phases as p on f.phase_id = p.phase_id"
            " order by f.journey_id, p.phase_order"
        ).fetchall()
        print("\nPhase funnel")
        print(
            _table(
                [
                    (
                        j,
                        p,
                        e,
                        r,
                        _fmt(None if c is None else 100 * c),
                        _fmt(100 * f),
                        _fmt(m),
                        _fmt(p90),
                    )
                    for j, p, e, r, c, f, m, p90 in funnel
                ],
                [
                    "journey",
                    "phase",
                    "entered",
                    "reached next",
                    "conv. %",
                    "from first %",
                    "median h",
                    "p90 h",
                ],
            )
        )


def command_run(args: argparse.Namespace) -> int:
    landing, warehouse, published = _configure_environment(args)
    if not landing.is_dir():
        print(
            f"error: landing folder {landing} does not exist. Pass --landing DIR with "
            "survey/, crm/ and web/ sub-folders (see README).",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if warehouse.exists():
        try:  # fail before starting the job when another process holds the warehouse
            connect_duckdb(warehouse).close()
        except WarehouseLockedError as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_RUN_FAILED
    _quiet_library_warnings()
    print(f"cjm run: landing   {landing}")
    print(f"         warehouse {warehouse}")
    print(f"         published {published}")
    started = time.monotonic()
    run_started = dt.datetime.now(dt.UTC)
    print("loading the Dagster code location (dbt manifest, assets, checks) ...", flush=True)
    from dagster import DagsterInstance

    from orchestration.definitions import MAIN_JOB_NAME, build_definitions

    job = build_definitions().resolve_job_def(MAIN_JOB_NAME)
    quiet_dbt = (
        contextlib.nullcontext()
        if args.verbose
        else contextlib.redirect_stdout(_DbtNodeLineFilter(sys.stdout))
    )
    with DagsterInstance.get() as instance, quiet_dbt:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": {"progress": {}}},
        )
    checks = result.get_asset_check_evaluations()
    failed_checks = [c for c in checks if not c.passed]
    print(f"\nchecks: {len(checks) - len(failed_checks)} passed, {len(failed_checks)} failed")
    for check in failed_checks:
        print(
            f"  FAILED {check.asset_key.to_user_string()}:{check.check_name}"
            f" {check.description or ''}"
        )
    print_summary(warehouse, published, run_started)
    took = time.monotonic() - started
    if result.success:
        print(f"\ncjm run succeeded in {took:.1f} s (Dagster run {result.run_id})")
        return EXIT_OK
    print(
        f"\ncjm run FAILED in {took:.1f} s (Dagster run {result.run_id}). Nothing was published:"
        " BI tools keep reading the last good marts. See the messages above for the file, row"
        " and column; `cjm status` lists the quarantine.",
        file=sys.stderr,
    )
    return EXIT_RUN_FAILED


def command_generate(args: argparse.Namespace) -> int:
    from orchestration.generate import generate_exports

    out = Path(args.out).resolve()
    started = time.monotonic()
    truth = generate_exports(
        out,
        customers=args.customers,
        days=args.days,
        seed=args.seed,
        start_date=dt.date.fromisoformat(args.start_date),
    )
    expected = truth.get("expected", {})
    print(f"wrote sample exports to {out} in {time.monotonic() - started:.1f} s")
    for name, count in expected.get("raw_rows", {}).items():
        print(f"  {name}: {count} rows")
    print(f"  truth: {out / 'truth.json'}")
    return EXIT_OK


def command_benchmark(args: argparse.Namespace) -> int:
    import tempfile

    from orchestration.benchmark import compare_results, print_report, run_benchmark

    with tempfile.TemporaryDirectory(prefix="cjm-benchmark-") as tmp:
        workdir = Path(tmp)
        if args.landing:
            landing = Path(args.landing).resolve()
        else:
            from orchestration.generate import generate_exports

            landing = workdir / "landing"
            started = time.monotonic()
            generate_exports(landing, customers=args.customers, days=args.days, seed=args.seed)
            print(
                f"generated {args.customers} customers x {args.days} days in "
                f"{time.monotonic() - started:.1f} s (not part of the figures)"
            )
        measurements = run_benchmark(landing, workdir)
        print_report(landing, measurements)
        if any(m.exit_code for m in measurements):
            print("a measured command failed; figures are not comparable", file=sys.stderr)
            return EXIT_RUN_FAILED
        problems = compare_results(workdir / "bench.duckdb", workdir / "baseline.json")
        print(
            "  results: "
            + (
                "marts agree with the plain-SQL baseline"
                if not problems
                else "DISAGREE: " + "; ".join(problems)
            )
        )
    return EXIT_RUN_FAILED if problems else EXIT_OK


def command_status(args: argparse.Namespace) -> int:
    warehouse = Path(args.warehouse).resolve()
    published = Path(args.published).resolve() if args.published else published_path_for(warehouse)
    if not warehouse.exists():
        print(f"no warehouse at {warehouse}; run `cjm run` first", file=sys.stderr)
        return EXIT_USAGE
    try:
        con = connect_duckdb(warehouse, read_only=True)
    except WarehouseLockedError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_RUN_FAILED
    with con:
        ledger = con.execute(
            "select source_file, status, source_format, rows_read, rows_loaded,"
            " rows_quarantined, strftime(loaded_at, '%Y-%m-%d %H:%M') from ops.load_ledger"
            " order by loaded_at, source_file"
        ).fetchall()
        print("Load ledger (ops.load_ledger)")
        print(
            _table(
                ledger,
                ["file", "status", "format", "read", "loaded", "quarantined", "loaded at (UTC)"],
            )
        )
        quarantine = con.execute(
            "select source_file, source_row, column_name, coalesce(check_name, 'ingestion'),"
            " reason from ops.quarantine order by source_file, source_row limit ?",
            [args.limit],
        ).fetchall()
        total = con.execute("select count(*) from ops.quarantine").fetchall()[0][0]
        print(
            f"\nQuarantine (ops.quarantine): {total} rows"
            + (f", first {args.limit}" if total > args.limit else "")
        )
        for file, row, column, by, reason in quarantine:
            print(f"  {file} row {row} column {column or '-'} [{by}]: {reason}")
    if published.exists():
        with connect_duckdb(published, read_only=True) as con:
            at = con.execute("select max(published_at) from meta.publication").fetchall()[0][0]
        print(f"\nPublished marts: {published} (published {at:%Y-%m-%d %H:%M:%S} UTC)")
    else:
        print(f"\nNo published marts yet ({published}).")
    return EXIT_OK


def _add_warehouse_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warehouse",
        default=os.environ.get("CJM_WAREHOUSE", str(DEFAULT_WAREHOUSE)),
        metavar="FILE",
        help="working DuckDB file (default: %(default)s; env CJM_WAREHOUSE)",
    )
    parser.add_argument(
        "--published",
        default=os.environ.get("CJM_PUBLISHED"),
        metavar="FILE",
        help="DuckDB file BI tools read (default: <warehouse>_marts.duckdb beside the "
        "warehouse; env CJM_PUBLISHED)",
    )


def _add_generation_flags(parser: argparse.ArgumentParser, customers: int) -> None:
    parser.add_argument(
        "--customers",
        type=int,
        default=customers,
        metavar="N",
        help="people to simulate (default: %(default)s)",
    )
    parser.add_argument(
        "--days", type=int, default=60, metavar="D", help="days of activity (default: %(default)s)"
    )
    parser.add_argument(
        "--seed", type=int, default=42, metavar="S", help="random seed (default: %(default)s)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cjm",
        description="Customer-journey warehouse: survey, CRM and web-analytics exports onto one "
        "journey map (Dagster + dbt + DuckDB + Great Expectations).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="ingest, check, build, test and publish (the main Dagster job)",
        description="Ingest everything new in the landing folder, run the blocking quality "
        "checks, build and test the dbt models and publish the marts for BI tools. Executes "
        "the Dagster job `journey_warehouse` in-process; exits 1 when a check or test fails "
        "(the published marts then stay as they were).",
    )
    run.add_argument(
        "--landing",
        default=os.environ.get("CJM_LANDING", str(DEFAULT_LANDING)),
        metavar="DIR",
        help="folder with survey/, crm/ and web/ exports (default: %(default)s; env CJM_LANDING)",
    )
    _add_warehouse_flags(run)
    run.add_argument(
        "--verbose", action="store_true", help="also print dbt's line for every model and test"
    )
    run.set_defaults(handler=command_run)

    generate = commands.add_parser(
        "generate",
        help="write synthetic exports in the real formats, with truth.json",
        description="Write synthetic survey (Qualtrics), CRM (Salesforce) and web (GA4) exports "
        "in their real formats into a landing folder, plus truth.json: the figures the data "
        "was planted with. Same seed, same bytes.",
    )
    generate.add_argument("--out", required=True, metavar="DIR", help="landing folder to write")
    _add_generation_flags(generate, customers=2000)
    generate.add_argument(
        "--start-date",
        default="2026-09-01",
        metavar="YYYY-MM-DD",
        help="first day of activity (default: %(default)s)",
    )
    generate.set_defaults(handler=command_generate)

    benchmark = commands.add_parser(
        "benchmark",
        help="time and memory of `cjm run` against plain DuckDB SQL",
        description="Generate exports (or use --landing), then measure wall time and peak "
        "memory of `cjm run` and of the same metrics computed in one plain DuckDB SQL script, "
        "each in a child process, and print both with their ratio. Also checks that both "
        "give the same NPS per touchpoint, touchpoint counts and funnel.",
    )
    _add_generation_flags(benchmark, customers=20000)
    benchmark.add_argument(
        "--landing", metavar="DIR", help="measure on these exports instead of generating"
    )
    benchmark.set_defaults(handler=command_benchmark)

    status = commands.add_parser(
        "status",
        help="show the load ledger, the quarantine and the last publication",
        description="Show which files were loaded (ops.load_ledger), which rows are in "
        "quarantine and why (ops.quarantine), and when the marts were last published.",
    )
    _add_warehouse_flags(status)
    status.add_argument(
        "--limit",
        type=int,
        default=50,
        metavar="N",
        help="quarantine rows to list (default: %(default)s)",
    )
    status.set_defaults(handler=command_status)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
