"""The `cjm` command: run the main Dagster job in-process, generate sample exports, show status.

`cjm run` executes the very job that `dagster dev` shows (``journey_warehouse``), in this
process, against a Dagster instance kept beside the warehouse, so its runs appear in the UI.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import io
import os
import re
import signal
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

from orchestration.engine import ENGINES, EngineError, spark_dbt_executable
from orchestration.ingestion.schema import has_table
from orchestration.resources import (
    DEFAULT_LANDING,
    DEFAULT_WAREHOUSE,
    REPO_ROOT,
    RunLock,
    WarehouseBusyError,
    WarehouseLockedError,
    WarehouseNotWritableError,
    check_writable,
    connect_duckdb,
    report_path_for,
    warehouse_paths,
)
from orchestration.transform.incremental import FULL_REFRESH

# Exit codes (README "Exit codes"): what a scheduler can tell apart.
EXIT_OK = 0  # every file applied, every error-level check and test passed, marts published
EXIT_RUN_FAILED = 1  # a quality check or dbt test failed, or a step crashed: nothing published
EXIT_USAGE = 2  # wrong flags, missing landing folder, warehouse not writable
EXIT_FILES = 3  # a file was held, failed or unrecognised (cjm status says which and why)
EXIT_BUSY = 4  # another run holds the warehouse; nothing was changed
DAGSTER_YAML = """\
# Dagster instance of cjm run and make ui (written once; edit freely)
telemetry:
  enabled: false
nux:
  enabled: false
# One run at a time: a DuckDB file has one writer. Runs started by the schedule, the sensor or
# the UI wait in the run queue until the running one has finished.
concurrency:
  runs:
    max_concurrent_runs: 1
"""


def ensure_dagster_yaml(home: Path) -> Path:
    """The instance's dagster.yaml, written with DAGSTER_YAML when it does not exist yet."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    return config


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
    warehouse, published = warehouse_paths(args.warehouse, args.published)
    os.environ["CJM_WAREHOUSE"] = str(warehouse)
    os.environ["CJM_PUBLISHED"] = str(published)
    landing = Path(args.landing).resolve()  # defaults to CJM_LANDING, then seeds/
    os.environ["CJM_LANDING"] = str(landing)
    home = Path(os.environ.get("DAGSTER_HOME") or warehouse.parent / "dagster_home").resolve()
    ensure_dagster_yaml(home)
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


def _print_sources(con, run_started: dt.datetime) -> None:  # noqa: ANN001
    rows = con.execute(
        "select coalesce(raw_table, '(unrecognised)'),"
        " count(*) filter (where loaded_at >= ? and status in ('loaded', 'superseded')),"
        " coalesce(sum(rows_read) filter (where loaded_at >= ?), 0),"
        " coalesce(sum(rows_loaded) filter (where loaded_at >= ?), 0),"
        " coalesce(sum(rows_quarantined) filter (where loaded_at >= ?), 0),"
        " coalesce(sum(rows_held) filter (where loaded_at >= ?), 0)"
        " from ops.load_ledger group by all order by 1",
        [run_started] * 5,
    ).fetchall()
    print("\nSources (this run)")
    print(_table(rows, ["raw table", "new files", "rows read", "loaded", "quarantined", "held"]))


def _print_files_needing_action(problems: list[tuple]) -> None:
    if not problems:
        return
    print(f"\nFiles not applied ({len(problems)}): the warehouse keeps the earlier copy")
    for file, status, message, _notes in problems:
        print(f"  {status.upper()} {file}\n    {message}")


def _print_notes(con, run_started: dt.datetime) -> None:  # noqa: ANN001
    rows = con.execute(
        "select source_file, notes from ops.load_ledger where loaded_at >= ?"
        " and status = 'loaded' and notes is not null order by source_file",
        [run_started],
    ).fetchall()
    if rows:
        print("\nNotes on files loaded this run")
        for file, notes in rows:
            for note in notes.splitlines():
                print(f"  {file}: {note}")


