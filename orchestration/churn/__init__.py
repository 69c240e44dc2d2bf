"""Churn risk: fitting the coefficients of fct_customer_churn_risk and judging its score.

`python -m orchestration.churn.fit` fits the logistic regression on a warehouse's history and
writes the dbt seed churn_model_coefficients; `cjm benchmark --churn` measures the score
against the churners a generated sample was planted with (orchestration/churn/evaluate.py).
"""
