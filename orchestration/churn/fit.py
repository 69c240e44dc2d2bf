"""Fit the churn-risk model and write the dbt seed ``churn_model_coefficients.csv``.

    python -m orchestration.churn.fit --published /tmp/history/cjm_marts.duckdb

Reads ``marts.fct_customer_churn_risk`` of a published warehouse (its latest as-of date: the
features of every customer who bought, and whether they churned by the churn definition of
seed ``churn_settings``), fits a logistic regression (Newton's method with a small L2 penalty
on the coefficients, not on the intercept), prints the coefficients and writes the seed. The
reason texts of the seed are kept. Fit on a history other than the one you judge the score on
(the bundled seed was fitted on a sample generated with another seed; see the README).
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import duckdb
import numpy as np

from orchestration.resources import REPO_ROOT

FEATURES: tuple[str, ...] = (
    "has_detractor_answer",
    "has_repeated_support_cases",
    "has_open_support_case",
    "has_negative_comment",
    "is_web_inactive",
)
SEED = REPO_ROOT / "dbt_project" / "seeds" / "churn_model_coefficients.csv"
DEFAULT_REASONS: dict[str, str] = {
    "intercept": "",
    "has_detractor_answer": "gave a detractor answer (NPS 0-6)",
    "has_repeated_support_cases": "opened repeated support cases",
    "has_open_support_case": "has an open support case",
    "has_negative_comment": "wrote a negative comment",
    "is_web_inactive": "no web visit in recent weeks",
}


def read_history(published: Path) -> tuple[np.ndarray, np.ndarray]:
    """Features (0/1, one column per FEATURES) and churned (0/1) of the latest as-of date."""
    columns = ", ".join(f"cast({name} as integer)" for name in FEATURES)
    with duckdb.connect(str(published), read_only=True) as con:
        rows = con.execute(
            f"select {columns}, cast(is_churned as integer)"
            " from marts.fct_customer_churn_risk where is_latest order by customer_id"
        ).fetchall()
    data = np.array(rows, dtype=float).reshape(-1, len(FEATURES) + 1)
    return data[:, :-1], data[:, -1]


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iterations: int = 50) -> np.ndarray:
    """Coefficients [intercept, *features] of a logistic regression by Newton's method."""
    design = np.column_stack([np.ones(len(x)), x])
    penalty = np.full(design.shape[1], l2)
    penalty[0] = 0.0
    beta = np.zeros(design.shape[1])
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-design @ beta))
        gradient = design.T @ (y - p) - penalty * beta
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


def read_reasons(seed: Path) -> dict[str, str]:
    reasons = dict(DEFAULT_REASONS)
    if seed.exists():
        with seed.open(encoding="utf-8", newline="") as handle:
            reasons.update({row["feature"]: row["reason"] for row in csv.DictReader(handle)})
    return reasons


def write_seed(seed: Path, beta: np.ndarray, reasons: dict[str, str]) -> None:
    with seed.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["feature", "coefficient", "reason"])
        for name, value in zip(("intercept", *FEATURES), beta, strict=True):
            writer.writerow([name, f"{value:.4f}", reasons.get(name, "")])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orchestration.churn.fit",
        description="Fit the churn-risk logistic regression on the latest as-of date of a "
        "published warehouse and write the dbt seed churn_model_coefficients.csv.",
    )
    parser.add_argument(
        "--published",
        type=Path,
        default=REPO_ROOT / "warehouse" / "cjm_marts.duckdb",
        help="published marts file to fit on (default: warehouse/cjm_marts.duckdb)",
    )
    parser.add_argument("--seed-file", type=Path, default=SEED, help=f"default: {SEED}")
    parser.add_argument("--l2", type=float, default=1.0, help="L2 penalty (default 1.0)")
    parser.add_argument("--dry-run", action="store_true", help="print, do not write the seed")
    args = parser.parse_args(argv)
    if not args.published.exists():
        print(
            f"error: {args.published} does not exist; run `cjm run` on the history to fit on "
            "first (or name its published file with --published)",
            file=sys.stderr,
        )
        return 2
    x, y = read_history(args.published)
    if len(y) == 0 or y.min() == y.max():
        print(
            f"error: {args.published} has {len(y)} customers who bought and "
            f"{int(y.sum())} churners; fitting needs both churners and customers who stayed",
            file=sys.stderr,
        )
        return 2
    beta = fit_logistic(x, y, args.l2)
    print(f"fitted on {len(y)} customers, {int(y.sum())} churned ({args.published})")
    for name, value in zip(("intercept", *FEATURES), beta, strict=True):
        print(f"  {name:<28} {value:8.4f}")
    if not args.dry_run:
        write_seed(args.seed_file, beta, read_reasons(args.seed_file))
        print(f"wrote {args.seed_file}; the next `cjm run` scores with it")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