def _print_quarantine(con) -> None:  # noqa: ANN001
    quarantined = con.execute(
        "select raw_table, coalesce(check_name, 'ingestion'), count(*) from ops.quarantine"
        " where retired_at is null group by all order by all"
    ).fetchall()
    if quarantined:
        print("\nQuarantine (ops.quarantine, rows kept out of the marts)")
        print(_table(quarantined, ["raw table", "put there by", "rows"]))


def _print_nps(con) -> None:  # noqa: ANN001
    nps = con.execute(
        "select n.scope_id, t.phase_id, n.responses, n.nps, n.nps_ci_low, n.nps_ci_high"
        " from marts.agg_nps as n left join marts.dim_touchpoints as t"
        " on n.scope_id = t.touchpoint_id"
        " where n.period_grain = 'all' and n.scope_type = 'touchpoint'"
        " order by n.nps desc nulls last"
    ).fetchall()
    if not nps:
        print("\nNPS: no survey responses with an NPS answer yet.")
        return
    print("\nNPS per touchpoint (all time, 95% adjusted-Wald interval)")
    print(
        _table(
            [(s, p, n, _fmt(v), f"{_fmt(lo)} .. {_fmt(hi)}") for s, p, n, v, lo, hi in nps],
            ["touchpoint", "phase", "responses", "NPS", "interval"],
        )
    )
    for responses, value, low, high in con.execute(
        "select responses, nps, nps_ci_low, nps_ci_high from marts.agg_nps"
        " where period_grain = 'all' and scope_type = 'overall'"
    ).fetchall():
        print(
            f"  overall: NPS {_fmt(value)} from {responses} responses ({_fmt(low)} .. {_fmt(high)})"
        )


def _percent(value: float | None) -> str | None:
    return None if value is None else _fmt(100 * value)


