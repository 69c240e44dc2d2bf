"""Churn risk on the shared sample run: the score ranks the churners the generator planted
(truth.json `churn`) high, the marts hold the customers and churners truth.json counts, and
high-band customers without an open follow-up reach the closed-loop outbox."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from orchestration.churn.evaluate import calibration, roc_auc


@pytest.fixture(scope="module")
def planted(truth: dict) -> dict:
    assert "churn" in truth["expected"], (
        "seeds/truth.json has no planted churn: regenerate the sample with "
        "`cjm generate --out seeds` (the generator plants churn since issue 11)"
    )
    return truth["expected"]["churn"]


def test_the_score_ranks_planted_churners_high(sample_run, planted):
    rows = sample_run.query(
        "select customer_id, risk_score from marts.fct_customer_churn_risk where is_latest",
        published=True,
    )
    churners = set(planted["churned_customers"])
    scores = [score for _, score in rows]
    labels = [customer in churners for customer, _ in rows]
    assert roc_auc(scores, labels) >= 0.75
    deciles = calibration(scores, labels)
    assert deciles[-1].churn_rate > 2 * deciles[0].churn_rate  # the top decile churns more


def test_customers_and_churners_match_truth(sample_run, planted):
    customers, churned = sample_run.query(
        "select count(*), count(case when is_churned then 1 end)"
        " from marts.fct_customer_churn_risk where is_latest"
    )[0]
    assert customers == planted["eligible_customers"]
    assert churned == planted["churners"]
    churned_ids = {
        row[0]
        for row in sample_run.query(
            "select customer_id from marts.fct_customer_churn_risk where is_latest and is_churned"
        )
    }
    assert churned_ids == set(planted["churned_customers"])


def test_features_see_only_the_past(sample_run):
    """A month-end row never knows more than the latest row of the same customer, and a
    customer appears at an as-of date only after the first purchase."""
    broken = sample_run.scalar(
        "select count(*) from marts.fct_customer_churn_risk as early"
        " inner join marts.fct_customer_churn_risk as late"
        " on early.customer_id = late.customer_id and late.is_latest"
        " where not early.is_latest and ("
        " early.support_cases > late.support_cases"
        " or (early.has_detractor_answer and not late.has_detractor_answer)"
        " or early.first_purchased_at >= early.as_of_date + interval 1 day)"
    )
    assert broken == 0
    assert (
        sample_run.scalar("select count(distinct as_of_date) from marts.fct_customer_churn_risk")
        >= 2
    )


def test_agg_churn_risk_adds_up_to_the_customers(sample_run):
    for dimension in ("persona", "phase", "owner"):
        assert sample_run.query(
            "select sum(customers), sum(churned_customers), sum(high_risk_customers)"
            " from marts.agg_churn_risk where dimension = ? and as_of_date ="
            " (select max(as_of_date) from marts.agg_churn_risk)",
            [dimension],
        ) == sample_run.query(
            "select count(*), count(case when is_churned then 1 end),"
            " count(case when not is_churned and risk_band = 'high' then 1 end)"
            " from marts.fct_customer_churn_risk where is_latest"
        )


def test_high_band_customers_without_open_follow_up_reach_the_outbox(sample_run):
    due = {
        row[0]
        for row in sample_run.query(
            "select customer_id from marts.fct_customer_churn_risk where is_latest"
            " and risk_band = 'high' and not is_churned and not has_open_follow_up"
        )
    }
    assert due, "the sample has high-band customers without an open follow-up"
    handed = sample_run.query(
        "select items.customer_id, outbox.outbox_file"
        " from marts.fct_churn_risk_follow_ups as items"
        " inner join ops.follow_up_outbox as outbox on items.follow_up_id = outbox.follow_up_id"
    )
    assert {customer for customer, _ in handed} == due
    [csv_file] = {Path(outbox_file) for _, outbox_file in handed}
    with csv_file.open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["trigger_reason"] == "churn_risk"]
    assert {row["customer_id"] for row in rows} == due
    assert all(row["comment"].startswith("churn risk ") and row["due_at"] for row in rows)
    # nobody with an open detractor follow-up gets a second one
    assert not sample_run.query(
        "select customer_id from marts.fct_churn_risk_follow_ups"
        " intersect select customer_id from marts.fct_detractor_follow_ups"
        " where status in ('open', 'in_progress')"
    )
