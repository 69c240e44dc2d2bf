"""truth.json of a replicated landing: counts times K, rates as they are, ids base-only.

K copies of a base population with their own identifiers and the same timestamps give every
per-customer figure K times (counts, sums of revenue and attribution credit) and leave every
ratio unchanged (NPS, means, shares, conversion rates, odds ratios, churn rates, removal
effects). The emotion curve's dips are a significance test, recomputed from the scaled
counts. Interpolated quantiles (medians, p90) of K copies differ slightly from the base's,
and lists of ids name copy 0's records only: those stay as in the base and are listed under
`scaling.base_only`.
"""

from __future__ import annotations

from typing import Any

from orchestration.generate.truth import emotion_curve

# Numbers under these keys are ratios, settings or positions: the same in every copy.
KEPT_KEYS = frozenset(
    {
        "nps",
        "mean",
        "top_box_share",
        "odds_ratio",
        "churn_rate",
        "churn_rate_with",
        "churn_rate_without",
        "nps_exposed",
        "nps_not_exposed",
        "distinct",
        "step_number",
        "phase_order",
        "conversion_to_next",
        "conversion_from_first",
        "step_conversion",
        "overall_conversion",
    }
)
# Whole sub-trees that are ratios or settings.
KEPT_TREES = frozenset(
    {
        "attribution.removal_effects",
        "attribution.settings",
        "attribution.scripted_drop_off_paths",
        "churn.definition",
        "emotion_curve",  # recomputed from the scaled counts: its dip test depends on n
    }
)
# Sub-trees that name copy 0's records, or interpolated quantiles: kept as in the base.
BASE_ONLY_TREES = frozenset(
    {
        "comments.responses",
        "churn.churned_customers",
        "attribution.scripted",
        "attribution.scripted_outside_lookback",
    }
)
QUANTILE_MARKS = ("median", "p90")


def scale_expected(expected: dict[str, Any], copies: int) -> tuple[dict[str, Any], list[str]]:
    """`expected` of the base with every count times `copies`; also the base-only paths met."""
    base_only: set[str] = set()

    def walk(value: Any, path: str, key: str) -> Any:
        if path in KEPT_TREES:
            return value
        if path in BASE_ONLY_TREES or any(mark in key for mark in QUANTILE_MARKS):
            base_only.add(path)
            return value
        if isinstance(value, dict):
            return {name: walk(item, _join(path, name), name) for name, item in value.items()}
        if isinstance(value, list):
            return [walk(item, path, key) for item in value]
        if isinstance(value, bool) or not isinstance(value, int | float) or key in KEPT_KEYS:
            return value
        if isinstance(value, int):
            return value * copies
        return round(value * copies, 6)

    return walk(expected, "", ""), sorted(base_only)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def scale_truth(document: dict[str, Any], copies: int, requested: int) -> dict[str, Any]:
    """The truth document of the base, rewritten for `copies` copies of it."""
    parameters = document["parameters"]
    expected, base_only = scale_expected(document["expected"], copies)
    if "emotion_curve" in expected:
        expected["emotion_curve"] = emotion_curve(expected["nps_by_touchpoint"])
    return {
        "parameters": {
            **parameters,
            "customers": parameters["customers"] * copies,
            "customers_requested": requested,
            "base_customers": parameters["customers"],
            "copies": copies,
        },
        "planted": document["planted"],
        "expected": expected,
        "scaling": {
            "copies": copies,
            "rule": (
                "the landing is `copies` copies of a simulated base population with their own "
                "identifiers and the base's timestamps: every count and sum in `expected` is "
                "the base's times `copies`; ratios, means and settings (kept_keys, kept) are "
                "the base's; base_only entries are the base's and name copy 0's records (or "
                "are interpolated quantiles, which differ slightly over the copies)"
            ),
            "kept_keys": sorted(KEPT_KEYS),
            "kept": sorted(KEPT_TREES),
            "base_only": base_only,
        },
    }