def _print_funnel(con) -> None:  # noqa: ANN001
    funnel = con.execute(
        "select f.journey_id, f.phase_id, f.customers_entered, f.customers_reached_next,"
        " f.conversion_to_next, f.conversion_from_first, f.median_hours_to_next,"
        " f.p90_hours_to_next from marts.agg_phase_funnel as f"
        " join marts.dim_phases as p on f.phase_id = p.phase_id"
        " order by f.journey_id, p.phase_order"
    ).fetchall()
    if not funnel or not any(row[2] for row in funnel):
        print("\nPhase funnel: no customer has entered a journey phase yet.")
        return
    print("\nPhase funnel")
    print(
        _table(
            [
                (j, p, e, r, _percent(c), _percent(f), _fmt(m), _fmt(p90))
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
        )  # fmt: skip
    )


def _published_in(result) -> bool:  # noqa: ANN001 (an ExecuteInProcessResult)
    """True when the run materialized bi/published_marts (BI reads this run's marts)."""
    return any(
        e.asset_key is not None and e.asset_key.path == ["bi", "published_marts"]
        for e in result.get_asset_materialization_events()
    )


def _failure_message(event) -> str:  # noqa: ANN001 (a step failure DagsterEvent)
    """The step and its error: a dg.Failure's description, else the exception's message."""
    error = event.step_failure_data.error
    message = error.message.strip() if error else "no error recorded"
    return f"step {event.step_key} failed: {message}"


def print_summary(warehouse: Path, published: Path, run_started: dt.datetime) -> list[tuple]:
    """Rows per source for this run, files not applied, notes, quarantine, NPS and funnel.

    Returns the files whose latest delivery was not applied (for the exit code). Never assumes
    a table has rows: a landing folder with only one source, or no survey answers, is normal.
    """
    if not warehouse.exists():
        return []
    try:
        con = connect_duckdb(warehouse, read_only=True)
    except WarehouseLockedError as error:
        print(f"\n(no summary: {error})")
        return []
    problems: list[tuple] = []
    with con:
        if has_table(con, "ops", "load_ledger"):
            _print_sources(con, run_started)
            from orchestration.ingestion.ledger import files_needing_action

            problems = files_needing_action(con)
            _print_files_needing_action(problems)
            _print_notes(con, run_started)
            _print_quarantine(con)
    _print_published(published, run_started)
    return problems


def _published_at(con) -> dt.datetime | None:  # noqa: ANN001
    if not has_table(con, "meta", "publication"):
        return None
    return con.execute("select max(published_at) from meta.publication").fetchall()[0][0]


def _print_published(published: Path, run_started: dt.datetime | None) -> None:
    if not published.exists():
        print(f"\nNo published marts yet ({published}).")
        return
    with connect_duckdb(published, read_only=True) as con:
        published_at = _published_at(con)
        when = f"{published_at:%Y-%m-%d %H:%M:%S} UTC" if published_at else "time unknown"
        print(f"\nPublished marts: {published} (published {when})")
        if run_started is None:
            return
        if published_at is None or published_at < run_started.replace(tzinfo=None):
            print("  ! not replaced by this run: BI tools still read the last good version")
        if has_table(con, "marts", "agg_nps") and has_table(con, "marts", "dim_touchpoints"):
            _print_nps(con)
        if has_table(con, "marts", "agg_phase_funnel"):
            _print_funnel(con)


def command_run(args: argparse.Namespace) -> int:
    landing = Path(args.landing).resolve()
    if not landing.is_dir():
        print(
            f"error: landing folder {landing} does not exist. Pass --landing DIR with "
            "survey/, crm/ and web/ sub-folders (see README).",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        check_writable(Path(args.warehouse).resolve())
    except WarehouseNotWritableError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    landing, warehouse, published = _configure_environment(args)
    lock = RunLock(warehouse)
    try:
        lock.acquire()
    except WarehouseBusyError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BUSY
    try:
        return _run_holding_lock(args, landing, warehouse, published)
    finally:
        lock.release()


@contextlib.contextmanager
def _no_garbage_collection_while_loading() -> Iterator[None]:
    """Python's cyclic garbage collector off from loading the code location to the first step.

    Loading the definitions (~100 assets and ~430 dbt tests as asset checks) and creating the
    run (its snapshots and one planned event per asset and check) allocate millions of objects
    and free few: the collector ran ~700 times in between, ~0.5 s of CPU for nothing to
    collect. ``orchestration.progress`` turns it on again when the first step starts; this
    turns it on when the run ends in any case.
    """
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _execute_main_job():  # noqa: ANN202 (an ExecuteInProcessResult; dagster is imported here)
    """The main job in this process, recorded in the instance at DAGSTER_HOME."""
    from orchestration.definitions import MAIN_JOB_NAME, build_definitions
    from orchestration.run_history import open_instance

    job = build_definitions().resolve_job_def(MAIN_JOB_NAME)
    with open_instance(Path(os.environ["DAGSTER_HOME"])) as instance:
        return job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": {"progress": {}}},
        )


def _run_holding_lock(
    args: argparse.Namespace, landing: Path, warehouse: Path, published: Path
) -> int:
    os.environ["CJM_ENGINE"] = args.engine
    if args.engine == "spark":
        try:  # before anything is changed: say how to install it
            spark_dbt_executable()
        except EngineError as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_USAGE
    if warehouse.exists():
        try:  # fail before starting the job when another process holds the warehouse
            connect_duckdb(warehouse).close()
        except WarehouseLockedError as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_BUSY
    for file in args.accept or []:
        code = accept_file(landing, warehouse, file)
        if code != EXIT_OK:
            return code
    if args.full_refresh:
        os.environ[FULL_REFRESH] = "true"
    _quiet_library_warnings()
    print(f"cjm run: landing   {landing}")
    print(f"         warehouse {warehouse}")
    print(f"         published {published}")
    if args.engine != "duckdb":
        print(f"         engine    {args.engine}")
    started = time.monotonic()
    run_started = dt.datetime.now(dt.UTC)
    print("loading the Dagster code location (dbt manifest, assets, checks) ...", flush=True)
    from dagster import AssetCheckSeverity

    quiet_dbt = (
        contextlib.nullcontext()
        if args.verbose
        else contextlib.redirect_stdout(_DbtNodeLineFilter(sys.stdout))
    )
    with _no_garbage_collection_while_loading(), quiet_dbt:
        result = _execute_main_job()
    checks = result.get_asset_check_evaluations()
    failed = [c for c in checks if not c.passed and c.severity == AssetCheckSeverity.ERROR]
    warned = [c for c in checks if not c.passed and c.severity != AssetCheckSeverity.ERROR]
    print(
        f"\nchecks: {len(checks) - len(failed) - len(warned)} passed, {len(failed)} failed,"
        f" {len(warned)} warnings"
    )
    for check in [*failed, *warned]:
        word = "FAILED " if check in failed else "warning"
        print(
            f"  {word} {check.asset_key.to_user_string()}:{check.check_name}"
            f" {check.description or ''}"
        )
    problems = print_summary(warehouse, published, run_started)
    took = time.monotonic() - started
    # A held file fails its deliveries_<table> check (and that check's step) on purpose: that
    # is exit 3, not a failed quality gate.
    gate_failed = [c for c in failed if not c.check_name.startswith("deliveries_")]
    crashed = [
        e for e in result.get_step_failure_events() if "deliveries_" not in (e.step_key or "")
    ]
    if gate_failed or crashed:
        if _published_in(result):  # a step after publishing failed (e.g. the outbox)
            reasons = "; ".join(_failure_message(e) for e in crashed)
            print(
                f"\ncjm run FAILED in {took:.1f} s (Dagster run {result.run_id}) after the marts"
                f" were published (BI tools read this run's marts): {reasons}",
                file=sys.stderr,
            )
            return EXIT_RUN_FAILED
        print(
            f"\ncjm run FAILED in {took:.1f} s (Dagster run {result.run_id}). Nothing was"
            " published: BI tools keep reading the last good marts. See the messages above for"
            " the file, row and column; `cjm status` lists the quarantine.",
            file=sys.stderr,
        )
        return EXIT_RUN_FAILED
    if problems:
        kept = any(status == "held" for _, status, _, _ in problems) or not result.success
        print(
            f"\ncjm run finished in {took:.1f} s (Dagster run {result.run_id}) but"
            f" {len(problems)} file(s) were not applied (see 'Files not applied' above;"
            " `cjm status` repeats it). "
            + (
                "Nothing was published: BI tools keep reading the last good marts."
                if kept
                else "The other files were applied and published."
            ),
            file=sys.stderr,
        )
        return EXIT_FILES
    if not result.success:
        print(f"\ncjm run FAILED in {took:.1f} s (Dagster run {result.run_id}).", file=sys.stderr)
        return EXIT_RUN_FAILED
    print(f"\ncjm run succeeded in {took:.1f} s (Dagster run {result.run_id})")
    return EXIT_OK


def _landing_relative(landing: Path, file: str) -> str | None:
    path = Path(file)
    if not path.is_absolute():
        candidate = (landing / path).resolve()
        path = candidate if candidate.exists() else path.resolve()
    try:
        return path.resolve().relative_to(landing).as_posix()
    except ValueError:
        return None


def accept_file(landing: Path, warehouse: Path, file: str) -> int:
    """Record that the held file ``file`` may be applied (at the next run)."""
    import getpass

    from orchestration.ingestion.ledger import CURRENT_FILES_SQL, accept_delivery
    from orchestration.ingestion.textfile import file_digest

    source_file = _landing_relative(landing, file)
    if source_file is None or not (landing / source_file).is_file():
        print(f"error: {file} is not a file in the landing folder {landing}", file=sys.stderr)
        return EXIT_USAGE
    if not warehouse.exists():
        print(f"error: no warehouse at {warehouse}; nothing is held", file=sys.stderr)
        return EXIT_USAGE
    sha, _ = file_digest(landing / source_file)
    with connect_duckdb(warehouse) as con:
        current = con.execute(
            f"select status, file_sha256 from ({CURRENT_FILES_SQL}) where source_file = ?",
            [source_file],
        ).fetchall()
        if not current or current[0][0] != "held":
            status = current[0][0] if current else "not in the ledger"
            print(
                f"error: {source_file} is not held (its status is {status}); only a held "
                "re-delivery can be accepted. `cjm status` lists the files and their status.",
                file=sys.stderr,
            )
            return EXIT_USAGE
        if current[0][1] != sha:
            print(
                f"error: {source_file} changed since it was held; run `cjm run` first, then "
                "accept it if it is held again.",
                file=sys.stderr,
            )
            return EXIT_USAGE
        accept_delivery(con, source_file, sha, getpass.getuser())
    print(
        f"accepted {source_file} (sha256 {sha[:12]}...): the next `cjm run` applies it and "
        "replaces the earlier copy."
    )
    return EXIT_OK


def command_accept(args: argparse.Namespace) -> int:
    landing = Path(args.landing).resolve()
    warehouse = Path(args.warehouse).resolve()
    try:
        with RunLock(warehouse):
            codes = [accept_file(landing, warehouse, file) for file in args.files]
    except WarehouseBusyError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BUSY
    return max(codes)


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
        base_customers=args.base_customers,
    )
    expected = truth.get("expected", {})
    print(f"wrote sample exports to {out} in {time.monotonic() - started:.1f} s")
    parameters = truth.get("parameters", {})
    if parameters.get("copies"):
        print(
            f"  {parameters['copies']} copies of a simulated base of "
            f"{parameters['base_customers']} customers: {parameters['customers']} customers "
            "(truth.json `scaling` says which figures are scaled)"
        )
    for name, count in expected.get("raw_rows", {}).items():
        print(f"  {name}: {count} rows")
    print(f"  truth: {out / 'truth.json'}")
    return EXIT_OK


