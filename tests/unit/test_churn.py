"""Churn: the generator's planted churn records and truth, the fit, the AUC and calibration."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from orchestration.churn.evaluate import calibration, roc_auc
from orchestration.churn.fit import fit_logistic
from orchestration.generate import generate_exports
from orchestration.generate.model import CHURN_WEIGHTS

SMALL = {"customers": 400, "days": 45, "seed": 11, "start_date": dt.date(2026, 9, 1)}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("landing")
    return out, generate_exports(out, **SMALL)


def _rows(path: Path) -> list[dict[str, str]]:
    """Rows keyed by field API name in lower case (Data Loader writes UPPER CASE headers)."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [{k.lower(): v for k, v in row.items()} for row in csv.DictReader(handle)]


def test_every_planted_churner_left_a_churn_record_in_the_salesforce_exports(sample):
    out, truth = sample
    churn = truth["expected"]["churn"]
    assert 0 < churn["churners"] < churn["eligible_customers"]
    lost = [
        row
        for row in _rows(out / "crm" / "Opportunity.csv")
        if row["type"] == "Renewal" and row["stagename"] == "Closed Lost"
    ]
    cancelled = [row for row in _rows(out / "crm" / "Case.csv") if row["reason"] == "Cancellation"]
    assert all(row["isclosed"] == "true" and row["iswon"] == "false" for row in lost)
    assert all(row["type"] == "Cancellation" for row in cancelled)
    history = {row["opportunityid"]: row for row in _rows(out / "crm" / "OpportunityHistory.csv")}
    assert all(history[row["id"]]["stagename"] == "Closed Lost" for row in lost)
    contacts = {row["contactid"][:15] for row in lost + cancelled}
    assert {customer[:15] for customer in churn["churned_customers"]} <= contacts


def test_each_planted_driver_raises_the_churn_rate(sample):
    _, truth = sample
    rates = truth["expected"]["churn"]["churn_rate_by_driver"]
    assert set(rates) == set(CHURN_WEIGHTS)
    for driver, figures in rates.items():
        assert figures["churn_rate_with"] > figures["churn_rate_without"], driver


def test_roc_auc_and_calibration_by_hand():
    # churners 0.9, 0.4; stayers 0.8, 0.4, 0.1: 0.9 beats 3, 0.4 beats 0.1 and ties 0.4
    scores, labels = [0.9, 0.8, 0.4, 0.4, 0.1], [True, False, True, False, False]
    assert roc_auc(scores, labels) == pytest.approx(4.5 / 6)
    scores = [0.9, 0.8, 0.4, 0.3, 0.1]  # no ties: 0.9 beats 3 stayers, 0.4 beats 2
    assert roc_auc(scores, labels) == pytest.approx(5 / 6)
    deciles = calibration(scores, labels, bins=2)
    assert [(d.customers, d.churn_rate) for d in deciles] == [(2, 0.0), (3, 2 / 3)]
    assert deciles[1].mean_score == pytest.approx((0.4 + 0.8 + 0.9) / 3)


def test_the_fit_recovers_known_coefficients():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 2, size=(20_000, 3)).astype(float)
    truth = np.array([-1.0, 1.5, -0.5, 0.8])
    p = 1 / (1 + np.exp(-(truth[0] + x @ truth[1:])))
    y = (rng.random(len(p)) < p).astype(float)
    assert np.allclose(fit_logistic(x, y, l2=0.0), truth, atol=0.1)
