"""CX steering marts on the bundled sample reproduce the planted truths of truth.json.

truth.json is computed by the generator from the emitted records alone (orchestration/generate/
truth.py): CSAT and CES per touchpoint, personas and their NPS, and the NPS of answers given
after each touchpoint against the others. The planted effects (persona offsets, demo requests
raise later NPS by 30 points, blog articles change nothing) are in truth.json's `planted`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _close(actual: float | None, expected: float | None) -> bool:
    if actual is None or expected is None:
        return actual is expected
    return math.isclose(actual, expected, abs_tol=1e-6)


def _metric(sample_run, metric: str, statistic: str, scope_type: str) -> dict[str, tuple]:
    rows = sample_run.query(
        "select scope_id, n, value, ci_low, ci_high, is_reportable from marts.agg_survey_metrics"
        " where metric = ? and statistic = ? and scope_type = ? and period_grain = 'all'",
        [metric, statistic, scope_type],
        published=True,
    )
    return {row[0]: row[1:] for row in rows}


def test_csat_and_ces_per_touchpoint_match_truth(sample_run, truth):
    top_box = _metric(sample_run, "csat", "top_box_share", "touchpoint")
    csat_mean = _metric(sample_run, "csat", "mean", "touchpoint")
    ces_mean = _metric(sample_run, "ces", "mean", "touchpoint")
    expected_csat = truth["expected"]["csat_by_touchpoint"]
    expected_ces = truth["expected"]["ces_by_touchpoint"]
    assert set(top_box) == set(csat_mean) == set(expected_csat)
    assert set(ces_mean) == set(expected_ces)
    for touchpoint, figures in expected_csat.items():
        assert top_box[touchpoint][0] == figures["n"], touchpoint
        assert _close(top_box[touchpoint][1], figures["top_box_share"]), touchpoint
        assert _close(csat_mean[touchpoint][1], figures["mean"]), touchpoint
    for touchpoint, figures in expected_ces.items():
        assert ces_mean[touchpoint][0] == figures["n"], touchpoint
        assert _close(ces_mean[touchpoint][1], figures["mean"]), touchpoint
    # the planted CES means lie inside the 95% intervals (support calls are the hard ones)
    planted = truth["planted"]["ces_mean_by_touchpoint"]
    for touchpoint, mean in planted.items():
        _, _, low, high, _ = ces_mean[touchpoint]
        assert low - 0.25 <= mean <= high + 0.25, (touchpoint, low, mean, high)
    assert min(ces_mean, key=lambda tp: ces_mean[tp][1]) == "support_call"


def test_every_customer_has_the_persona_the_rules_give(sample_run, truth):
    counts = dict(
        sample_run.query(
            "select persona_id, count(*) from marts.dim_customers group by 1", published=True
        )
    )
    assert counts == truth["expected"]["customers_by_persona"]


def test_nps_per_persona_matches_truth_and_shows_the_planted_offsets(sample_run, truth):
    by_persona = _metric(sample_run, "nps", "nps", "persona")
    expected = truth["expected"]["nps_by_persona"]
    assert set(by_persona) == set(expected)
    for persona, figures in expected.items():
        assert by_persona[persona][0] == figures["responses"], persona
        assert _close(by_persona[persona][1], figures["nps"]), persona
    # planted: enterprise +15, small business -10 points; the intervals keep them apart
    assert by_persona["enterprise"][2] > by_persona["small_business"][3]


def test_agg_nps_agrees_with_agg_survey_metrics(sample_run):
    mismatches = sample_run.scalar(
        """
        select count(*)
        from marts.agg_nps as nps
        full outer join (
            select * from marts.agg_survey_metrics where metric = 'nps'
                and scope_type in ('overall', 'journey', 'phase', 'touchpoint', 'channel')
                and period_grain in ('day', 'week', 'month', 'all')
        ) as metrics
            on nps.scope_type = metrics.scope_type and nps.scope_id = metrics.scope_id
            and nps.period_grain = metrics.period_grain
            and nps.period_start is not distinct from metrics.period_start
        where nps.nps is null or metrics.value is null
            or nps.responses <> metrics.n or abs(nps.nps - metrics.value) > 1e-9
            or abs(nps.nps_ci_low - metrics.ci_low) > 1e-9
        """,
        published=True,
    )
    assert mismatches == 0


def test_moments_that_matter_match_truth_and_find_the_planted_moment(sample_run, truth):
    rows = sample_run.query(
        "select touchpoint_id, exposed_responses, nps_exposed, unexposed_responses,"
        " nps_not_exposed, nps_difference, is_significant, is_moment_that_matters,"
        " priority_rank, quadrant from marts.agg_moments_that_matter",
        published=True,
    )
    marts = {row[0]: row[1:] for row in rows}
    expected = truth["expected"]["moments_that_matter"]
    assert set(marts) == set(expected)
    for touchpoint, figures in expected.items():
        exposed, nps_exposed, unexposed, nps_not_exposed, *_ = marts[touchpoint]
        assert (exposed, unexposed) == (
            figures["exposed_responses"],
            figures["unexposed_responses"],
        ), touchpoint
        assert _close(nps_exposed, figures["nps_exposed"]), touchpoint
        assert _close(nps_not_exposed, figures["nps_not_exposed"]), touchpoint
    planted = truth["planted"]["nps_effect_after_touchpoint"]
    assert planted["demo_request"] > 0 and planted["blog_article"] == 0
    difference, significant = marts["demo_request"][4], marts["demo_request"][5]
    assert significant and difference > 15
    assert not marts["blog_article"][5]
    # flagged moments that matter come first in the priority order
    flagged = [marts[tp][7] for tp in marts if marts[tp][6]]
    others = [marts[tp][7] for tp in marts if not marts[tp][6]]
    assert max(flagged) < min(others)


def _status(direction, actual, target, low, high, n, minimum) -> str:
    """The status rule of agg_kpi_target_vs_actual, written out again."""
    if n < minimum:
        return "insufficient_data"
    better = actual >= target if direction == "higher_is_better" else actual <= target
    if better:
        return "on_track"
    missed = high < target if direction == "higher_is_better" else low > target
    return "off_track" if missed else "at_risk"


def test_target_statuses_follow_the_rule_and_the_funnel(sample_run, truth):
    rows = sample_run.query(
        "select kpi, scope_id, direction, actual, target, ci_low, ci_high, n,"
        " min_reportable_n, status from marts.agg_kpi_target_vs_actual",
        published=True,
    )
    assert {row[-1] for row in rows} >= {"on_track", "off_track", "insufficient_data"}
    for kpi, scope_id, direction, actual, target, low, high, n, minimum, status in rows:
        assert status == _status(direction, actual, target, low, high, n, minimum), (kpi, scope_id)
    funnel = {row["phase_id"]: row for row in truth["expected"]["funnel"]}
    conversion = {row[1]: row[3] for row in rows if row[0] == "conversion_to_next"}
    assert _close(conversion["consideration"], funnel["consideration"]["conversion_to_next"])
    median = {row[1]: row[3] for row in rows if row[0] == "median_hours_to_next"}
    assert _close(median["purchase"], funnel["purchase"]["median_hours_to_next"])


def test_alerts_flag_the_planted_drop_but_not_the_dip(sample_run, truth):
    months = truth["expected"]["nps_by_touchpoint_month"]
    planted = truth["planted"]["nps_shift_in_last_days"]
    assert planted["sales_call"] <= -20 and -10 <= planted["checkout"] < 0
    alerts = sample_run.query(
        "select scope_id, period_start::varchar, value, compared_value from marts.fct_cx_alerts"
        " where alert_kind = 'below_previous_period' and metric = 'nps'"
        " and scope_type = 'touchpoint' and period_grain = 'month'",
        published=True,
    )
    by_touchpoint = {row[0]: row[1:] for row in alerts}
    assert "checkout" not in by_touchpoint  # the planted dip stays within noise
    period, value, previous = by_touchpoint["sales_call"]
    *_, (earlier, earlier_figures), (latest, latest_figures) = months["sales_call"].items()
    assert period == latest
    assert _close(value, latest_figures["nps"]) and _close(previous, earlier_figures["nps"])


def test_each_alert_is_raised_once_with_its_file_in_the_outbox(sample_run, tmp_path):
    import shutil

    import duckdb

    from orchestration.outbox import raise_alerts

    alerts = sample_run.query("select alert_id, outbox_file from ops.alerts")
    assert alerts, "the sample plants a drop, so the run raises at least one alert"
    assert {row[0] for row in alerts} == {
        row[0] for row in sample_run.query("select alert_id from marts.fct_cx_alerts")
    }
    for alert_id, outbox_file in alerts:
        document = json.loads(Path(outbox_file).read_text(encoding="utf-8"))
        assert document["alert_id"] == alert_id and document["message"]
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(sample_run.warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        assert raise_alerts(con, tmp_path / "outbox", "again") == []  # nothing twice
        forgotten = alerts[0][0]
        con.execute("delete from ops.alerts where alert_id = ?", [forgotten])
        [again] = raise_alerts(con, tmp_path / "outbox", "again")
    assert again["alert_id"] == forgotten
    assert (tmp_path / "outbox" / "alerts" / f"{forgotten}.json").exists()


def test_closed_loop_reproduces_the_planted_follow_up_outcomes(sample_run, truth):
    expected = truth["expected"]["follow_ups"]
    by_trigger = dict(
        sample_run.query(
            "select trigger_reason, count(*) from marts.fct_detractor_follow_ups group by 1",
            published=True,
        )
    )
    assert by_trigger.get("detractor", 0) == expected["detractor"]
    assert by_trigger.get("low_csat", 0) == expected["low_csat"]
    overall = sample_run.query(
        "select follow_ups, closed, unreachable, closed_within_service_level,"
        " median_hours_to_close from marts.agg_follow_up_outcomes"
        " where owner = 'all' and touchpoint_id = 'all'",
        published=True,
    )
    follow_ups, closed, unreachable, within, median = overall[0]
    assert (follow_ups, closed, unreachable, within) == (
        expected["total"],
        expected["closed"],
        expected["unreachable"],
        expected["closed_within_service_level"],
    )
    assert _close(median, expected["median_hours_to_close"])


def test_every_follow_up_is_handed_over_once_as_csv_and_json_lines(sample_run, tmp_path):
    import csv
    import shutil

    import duckdb

    from orchestration.outbox import hand_over_follow_ups

    handed = sample_run.query("select follow_up_id, outbox_file from ops.follow_up_outbox")
    ids = {row[0] for row in handed}
    assert ids == {
        row[0]
        for row in sample_run.query(
            "select follow_up_id from marts.fct_detractor_follow_ups"
            " union all select follow_up_id from marts.fct_churn_risk_follow_ups"
        )
    }
    [csv_file] = {Path(row[1]) for row in handed}
    with csv_file.open(newline="", encoding="utf-8") as handle:
        assert {row["follow_up_id"] for row in csv.DictReader(handle)} == ids
    lines = csv_file.with_suffix(".jsonl").read_text(encoding="utf-8").splitlines()
    assert {json.loads(line)["follow_up_id"] for line in lines} == ids
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(sample_run.warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        assert hand_over_follow_ups(con, tmp_path / "outbox", "again") == ([], [])
        con.execute("delete from ops.follow_up_outbox where follow_up_id = ?", [min(ids)])
        follow_ups, files = hand_over_follow_ups(con, tmp_path / "outbox", "again")
    assert [row["follow_up_id"] for row in follow_ups] == [min(ids)] and len(files) == 2


def test_an_unwritable_outbox_fails_the_step_with_what_to_do(sample_run, tmp_path):
    """The outbox steps run after publishing: a folder that cannot be written fails the step
    with the folder and what to do (no traceback for the user to decode) and records nothing;
    `cjm run` then says that the marts were published."""
    import shutil

    import dagster as dg
    import duckdb

    from orchestration.cli import _failure_message, _published_in
    from orchestration.outbox import build_follow_ups_asset
    from orchestration.resources import WarehouseResource, published_path_for

    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(sample_run.warehouse, copy)
    with duckdb.connect(str(copy)) as con:  # as if no follow-up had been handed over yet
        con.execute("delete from ops.follow_up_outbox")
    (tmp_path / "a_file").write_text("not a folder")
    resource = WarehouseResource(
        path=str(copy),
        landing_dir=str(sample_run.landing),
        published_path=str(published_path_for(copy)),
        outbox_dir=str(tmp_path / "a_file"),
    )
    result = dg.materialize(
        [build_follow_ups_asset([])], resources={"warehouse": resource}, raise_on_error=False
    )
    assert not result.success
    [failure] = result.get_step_failure_events()
    message = _failure_message(failure)
    assert f"could not write the follow-ups into the outbox {tmp_path / 'a_file'}" in message
    assert "Not a directory" in message and "CJM_OUTBOX" in message
    assert not _published_in(result)
    with duckdb.connect(str(copy), read_only=True) as con:
        assert con.execute("select count(*) from ops.follow_up_outbox").fetchone()[0] == 0
