"""What an operator sees in Dagster: owners and descriptions on every asset, a daily schedule
that is off until turned on, freshness warnings per source, one run at a time, NPS per
touchpoint on the publish step."""

from __future__ import annotations

import datetime as dt
import shutil

import dagster as dg
import duckdb
import pytest

from orchestration.cli import ensure_dagster_yaml
from orchestration.definitions import build_definitions, defs
from orchestration.ingestion import RAW_TABLES
from orchestration.publish import nps_by_touchpoint
from orchestration.quality.freshness import build_freshness_check, evaluate_freshness
from orchestration.resources import WarehouseResource, published_path_for
from orchestration.sensors import build_daily_schedule


def test_every_asset_has_owners_and_a_description():
    graph = defs.resolve_asset_graph()
    keys = graph.get_all_asset_keys()
    assert [k for k in keys if not graph.get(k).owners] == []
    assert [k for k in keys if not (graph.get(k).description or "").strip()] == []
    owners = {k.to_user_string(): set(graph.get(k).owners) for k in keys}
    # the teams of seed touchpoints own their touchpoints and the sources that feed them
    assert {"team:sales", "team:customer-support"} <= owners["raw/crm_opportunities"]
    assert {"team:marketing", "team:e-commerce"} <= owners["landing/web"]
    assert "team:product-marketing" in owners["journey_map/touchpoints"]
    assert owners["marts/agg_nps"] == {"team:customer-experience-analytics"}  # dbt meta
    assert owners["staging/stg_web__events"] == {"team:data-engineering"}
    assert "landing/followups" in owners


def test_the_daily_schedule_is_off_until_turned_on(monkeypatch):
    schedule = defs.resolve_schedule_def("daily_journey_warehouse")
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert schedule.cron_schedule == "0 6 * * *" and schedule.job_name == "journey_warehouse"
    monkeypatch.setenv("CJM_SCHEDULE_CRON", "30 2 * * 1-5")
    monkeypatch.setenv("CJM_SCHEDULE_TIMEZONE", "Europe/Berlin")
    configured = build_daily_schedule("journey_warehouse")
    assert configured.cron_schedule == "30 2 * * 1-5"
    assert configured.execution_timezone == "Europe/Berlin"


def test_freshness_warns_per_source_when_no_new_export_arrived(sample_run, tmp_path, monkeypatch):
    warehouse = tmp_path / "old.duckdb"
    shutil.copy(sample_run.warehouse, warehouse)
    resource = WarehouseResource(
        path=str(warehouse),
        landing_dir=str(sample_run.landing),
        published_path=str(published_path_for(warehouse)),
    )
    fresh = build_freshness_check("web_events")(warehouse=resource)
    assert fresh.passed and fresh.severity == dg.AssetCheckSeverity.WARN
    # the last web export arrived 3 days ago, the last CRM export 3 days ago too
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update ops.load_ledger set loaded_at = loaded_at - interval 3 day")
        # an optional export this landing folder never had (older samples have no contact roles)
        con.execute("delete from ops.load_ledger where raw_table = 'crm_opportunity_contact_roles'")
    web = build_freshness_check("web_events")(warehouse=resource)
    crm = build_freshness_check("crm_contacts")(warehouse=resource)
    roles = build_freshness_check("crm_opportunity_contact_roles")(warehouse=resource)
    assert not web.passed and "no new export of raw.web_events for 72." in web.description
    assert "CJM_FRESHNESS_HOURS_WEB" in web.description and "<landing>/web/" in web.description
    assert crm.passed  # CRM exports are weekly: 192 h allowed by default
    assert roles.passed and "no export" in roles.description  # never delivered: optional
    monkeypatch.setenv("CJM_FRESHNESS_HOURS_CRM", "24")
    assert not build_freshness_check("crm_contacts")(warehouse=resource).passed
    monkeypatch.setenv("CJM_FRESHNESS_HOURS_CRM", "a week")
    with pytest.raises(ValueError, match="CJM_FRESHNESS_HOURS_CRM='a week'"):
        evaluate_freshness(dt.datetime(2026, 1, 1), dt.datetime(2026, 1, 2), "crm_contacts")


def test_the_job_has_a_freshness_check_per_raw_table():
    checks = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    assert {f"fresh_{table}" for table in RAW_TABLES} <= checks


def test_one_run_at_a_time_in_the_instance_cjm_and_make_ui_use(tmp_path):
    ensure_dagster_yaml(tmp_path / "home")
    with dg.DagsterInstance.from_config(str(tmp_path / "home")) as instance:
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1


def test_the_publish_step_reports_nps_per_touchpoint(sample_run):
    nps = nps_by_touchpoint(sample_run.published)
    expected = sample_run.query(
        "select scope_id, nps, responses from marts.agg_nps where scope_type = 'touchpoint'"
        " and period_grain = 'all' and nps is not null order by 1",
        published=True,
    )
    assert nps == expected and len(nps) >= 5


def test_definitions_build_for_any_warehouse(tmp_path):
    resource = WarehouseResource(
        path=str(tmp_path / "w.duckdb"),
        landing_dir=str(tmp_path),
        published_path=str(tmp_path / "w_marts.duckdb"),
    )
    assert build_definitions(resource).resolve_job_def("journey_warehouse")


def test_the_flow_diagram_in_docs_is_current():
    """docs/flow.dot (and the SVG/PNG rendered from it) is drawn from these definitions."""
    from orchestration.diagram import DOCS, flow_dot

    assert (DOCS / "flow.dot").read_text(encoding="utf-8") == flow_dot(defs), (
        "the assets changed since docs/flow.* was drawn: run `make diagram`"
    )