def command_benchmark_comments(labelled: Path) -> int:
    """Accuracy and speed of comment scoring on a labelled set (no warehouse, no job)."""
    from orchestration.comments.evaluate import evaluate

    if not labelled.is_file():
        print(f"no labelled comments at {labelled}", file=sys.stderr)
        return EXIT_USAGE
    result = evaluate(labelled)
    print(f"labelled set: {labelled}")
    for line in result.lines():
        print(line)
    return EXIT_OK


def command_benchmark_churn(landing: Path) -> int:
    """ROC AUC and calibration of the churn-risk score against the planted churners of a
    generated landing folder, and dbt's time for the churn models."""
    import json
    import tempfile

    from orchestration.benchmark import measure
    from orchestration.churn.evaluate import churn_model_seconds, planted_scores, report_lines

    truth_file = landing / "truth.json"
    if not truth_file.is_file():
        print(f"no truth.json in {landing}: --churn needs generated exports", file=sys.stderr)
        return EXIT_USAGE
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    if "churn" not in truth.get("expected", {}):
        print(f"{truth_file} has no planted churn: generate the exports again", file=sys.stderr)
        return EXIT_USAGE
    with tempfile.TemporaryDirectory(prefix="cjm-benchmark-churn-") as tmp:
        warehouse = Path(tmp) / "bench.duckdb"
        home = Path(tmp) / "dagster_home"
        home.mkdir()
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        cjm = str(Path(sys.executable).with_name("cjm"))
        run = measure(
            "cjm run",
            [cjm, "run", "--landing", str(landing), "--warehouse", str(warehouse)],
            env={"DAGSTER_HOME": str(home)},
        )
        if run.exit_code:
            print("cjm run failed; no churn figures", file=sys.stderr)
            return EXIT_RUN_FAILED
        scores, labels = planted_scores(warehouse.with_name("bench_marts.duckdb"), truth)
        seconds = churn_model_seconds(warehouse, Path(tmp) / "target")
    print(f"churn risk on {landing} (cjm run {run.wall_seconds:.1f} s)")
    for line in report_lines(scores, labels):
        print(line)
    print("dbt time of the churn models (rebuilt alone, s):")
    for model, took in seconds.items():
        print(f"  {model:<28} {took:6.2f}")
    return EXIT_OK


