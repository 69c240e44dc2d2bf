"""The governed metrics (MetricFlow semantic layer) give the numbers the marts hold.

`cjm metrics query ...` runs the real `mf` on the published marts of the shared sample run
(opened read-only, as BI tools read them) and the answers are compared with agg_nps,
agg_survey_metrics, agg_phase_funnel and agg_attribution for the same scope and period.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from orchestration.cli import EXIT_OK, main

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("metrics")]


def _mf_query(sample_run, out: Path, metrics: str, group_by: str) -> dict[str, dict[str, str]]:
    """Rows of `mf query` keyed by the (single) group-by column's value."""
    code = main(
        [
            "metrics",
            "--warehouse", str(sample_run.warehouse),
            "--published", str(sample_run.published),
            "query", "--metrics", metrics, "--group-by", group_by, "--csv", str(out),
        ]
    )  # fmt: skip
    assert code == EXIT_OK
    with out.open(newline="", encoding="utf-8") as handle:
        return {row[group_by]: row for row in csv.DictReader(handle)}


def _number(text: str) -> float | None:
    return float(text) if text not in ("", "None", "nan") else None


def _same(actual: str, expected: float | None) -> bool:
    value = _number(actual)
    if value is None or expected is None:
        return value is None and expected is None
    return math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-9)


def test_nps_and_csat_per_touchpoint_match_the_survey_marts(sample_run, tmp_path):
    answers = _mf_query(
        sample_run, tmp_path / "tp.csv", "nps,nps_responses,csat", "survey_response__touchpoint_id"
    )
    nps = {
        row[0]: row[1:]
        for row in sample_run.query(
            "select scope_id, nps, responses from marts.agg_nps"
            " where period_grain = 'all' and scope_type = 'touchpoint'",
            published=True,
        )
    }
    csat = dict(
        sample_run.query(
            "select scope_id, value from marts.agg_survey_metrics where metric = 'csat'"
            " and statistic = 'top_box_share' and scope_type = 'touchpoint'"
            " and period_grain = 'all'",
            published=True,
        )
    )
    assert set(nps) == set(csat) == set(answers) - {""}, answers.keys()
    for touchpoint, (value, responses) in nps.items():
        row = answers[touchpoint]
        assert _same(row["nps"], value), touchpoint
        assert int(row["nps_responses"]) == responses, touchpoint
        assert _same(row["csat"], csat[touchpoint]), touchpoint


def test_monthly_nps_matches_agg_nps(sample_run, tmp_path):
    answers = _mf_query(sample_run, tmp_path / "month.csv", "nps", "metric_time__month")
    expected = sample_run.query(
        "select cast(period_start as date), nps from marts.agg_nps"
        " where period_grain = 'month' and scope_type = 'overall'",
        published=True,
    )
    assert len(expected) >= 2  # the sample spans two months
    months = {key[:10]: row for key, row in answers.items()}
    assert set(months) == {str(month) for month, _ in expected}
    for month, value in expected:
        assert _same(months[str(month)]["nps"], value), month


def test_conversion_and_time_to_next_phase_match_agg_phase_funnel(sample_run, tmp_path):
    answers = _mf_query(
        sample_run,
        tmp_path / "phase.csv",
        "conversion_rate,time_to_next_phase,phase_entries",
        "journey_phase__phase_id",
    )
    funnel = sample_run.query(
        "select phase_id, is_last, customers_entered, conversion_to_next, median_hours_to_next"
        " from marts.agg_phase_funnel"
        " inner join (select phase_id, is_last_phase as is_last from marts.dim_phases)"
        " using (phase_id)",
        published=True,
    )
    assert {row[0] for row in funnel} == set(answers)
    for phase, is_last, entered, conversion, median_hours in funnel:
        row = answers[phase]
        assert int(row["phase_entries"]) == (0 if is_last else entered), phase
        assert _same(row["conversion_rate"], conversion), phase
        assert _same(row["time_to_next_phase"], median_hours), phase


def test_nps_per_persona_joins_through_the_customer(sample_run, tmp_path):
    """A dimension of another semantic model (dim_customers' persona) joins by the entity."""
    answers = _mf_query(sample_run, tmp_path / "persona.csv", "nps", "customer__persona_id")
    expected = sample_run.query(
        "select scope_id, value from marts.agg_survey_metrics where metric = 'nps'"
        " and statistic = 'nps' and scope_type = 'persona' and period_grain = 'all'",
        published=True,
    )
    assert expected
    for persona, value in expected:
        assert _same(answers[persona]["nps"], value), persona


def test_attributed_revenue_per_model_and_touchpoint_matches_agg_attribution(sample_run, tmp_path):
    out = tmp_path / "attribution.csv"
    code = main(
        [
            "metrics",
            "--warehouse", str(sample_run.warehouse),
            "--published", str(sample_run.published),
            "query", "--metrics", "attributed_revenue,attributed_conversions",
            "--group-by", "attribution__model,attribution__touchpoint_id", "--csv", str(out),
        ]
    )  # fmt: skip
    assert code == EXIT_OK
    with out.open(newline="", encoding="utf-8") as handle:
        answers = {
            (row["attribution__model"], row["attribution__touchpoint_id"]): row
            for row in csv.DictReader(handle)
        }
    expected = sample_run.query(
        "select model, scope_id, attributed_revenue, attributed_conversions"
        " from marts.agg_attribution where period_grain = 'all' and scope_type = 'touchpoint'"
        " and conversion_type = 'all' and scope_id <> 'none'",
        published=True,
    )
    assert len({model for model, *_ in expected}) == 6
    assert {(model, touchpoint) for model, touchpoint, *_ in expected} <= set(answers)
    for model, touchpoint, revenue, conversions in expected:
        row = answers[(model, touchpoint)]
        assert math.isclose(float(row["attributed_revenue"]), revenue, rel_tol=1e-9), touchpoint
        # agg_attribution rounds conversions to 9 decimals (a touchpoint with a small credit
        # differs from the metric's exact sum in the 10th)
        assert math.isclose(
            float(row["attributed_conversions"]), conversions, rel_tol=1e-9, abs_tol=1e-9
        ), touchpoint
