"""agg_emotion_curve and agg_conversion_drivers on the shared sample run find what the
generator planted: the emotion dip at one touchpoint (and no other), a touchpoint that goes with
purchasing (demo_request) next to one that does not (blog_article). The expected figures come
from truth.json, computed from the emitted records."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_emotion_curve_puts_touchpoints_in_journey_order(sample_run, truth):
    rows = sample_run.query(
        "select touchpoint_id, n, value from marts.agg_emotion_curve"
        " where metric = 'nps' and period_grain = 'all' order by curve_position",
        published=True,
    )
    expected = truth["expected"]
    assert [tp for tp, _, _ in rows] == expected["emotion_curve"]["touchpoints"]
    for tp, n, value in rows:
        counts = expected["nps_by_touchpoint"][tp]
        assert n == counts["responses"]
        assert value == pytest.approx(counts["nps"], abs=1e-6)


def test_emotion_curve_flags_the_planted_dip_and_no_other(sample_run, truth):
    dips = sample_run.query(
        "select touchpoint_id from marts.agg_emotion_curve"
        " where metric = 'nps' and period_grain = 'all' and is_dip order by curve_position",
        published=True,
    )
    assert [tp for (tp,) in dips] == [truth["planted"]["emotion_dip"]]
    assert [tp for (tp,) in dips] == truth["expected"]["emotion_curve"]["nps_dips"]


def test_emotion_curve_has_every_metric_and_grain(sample_run):
    rows = sample_run.query(
        "select metric, period_grain, count(*) from marts.agg_emotion_curve group by all",
        published=True,
    )
    combos = {(metric, grain) for metric, grain, _ in rows}
    assert combos == {
        (metric, grain)
        for metric in ("nps", "csat", "sentiment")
        for grain in ("week", "month", "quarter", "all")
    }


def _drivers(sample_run, goal: str) -> dict[str, tuple]:
    rows = sample_run.query(
        "select dimension_value, converters, non_converters, converters_exposed,"
        " non_converters_exposed, odds_ratio, is_significant, direction, driver_rank"
        " from marts.agg_conversion_drivers"
        " where analysis_type = 'conversion' and analysis_id = ? and dimension = 'touchpoint'",
        [goal],
        published=True,
    )
    return {row[0]: row[1:] for row in rows}


def test_conversion_drivers_count_exposures_as_truth_does(sample_run, truth):
    for goal, expected in truth["expected"]["conversion_drivers"].items():
        drivers = _drivers(sample_run, goal)
        exposed = {
            tp: counts
            for tp, counts in expected["exposed"].items()
            if counts["converters"] + counts["non_converters"] > 0
        }
        assert set(drivers) == set(exposed), goal
        for tp, counts in exposed.items():
            converters, others, a, c, odds_ratio, *_ = drivers[tp]
            assert (converters, others) == (expected["converters"], expected["non_converters"])
            assert (a, c) == (counts["converters"], counts["non_converters"]), (goal, tp)
            if counts["odds_ratio"] is not None:
                # truth.json rounds to 6 decimals
                assert odds_ratio == pytest.approx(counts["odds_ratio"], rel=1e-5, abs=1e-6), (
                    goal,
                    tp,
                )


def test_conversion_drivers_flag_the_planted_driver_not_the_null(sample_run, truth):
    planted = truth["planted"]["conversion_driver"]
    drivers = _drivers(sample_run, planted["goal"])
    *_, odds_ratio, significant, direction, rank = drivers[planted["driver"]]
    assert significant and direction == "conversion" and odds_ratio > 2
    *_, null_odds_ratio, null_significant, _, null_rank = drivers[planted["null"]]
    assert not null_significant
    assert 0.5 < null_odds_ratio < 2
    assert rank < null_rank
