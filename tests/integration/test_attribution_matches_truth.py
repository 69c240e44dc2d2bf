"""Attribution and path marts reproduce the generator's truth (issue 7, items 6 and 7).

truth.json's attribution figures are computed by the generator from the records it emitted
(orchestration/generate/attribution_truth.py: its own paths, formulas and an exact Markov
solution); the scripted cohort of orchestration/generate/paths.py adds hand-built paths whose
split is known. All assertions read the shared sample run.
"""

from __future__ import annotations

import pytest
import yaml

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def planted(truth) -> dict:
    """expected.attribution of truth.json; a sample generated before it existed says so."""
    assert "attribution" in truth["expected"], (
        "the sample in seeds/ predates the attribution truth: regenerate it with"
        " `cjm generate --out seeds`"
    )
    return truth["expected"]["attribution"]


def test_truth_was_planted_with_the_projects_settings(planted, repo_root):
    variables = yaml.safe_load((repo_root / "dbt_project" / "dbt_project.yml").read_text())["vars"]
    settings = planted["settings"]
    assert settings == {
        "conversion_touchpoints": variables["cjm_conversion_touchpoints"],
        "lookback_days": variables["cjm_attribution_lookback_days"],
        "half_life_days": variables["cjm_attribution_half_life_days"],
    }


def test_credits_and_revenue_per_touchpoint_in_every_model(sample_run, planted):
    expected = planted
    rows = sample_run.query(
        "select model, scope_id, attributed_conversions, attributed_revenue"
        " from marts.agg_attribution where period_grain = 'all' and scope_type = 'touchpoint'"
        " and conversion_type = 'all'",
        published=True,
    )
    credits = {m: {s: c for model, s, c, _ in rows if model == m} for m in expected["credits"]}
    revenue = {m: {s: r for model, s, _, r in rows if model == m} for m in expected["revenue"]}
    for model, model_credits in expected["credits"].items():
        assert credits[model] == pytest.approx(model_credits, abs=1e-5), model
        assert revenue[model] == pytest.approx(expected["revenue"][model], abs=0.05), model
    conversions = dict(
        sample_run.query(
            "select conversion_type, count(distinct conversion_id) from marts.fct_attribution"
            " group by 1",
            published=True,
        )
    )
    counts = {k: v for k, v in expected["conversions"].items() if k != "without_touches"}
    assert conversions == counts


def test_markov_removal_effects_match_the_exact_solution(sample_run, planted):
    rows = dict(
        sample_run.query(
            "select touchpoint_id, removal_effect"
            " from intermediate.int_attribution_markov_removal_effects"
        )
    )
    assert rows == pytest.approx(planted["removal_effects"], abs=1e-8)


def test_scripted_paths_get_their_split_in_every_model(sample_run, planted):
    scripted = planted["scripted"]
    assert len(scripted) == 5
    for conversion in scripted:
        rows = sample_run.query(
            "select model, touchpoint_id, hours_before_conversion, credit, attributed_revenue"
            " from marts.fct_attribution where customer_id = ? and conversion_type = ?"
            " order by model, touch_position",
            [conversion["customer_id"], conversion["conversion_type"]],
            published=True,
        )
        for model, credits in conversion["credits"].items():
            got = [row for row in rows if row[0] == model]
            assert [row[1] for row in got] == conversion["touchpoints"], model
            assert [row[2] for row in got] == pytest.approx(conversion["hours_before"])
            assert [row[3] for row in got] == pytest.approx(credits, abs=1e-8), model
            assert [row[4] for row in got] == pytest.approx(
                [c * conversion["revenue"] for c in credits], abs=1e-3
            ), model


def test_one_touch_path_and_a_touch_outside_the_lookback(sample_run, planted):
    """The scripted `outside` customer: a website visit lookback + 10 days before the checkout
    (a touchpoint occurrence, but outside the lookback: no row, no credit) and a pricing page
    5 days before it, a path of one touch that gets all the credit in every model, position
    based included."""
    (outside,) = planted["scripted_outside_lookback"]
    customer = outside["customer_id"]
    lookback_days = planted["settings"]["lookback_days"]
    assert outside["days_before"] == lookback_days + 10
    occurred = sample_run.query(
        "select touchpoint_id, count(*) from marts.fct_touchpoints where customer_id = ?"
        " group by 1 order by 1",
        [customer],
        published=True,
    )
    assert occurred == [("checkout", 1), ("pricing_page", 1), ("website_visit", 1)]
    rows = sample_run.query(
        "select model, touchpoint_id, touch_position, hours_before_conversion, credit"
        " from marts.fct_attribution where customer_id = ? order by model",
        [customer],
        published=True,
    )
    models = list(planted["credits"])
    assert rows == [
        (m, "pricing_page", 1, pytest.approx(120.0), pytest.approx(1.0, abs=1e-12))
        for m in sorted(models)
    ]
    assert sorted(models) == sorted(
        ["first_touch", "last_touch", "linear", "time_decay", "position_based", "markov"]
    )


def test_paths_and_edges_reproduce_the_planted_paths(sample_run, planted):
    paths = planted["paths"]
    for outcome, expected in paths["by_outcome"].items():
        rows = sample_run.query(
            "select touchpoint_path, paths from marts.agg_paths"
            " where path_outcome = ? order by path_rank",
            [outcome],
            published=True,
        )
        assert len(rows) == expected["distinct"], outcome
        assert sum(n for _, n in rows) == expected["paths"], outcome
        assert [list(row) for row in rows[: len(expected["top"])]] == expected["top"], outcome
    edges = sample_run.query(
        "select from_node || ' -> ' || to_node, transitions from marts.agg_path_edges"
        " where from_step is null",
        published=True,
    )
    assert dict(edges) == paths["edges"]
    positioned = sample_run.scalar(
        "select sum(transitions) from marts.agg_path_edges where from_step is not null",
        published=True,
    )
    assert positioned == sum(paths["edges"].values())
    drop_offs = planted["scripted_drop_off_paths"]
    assert drop_offs == ["blog_article > pricing_page"]
    assert (
        sample_run.scalar(
            "select paths from marts.agg_paths"
            " where path_outcome = 'drop_off' and touchpoint_path = ?",
            [drop_offs[0]],
            published=True,
        )
        >= 1
    )


def test_credit_sums_were_checked_in_the_run(sample_run):
    """The dbt tests that every conversion's credits sum to 1 and its revenue splits fully ran
    as asset checks of the job, and passed."""
    checks = {
        check.check_name: check.passed
        for check in sample_run.checks
        if check.asset_key.endswith("fct_attribution")
    }
    sums = {name: passed for name, passed in checks.items() if name.startswith("sums_per_group")}
    assert len(sums) == 2 and all(sums.values()), checks
