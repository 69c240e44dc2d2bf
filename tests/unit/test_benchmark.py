"""`cjm benchmark`'s one-day incremental run: the landing folder plus the next GA4 day."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from orchestration.benchmark import dbt_seconds, next_day


def test_next_day_links_every_file_and_moves_the_newest_day_by_one(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    (landing / "web").mkdir(parents=True)
    (landing / "crm").mkdir()
    (landing / "crm" / "Contact.csv").write_text('"Id"\n"003"\n', encoding="utf-8")
    (landing / "web" / "events_20261001.json").write_text("{}\n", encoding="utf-8")
    event = {"event_date": "20261031", "event_timestamp": "1793491200000000",
             "event_previous_timestamp": None, "event_name": "page_view"}  # fmt: skip
    with gzip.open(landing / "web" / "events_20261031.json.gz", "wt") as day:
        day.write(json.dumps(event) + "\n\n")

    target = next_day(landing, tmp_path / "plus_one")

    assert target is not None
    linked = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_symlink())
    assert linked == ["crm/Contact.csv", "web/events_20261001.json", "web/events_20261031.json.gz"]
    with gzip.open(target / "web" / "events_20261101.json.gz", "rt") as moved:
        events = [json.loads(line) for line in moved]
    assert events == [{**event, "event_date": "20261101", "event_timestamp": "1793577600000000"}]


def test_next_day_needs_a_ga4_export(tmp_path: Path) -> None:
    (tmp_path / "landing" / "web").mkdir(parents=True)
    assert next_day(tmp_path / "landing", tmp_path / "plus_one") is None


def _node_finished(unique_id: str, started: str, completed: str) -> str:
    timing = [{"name": "execute", "started_at": started, "completed_at": completed}]
    return json.dumps({
        "info": {"name": "NodeFinished", "ts": completed},
        "data": {"node_info": {"unique_id": unique_id}, "run_result": {"timing_info": timing}},
    })  # fmt: skip


def test_dbt_seconds_reads_the_node_results_of_dbts_json_log(tmp_path: Path) -> None:
    """The job's dbt build writes no run_results.json: model and test time come from the
    NodeFinished events of dbt.log and its rotated parts; a model and a test that overlap
    count once, as model time."""
    (tmp_path / "dbt.log.1").write_text(
        _node_finished("model.p.a", "2026-01-01T00:00:00Z", "2026-01-01T00:00:04Z") + "\n"
    )
    (tmp_path / "dbt.log").write_text(
        json.dumps({"info": {"name": "NodeStart"}, "data": {}}) + "\n"
        + _node_finished("test.p.t1", "2026-01-01T00:00:03Z", "2026-01-01T00:00:06Z") + "\n"
        + _node_finished("seed.p.s", "2026-01-01T00:00:10Z", "2026-01-01T00:00:11Z") + "\n"
    )  # fmt: skip

    assert dbt_seconds(tmp_path) == {"dbt models": 5.0, "dbt tests": 2.0}