def command_benchmark(args: argparse.Namespace) -> int:
    import tempfile

    from orchestration.benchmark import print_report, run_benchmark

    if args.comments:
        return command_benchmark_comments(Path(args.labelled))
    if args.churn:
        return command_benchmark_churn(Path(args.landing or DEFAULT_LANDING).resolve())

    with tempfile.TemporaryDirectory(prefix="cjm-benchmark-") as tmp:
        workdir = Path(args.keep).resolve() if args.keep else Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
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
        result = run_benchmark(landing, workdir)
        print_report(landing, result.measurements, result.rows)
        if any(m.exit_code for m in result.measurements):
            print("a measured command failed; figures are not comparable", file=sys.stderr)
            return EXIT_RUN_FAILED
        problems = result.problems
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
    warehouse, published = warehouse_paths(args.warehouse, args.published)
    if not warehouse.exists():
        print(f"no warehouse at {warehouse}; run `cjm run` first", file=sys.stderr)
        return EXIT_USAGE
    try:
        con = connect_duckdb(warehouse, read_only=True)
    except WarehouseLockedError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BUSY
    with con:
        if not has_table(con, "ops", "load_ledger"):
            print(f"{warehouse} has no load ledger yet; run `cjm run` first")
            return EXIT_USAGE
        from orchestration.ingestion.ledger import CURRENT_FILES_SQL

        files = con.execute(
            f"select source_file, status, source_format, rows_read, rows_loaded,"
            f" rows_quarantined, coalesce(rows_held, 0), strftime(loaded_at, '%Y-%m-%d %H:%M'),"
            f" message, notes from ({CURRENT_FILES_SQL}) order by source_file"
        ).fetchall()
        print("Files (latest delivery of each path, ops.load_ledger)")
        print(
            _table(
                [f[:8] for f in files],
                ["file", "status", "format", "read", "loaded", "quarantined", "held", "at (UTC)"],
            )  # fmt: skip
        )
        for file, status, *_, message, notes in files:
            if status != "loaded" or args.verbose:
                print(f"  {file} [{status}]: {message}")
            for note in (notes or "").splitlines():
                print(f"  {file} note: {note}")
        quarantine = con.execute(
            "select source_file, source_row, column_name, coalesce(check_name, 'ingestion'),"
            " reason from ops.quarantine where retired_at is null"
            " order by source_file, source_row limit ?",
            [args.limit],
        ).fetchall()
        total = con.execute(
            "select count(*) from ops.quarantine where retired_at is null"
        ).fetchall()[0][0]
        print(
            f"\nQuarantine (ops.quarantine): {total} rows"
            + (f", first {args.limit}" if total > args.limit else "")
        )
        for file, row, column, by, reason in quarantine:
            print(f"  {file} row {row} column {column or '-'} [{by}]: {reason}")
    from orchestration.quality.results_page import LATEST, pages_dir

    latest = pages_dir(warehouse) / LATEST
    if latest.exists():
        print(f"\nValidation results of the last run (every suite and expectation): {latest}")
    _print_published(published, None)
    return EXIT_OK


