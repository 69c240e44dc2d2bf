"""The generator's attribution truth: the scripted cohort gets the hand-computed split, and the
exact Markov solution agrees with the hand-solved chain of the dbt unit test."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from pathlib import Path

import pytest

from orchestration.generate.attribution_truth import (
    AttributionTruth,
    JourneyPath,
    Touch,
    removal_effects,
)
from orchestration.generate.clock import DAY
from orchestration.generate.exports import generate_exports

# The hand computations of orchestration/generate/paths.py (rule-based models).
HAND_CREDITS = {
    ("checkout", ("blog_article", "pricing_page")): {
        "first_touch": [1, 0],
        "last_touch": [0, 1],
        "linear": [0.5, 0.5],
        "time_decay": [1 / 3, 2 / 3],
        "position_based": [0.5, 0.5],
    },
    ("checkout", ("website_visit", "blog_article", "demo_request", "pricing_page")): {
        "first_touch": [1, 0, 0, 0],
        "last_touch": [0, 0, 0, 1],
        "linear": [0.25] * 4,
        "time_decay": [1 / 15, 2 / 15, 4 / 15, 8 / 15],
        "position_based": [0.4, 0.1, 0.1, 0.4],
    },
    ("checkout", ("website_visit", "website_visit", "pricing_page")): {
        "first_touch": [1, 0, 0],
        "last_touch": [0, 0, 1],
        "linear": [1 / 3] * 3,
        "position_based": [0.4, 0.2, 0.4],
    },
    # one touch (its website visit is outside the lookback): 100 % in every model
    ("checkout", ("pricing_page",)): {
        "first_touch": [1],
        "last_touch": [1],
        "linear": [1],
        "time_decay": [1],
        "position_based": [1],
    },
    ("contract_signed", ("website_visit", "sales_call", "proposal")): {
        "first_touch": [1, 0, 0],
        "last_touch": [0, 0, 1],
        "linear": [1 / 3] * 3,
        "time_decay": [1 / 7, 2 / 7, 4 / 7],
        "position_based": [0.4, 0.2, 0.4],
    },
}


@pytest.fixture(scope="module")
def attribution(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out: Path = tmp_path_factory.mktemp("cohort")
    truth = generate_exports(out, customers=3, days=40, seed=5, start_date=dt.date(2026, 9, 1))
    return truth["expected"]["attribution"]


def test_scripted_cohort_gets_the_hand_computed_split(attribution: dict) -> None:
    scripted = {
        (item["conversion_type"], tuple(item["touchpoints"])): item
        for item in attribution["scripted"]
    }
    assert set(scripted) == set(HAND_CREDITS)
    for key, models in HAND_CREDITS.items():
        for model, credits in models.items():
            assert scripted[key]["credits"][model] == pytest.approx(credits, abs=1e-9), (key, model)
        assert sum(scripted[key]["credits"]["markov"]) == pytest.approx(1.0)
    b2b = scripted[("contract_signed", ("website_visit", "sales_call", "proposal"))]
    assert b2b["revenue"] == 12_000.0
    assert attribution["scripted_drop_off_paths"] == ["blog_article > pricing_page"]
    (outside,) = attribution["scripted_outside_lookback"]
    assert (outside["touchpoint_id"], outside["days_before"]) == (
        "website_visit",
        attribution["settings"]["lookback_days"] + 10,
    )


def test_no_cohort_in_a_short_window(tmp_path: Path) -> None:
    truth = generate_exports(tmp_path, customers=3, days=10, seed=5)
    assert truth["expected"]["attribution"]["scripted"] == []


def test_exact_markov_solution_matches_the_hand_solved_chain() -> None:
    """The chain of the dbt unit test test_int_attribution_markov_removal_effects_by_hand:
    removal effects 2/9 (a) and 2/3 (b)."""

    def path(outcome: str, *touchpoints: str) -> JourneyPath:
        return JourneyPath(
            "c", outcome, 10 * DAY, [Touch(i, tp) for i, tp in enumerate(touchpoints)]
        )

    effects = removal_effects(
        [
            path("checkout", "a", "a", "b"),
            path("drop_off", "a"),
            path("checkout", "b"),
            path("drop_off", "b", "a"),
            path("checkout"),
        ]
    )
    assert effects == pytest.approx({"a": float(Fraction(2, 9)), "b": float(Fraction(2, 3))})


def test_lookback_and_strictly_before() -> None:
    """A touch older than the lookback, or at the conversion's instant, is not in its path."""
    truth = AttributionTruth()
    end = 200 * DAY
    truth.add("c", "website_visit", end - 91 * DAY, None)
    truth.add("c", "pricing_page", end - 89 * DAY, None)
    truth.add("c", "demo_request", end, None)
    truth.add("c", "checkout", end, None)
    (conversion,) = truth.paths()
    assert [t.touchpoint for t in conversion.touches] == ["pricing_page"]
