"""A landing of K copies of a simulated base runs through the job and gives the base's rates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from orchestration.generate import generate_exports
from tests.integration.conftest import JobRun, run_job

pytestmark = pytest.mark.slow

BASE = {"customers": 300, "days": 21, "seed": 8, "start_date": dt.date(2026, 10, 10)}
COPIES = 3


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> tuple[JobRun, dict[str, Any]]:
    """One job run on 3 copies of 300 simulated customers, and the truth of those 300 alone."""
    base_truth = generate_exports(tmp_path_factory.mktemp("base_landing"), **BASE)
    landing = tmp_path_factory.mktemp("scaled_landing")
    truth = generate_exports(
        landing, **{**BASE, "customers": COPIES * BASE["customers"]}, base_customers=300
    )
    assert truth["parameters"]["copies"] == COPIES
    run = run_job(landing, Path(tmp_path_factory.mktemp("scaled_wh")) / "cjm.duckdb")
    return run, {"scaled": truth, "base": base_truth}


def test_replicated_landing_loads_without_quarantine(scaled) -> None:
    run, truth = scaled
    assert run.success
    # The generator plants no rows for quarantine: every copy of every row loads.
    assert run.scalar("select count(*) from ops.quarantine") == 0
    for table, count in truth["base"]["expected"]["raw_rows"].items():
        assert run.scalar(f"select count(*) from raw.{table}") == COPIES * count, table


def test_nps_per_touchpoint_is_the_base_rate(scaled) -> None:
    run, truth = scaled
    rows = run.query(
        "select scope_id, responses, nps from marts.agg_nps"
        " where period_grain = 'all' and scope_type = 'touchpoint'",
        published=True,
    )
    actual = {touchpoint: (responses, nps) for touchpoint, responses, nps in rows}
    expected = truth["base"]["expected"]["nps_by_touchpoint"]
    assert set(actual) == set(expected)
    for touchpoint, figures in expected.items():
        responses, nps = actual[touchpoint]
        assert responses == COPIES * figures["responses"], touchpoint
        assert nps == pytest.approx(figures["nps"], abs=1e-6), touchpoint


def test_phase_conversion_is_the_base_rate(scaled) -> None:
    run, truth = scaled
    rows = run.query(
        "select phase_id, customers_entered, customers_reached_next, conversion_to_next"
        " from marts.agg_phase_funnel",
        published=True,
    )
    actual = {phase: row for phase, *row in rows}
    for want in truth["base"]["expected"]["funnel"]:
        entered, reached, conversion = actual[want["phase_id"]]
        assert entered == COPIES * want["customers_entered"]
        assert reached == COPIES * want["customers_reached_next"]
        if want["conversion_to_next"] is None:
            assert conversion is None
        else:
            assert conversion == pytest.approx(want["conversion_to_next"], abs=1e-4)


def test_emotion_dips_are_the_recomputed_ones(scaled) -> None:
    """The dip rule is a significance test: truth.json recomputes it from the scaled counts."""
    run, truth = scaled
    dips = run.query(
        "select touchpoint_id from marts.agg_emotion_curve"
        " where metric = 'nps' and period_grain = 'all' and is_dip order by curve_position",
        published=True,
    )
    assert [tp for (tp,) in dips] == truth["scaled"]["expected"]["emotion_curve"]["nps_dips"]