def command_report(args: argparse.Namespace) -> int:
    """Write the journey map page from the published marts and print its path."""
    warehouse, published = warehouse_paths(args.warehouse, args.published)
    output = (
        Path(args.output).resolve()
        if args.output
        else report_path_for(warehouse, os.environ.get("CJM_REPORT_DIR", ""))
    )
    if not published.is_file():
        print(
            f"error: no published marts at {published}; run `cjm run` first, or pass "
            "--published FILE (or --warehouse FILE, whose <stem>_marts.duckdb is used).",
            file=sys.stderr,
        )
        return EXIT_USAGE
    from orchestration.report.builder import write_report

    try:
        result = write_report(published, output)
    except WarehouseLockedError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BUSY
    except OSError as error:
        print(f"error: cannot write {output}: {error.strerror or error}", file=sys.stderr)
        return EXIT_USAGE
    for section, marts in result.missing_sections.items():
        print(f"note: {section} left out: no {', '.join(marts)} in {published}", file=sys.stderr)
    print(result.path)
    if args.open:
        import webbrowser

        if not webbrowser.open(result.path.as_uri()):
            print("note: no browser found; open the path above", file=sys.stderr)
    return EXIT_OK


def command_metrics(args: argparse.Namespace) -> int:
    """MetricFlow's `mf` in the dbt project, on the published marts (read-only) by default."""
    warehouse, published = warehouse_paths(args.warehouse, args.published)
    target = warehouse if args.working else published
    if not target.is_file():
        print(f"error: no {'warehouse' if args.working else 'published marts'} at {target}; "
              "run `cjm run` first", file=sys.stderr)  # fmt: skip
        return EXIT_USAGE
    from orchestration.transform.manifest import default_project_dir

    project_dir = default_project_dir()
    if not (project_dir / "target" / "semantic_manifest.json").is_file():
        print(f"error: no semantic manifest in {project_dir / 'target'}; run `make setup`",
              file=sys.stderr)  # fmt: skip
        return EXIT_USAGE
    mf = Path(sys.executable).with_name("mf")
    import subprocess

    env = dict(os.environ, CJM_WAREHOUSE=str(target))
    env["CJM_WAREHOUSE_READ_ONLY"] = "false" if args.working else "true"
    _quiet_library_warnings()
    mf_args = args.mf_args[1:] if args.mf_args[:1] == ["--"] else args.mf_args
    return subprocess.run([str(mf), *mf_args], cwd=project_dir, env=env, check=False).returncode


