"""How well the churn-risk score ranks the churners a generated sample was planted with.

`cjm benchmark --churn` runs the job on a landing folder with truth.json (the bundled sample by
default), then prints the ROC AUC of fct_customer_churn_risk's latest score against the planted
churners, a calibration table by score decile, and the time dbt spends on the churn models.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.resources import REPO_ROOT

CHURN_MODELS: tuple[str, ...] = (
    "int_crm_churn_records",
    "fct_customer_churn_risk",
    "agg_churn_risk",
    "fct_churn_risk_follow_ups",
)


def roc_auc(scores: list[float], labels: list[bool]) -> float:
    """Probability that a random churner scores above a random stayer (ties count half),
    from the ranks (Mann-Whitney U)."""
    ordered = sorted(zip(scores, labels, strict=True))
    positives = sum(labels)
    negatives = len(labels) - positives
    if not positives or not negatives:
        raise ValueError("ROC AUC needs churners and customers who stayed")
    rank_sum, index = 0.0, 0
    while index < len(ordered):
        end = index
        while end < len(ordered) and ordered[end][0] == ordered[index][0]:
            end += 1
        mean_rank = (index + 1 + end) / 2  # 1-based ranks index+1 .. end
        rank_sum += mean_rank * sum(label for _, label in ordered[index:end])
        index = end
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


@dataclass(frozen=True)
class Decile:
    decile: int
    customers: int
    mean_score: float
    churn_rate: float


def calibration(scores: list[float], labels: list[bool], bins: int = 10) -> list[Decile]:
    """Customers sorted by score and cut into `bins` groups of (nearly) equal size."""
    ordered = sorted(zip(scores, labels, strict=True), key=lambda pair: pair[0])
    rows = []
    for number in range(bins):
        part = ordered[number * len(ordered) // bins : (number + 1) * len(ordered) // bins]
        if part:
            rows.append(
                Decile(
                    number + 1,
                    len(part),
                    sum(score for score, _ in part) / len(part),
                    sum(label for _, label in part) / len(part),
                )
            )
    return rows


def planted_scores(published: Path, truth: dict) -> tuple[list[float], list[bool]]:
    """Latest risk score of every customer who bought, and whether truth.json says churned."""
    churners = set(truth["expected"]["churn"]["churned_customers"])
    with duckdb.connect(str(published), read_only=True) as con:
        rows = con.execute(
            "select customer_id, risk_score from marts.fct_customer_churn_risk"
            " where is_latest order by customer_id"
        ).fetchall()
    return [score for _, score in rows], [customer in churners for customer, _ in rows]


def churn_model_seconds(warehouse: Path, target: Path) -> dict[str, float]:
    """dbt's execution time of each churn model, rebuilt alone on a built warehouse."""
    from orchestration.transform.manifest import start_from_prepared_parse

    start_from_prepared_parse(target)
    dbt = Path(sys.executable).with_name("dbt")
    subprocess.run(
        [str(dbt), "run", "--select", *CHURN_MODELS, "--target-path", str(target), "--quiet"],
        cwd=REPO_ROOT / "dbt_project",
        env={**os.environ, "CJM_WAREHOUSE": str(warehouse)},
        check=True,
    )
    results = json.loads((target / "run_results.json").read_text())["results"]
    return {r["unique_id"].rsplit(".", 1)[-1]: r["execution_time"] for r in results}


def report_lines(scores: list[float], labels: list[bool]) -> list[str]:
    lines = [
        f"customers who bought: {len(labels)}, planted churners: {sum(labels)}",
        f"ROC AUC of risk_score against the planted churners: {roc_auc(scores, labels):.3f}"
        " (target 0.75)",
        "calibration (score decile, lowest first):",
        f"  {'decile':>6}  {'customers':>9}  {'mean score':>10}  {'churn rate':>10}",
    ]
    for row in calibration(scores, labels):
        lines.append(
            f"  {row.decile:>6}  {row.customers:>9}  {row.mean_score:>10.3f}"
            f"  {row.churn_rate:>10.3f}"
        )
    return lines
