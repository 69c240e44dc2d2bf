"""The landing-folder sensor asks for a run exactly when export files are added or changed."""

from __future__ import annotations

import os

import dagster as dg

from orchestration.definitions import build_definitions
from orchestration.resources import WarehouseResource
from tests.conftest import make_landing


def _evaluate(defs: dg.Definitions, cursor: str | None):
    sensor = defs.resolve_sensor_def("landing_folder_sensor")
    with dg.build_sensor_context(cursor=cursor, resources=defs.resources) as context:
        result = sensor.evaluate_tick(context)
    return result, result.cursor


def test_runs_on_new_and_changed_files_only(tmp_path):
    landing = make_landing(tmp_path, {"crm/Account.csv": '"Id"\n"001000000000001AAA"\n'})
    warehouse = WarehouseResource(
        path=str(tmp_path / "w.duckdb"),
        landing_dir=str(landing),
        published_path=str(tmp_path / "w_marts.duckdb"),
    )
    defs = build_definitions(warehouse)

    first, cursor = _evaluate(defs, None)
    assert len(first.run_requests) == 1

    again, same_cursor = _evaluate(defs, cursor)
    assert again.run_requests == [] and same_cursor == cursor
    assert "none added or changed" in again.skip_message

    (landing / "web").mkdir()
    (landing / "web" / "events_20261201.json").write_text('{"event_name": "page_view"}\n')
    added, cursor = _evaluate(defs, cursor)
    assert len(added.run_requests) == 1

    account = landing / "crm" / "Account.csv"
    stat = account.stat()
    os.utime(account, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    changed, _ = _evaluate(defs, cursor)
    assert len(changed.run_requests) == 1


def test_skips_an_empty_landing_folder(tmp_path):
    landing = tmp_path / "empty"
    landing.mkdir()
    defs = build_definitions(
        WarehouseResource(path=str(tmp_path / "w.duckdb"), landing_dir=str(landing),
                          published_path=str(tmp_path / "p.duckdb"))
    )  # fmt: skip
    result, _ = _evaluate(defs, None)
    assert result.run_requests == []
    assert "no export files" in result.skip_message