def _add_landing_flag(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--landing",
        default=os.environ.get("CJM_LANDING", str(DEFAULT_LANDING)),
        metavar="DIR",
        help=f"{what} (default: %(default)s; env CJM_LANDING)",
    )


def _add_location_flags(parser: argparse.ArgumentParser) -> None:
    """--landing, --warehouse and --published."""
    _add_landing_flag(parser, "landing folder")
    _add_warehouse_flags(parser)


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
        "the Dagster job `journey_warehouse` in-process. Exit codes: 0 all applied and "
        "published; 1 a quality check or dbt test failed (nothing published); 2 usage error; "
        "3 a file was held, failed or unrecognised; 4 another run holds the warehouse.",
    )
    _add_landing_flag(run, "folder with survey/, crm/ and web/ exports")
    _add_warehouse_flags(run)
    run.add_argument(
        "--verbose", action="store_true", help="also print dbt's line for every model and test"
    )
    run.add_argument(
        "--accept",
        action="append",
        metavar="FILE",
        help="apply this held file (path in the landing folder) although it has fewer rows "
        "than its earlier copy; may be given more than once (same as `cjm accept FILE`)",
    )
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild the incremental models (web events, sessions, touchpoints, phase visits) "
        "from all raw rows instead of only the partitions whose input changed (same as "
        "CJM_FULL_REFRESH=true)",
    )
    run.add_argument(
        "--engine",
        choices=ENGINES,
        default=os.environ.get("CJM_ENGINE") or "duckdb",
        help="what builds the dbt models: duckdb, or spark (.venv-spark from `make "
        "spark-setup`; README 'Running on Spark') (default: %(default)s; env CJM_ENGINE)",
    )
    run.set_defaults(handler=command_run)

    accept = commands.add_parser(
        "accept",
        help="apply held re-deliveries at the next run",
        description="A re-delivered file that would remove many of its earlier copy's rows is "
        "held, not applied (ledger status 'held'). `cjm accept FILE` records that these exact "
        "bytes may replace the earlier copy; the next `cjm run` applies them.",
    )
    accept.add_argument(
        "files", nargs="+", metavar="FILE", help="held file, e.g. crm/Opportunity.csv"
    )
    _add_location_flags(accept)
    accept.set_defaults(handler=command_accept)

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
    generate.add_argument(
        "--base-customers",
        type=int,
        metavar="B",
        help="simulate at most this many people (default: 10,000, ~30 s); above, write "
        "K = ceil(N / B) copies of a simulated base of ceil(N / K) people, each copy with its "
        "own ids and the base's timestamps, so counts are K times the base's and rates the same",
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
    benchmark.add_argument(
        "--keep",
        metavar="DIR",
        help="work in DIR and keep it: the warehouse (bench.duckdb), the Dagster home and the "
        "baseline's figures, to look into a slow or failed model afterwards (default: a "
        "temporary directory, removed)",
    )
    benchmark.add_argument(
        "--comments",
        action="store_true",
        help="instead: accuracy (language, sentiment, theme top-1) and comments scored per "
        "second of comment scoring on a labelled set; runs no job",
    )
    benchmark.add_argument(
        "--churn",
        action="store_true",
        help="instead: ROC AUC and calibration table of fct_customer_churn_risk's score "
        "against the churners planted in truth.json of --landing (default: the bundled "
        "sample), and dbt's time for the churn models",
    )
    benchmark.add_argument(
        "--labelled",
        default=str(REPO_ROOT / "tests" / "fixtures" / "comments" / "labelled.csv"),
        metavar="CSV",
        help="labelled comments for --comments (text, language, sentiment, theme; "
        "default: %(default)s)",
    )
    benchmark.set_defaults(handler=command_benchmark)

    status = commands.add_parser(
        "status",
        help="show the load ledger, the quarantine and the last publication",
        description="Show every delivered file with its status (loaded, held, failed, "
        "unrecognised, retired), the reason and notes, which rows are in quarantine and why "
        "(ops.quarantine), and when the marts were last published.",
    )
    _add_warehouse_flags(status)
    status.add_argument(
        "--verbose", action="store_true", help="also print the message of every loaded file"
    )
    status.add_argument(
        "--limit",
        type=int,
        default=50,
        metavar="N",
        help="quarantine rows to list (default: %(default)s)",
    )
    status.set_defaults(handler=command_status)

    report = commands.add_parser(
        "report",
        help="write the journey map page (HTML) from the published marts",
        description="Write the journey map page from the published marts (opened read-only) "
        "and print its path: per journey, phases as columns and touchpoints as cards with NPS "
        "and CSAT (95% intervals, n), weekly trend, targets and owners, moments that matter, "
        "the phase funnel and the latest detractor comments, with a date and persona picker. "
        "One self-contained file that opens with no network. Every successful `cjm run` writes "
        "it too (Dagster asset bi/journey_report). Exit codes: 0 written; 2 no published marts "
        "or output not writable; 4 the published file is locked by another process.",
    )
    _add_warehouse_flags(report)
    report.add_argument(
        "--output",
        metavar="FILE",
        help="where to write the page (default: journey_map.html in reports/ beside the "
        "warehouse; env CJM_REPORT_DIR names another folder)",
    )
    report.add_argument(
        "--open", action="store_true", help="open the page in the default web browser"
    )
    report.set_defaults(handler=command_report)
    metrics = commands.add_parser(
        "metrics",
        help="query the governed metrics (MetricFlow `mf`) on the published marts",
        description="Run MetricFlow's `mf` with the given arguments in the dbt project, on the "
        "published marts opened read-only (the numbers BI tools see), e.g. `cjm metrics query "
        "--metrics nps,csat --group-by survey_response__touchpoint_id`. `cjm metrics list "
        "metrics` lists them. --working queries the working warehouse instead (not while a run "
        'holds it). README "Governed metrics" lists the metrics and dimensions.',
    )
    _add_warehouse_flags(metrics)
    metrics.add_argument(
        "--working",
        action="store_true",
        help="query the working warehouse (read-write, as dbt opens it) instead of the "
        "published marts",
    )
    metrics.add_argument(
        "mf_args", nargs=argparse.REMAINDER, metavar="MF_ARGS", help="arguments for `mf`"
    )
    metrics.set_defaults(handler=command_metrics)
    from orchestration.privacy import add_forget_command  # `cjm forget` (GDPR Art. 17)

    add_forget_command(commands, _add_location_flags)
    return parser


def main(argv: list[str] | None = None) -> int:
    if argv is None:  # the `cjm` command (not a caller in Python, such as the tests)
        # `cjm status | head` ends quietly when the reader closes the pipe, as other CLIs do.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
