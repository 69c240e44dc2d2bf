"""`cjm run`'s Dagster instance writes the same run history as Dagster's own SQLite storage."""

from collections import Counter
from pathlib import Path

import dagster as dg
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from orchestration.run_history import BATCH_SIZE, PooledSqliteEventLogStorage, open_instance


@dg.asset
def upstream() -> int:
    return 1


@dg.asset(
    deps=[upstream],
    check_specs=[dg.AssetCheckSpec("positive", asset="downstream", blocking=True)],
)
def downstream(context: dg.AssetExecutionContext):
    context.log.info("building downstream")
    yield dg.Output(2)
    yield dg.AssetCheckResult(check_name="positive", passed=True)


JOB = dg.Definitions(
    assets=[upstream, downstream],
    jobs=[dg.define_asset_job("small", executor_def=dg.in_process_executor)],
).resolve_job_def("small")


def _history(home: Path, run_id: str) -> tuple[Counter, list[str]]:
    """Event types of the run and the check's execution statuses, read by a fresh instance
    with Dagster's own storage (as the UI reads them)."""
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.event_log_storage) is SqliteEventLogStorage
        records = instance.get_records_for_run(run_id).records
        kinds = Counter(
            r.event_log_entry.dagster_event_type
            for r in records
            if r.event_log_entry.is_dagster_event
        )
        check = dg.AssetCheckKey(dg.AssetKey("downstream"), "positive")
        executions = instance.event_log_storage.get_asset_check_execution_history(check, limit=5)
        planned = instance.get_latest_planned_materialization_info(dg.AssetKey("upstream"))
        assert planned is not None and planned.run_id == run_id
        materialized = instance.get_latest_materialization_event(dg.AssetKey("downstream"))
        assert materialized is not None and materialized.run_id == run_id
    return kinds, [e.status.value for e in executions]


def _run(home: Path, pooled: bool) -> tuple[Counter, list[str]]:
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    if pooled:
        instance = open_instance(home)
        assert type(instance.event_log_storage) is PooledSqliteEventLogStorage
    else:
        instance = dg.DagsterInstance.from_config(str(home))
    with instance:
        result = JOB.execute_in_process(instance=instance)
        assert result.success
    return _history(home, result.run_id)


def test_pooled_storage_records_what_dagsters_own_storage_records(tmp_path, monkeypatch) -> None:
    """Planned events (written as one batch), steps, logs, materializations and the check's
    execution row: the same event types and counts as with Dagster's storage, readable by an
    instance that knows nothing of the pooled one."""
    monkeypatch.delenv(BATCH_SIZE, raising=False)  # open_instance sets it; restored after
    ours = _run(tmp_path / "pooled", pooled=True)
    theirs = _run(tmp_path / "dagster", pooled=False)

    assert ours == theirs
    kinds, statuses = ours
    assert kinds[dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED] == 2
    assert kinds[dg.DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED] == 1
    assert kinds[dg.DagsterEventType.ASSET_MATERIALIZATION] == 2
    assert statuses == ["SUCCEEDED"]


def test_a_second_run_in_the_same_process_reuses_the_engines(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv(BATCH_SIZE, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    with open_instance(home) as instance:
        first = JOB.execute_in_process(instance=instance)
        engines = dict(instance.event_log_storage._engines)
        second = JOB.execute_in_process(instance=instance)
        assert first.success and second.success
        # the index file's engine is the same one; each run adds its own run file
        assert instance.event_log_storage._engines["index"] is engines["index"]
        assert second.run_id in instance.event_log_storage._engines
    with dg.DagsterInstance.from_config(str(home)) as fresh:
        assert {r.run_id for r in fresh.get_runs()} == {first.run_id, second.run_id}
