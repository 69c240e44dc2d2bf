"""truth.json's attribution and path figures, computed from the emitted touchpoint occurrences.

A second, independent implementation of the contract the dbt models implement
(models/intermediate/attribution/, models/marts/attribution/): conversions are occurrences of
the conversion touchpoints; a conversion's path is the customer's other touchpoints strictly
before it and within the lookback; a customer who never converted has a drop-off path (the
lookback before their last touch). Rule-based credits follow the formulas; the Markov removal
effects are solved exactly (Gaussian elimination over fractions) where the warehouse iterates.
The settings are the dbt project's vars (one home for them).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cache
from typing import Any

import yaml

from orchestration.generate.clock import DAY, HOUR
from orchestration.transform.manifest import default_project_dir

MODELS = ("first_touch", "last_touch", "linear", "time_decay", "position_based", "markov")
START, CONVERSION, NULL = "(start)", "(conversion)", "(null)"
TOP_PATHS = 30  # most frequent paths per outcome kept in truth.json


@dataclass(frozen=True)
class Settings:
    conversion_touchpoints: tuple[str, ...]
    lookback_days: int
    half_life_days: float


@cache
def settings() -> Settings:
    """The attribution vars of dbt_project.yml."""
    project = yaml.safe_load((default_project_dir() / "dbt_project.yml").read_text("utf-8"))
    variables = project["vars"]
    return Settings(
        tuple(variables["cjm_conversion_touchpoints"]),
        int(variables["cjm_attribution_lookback_days"]),
        float(variables["cjm_attribution_half_life_days"]),
    )


@dataclass(frozen=True)
class Touch:
    at: int  # µs
    touchpoint: str


@dataclass
class JourneyPath:
    customer: str
    outcome: str  # the conversion touchpoint, or drop_off
    end: int
    touches: list[Touch]
    revenue: Decimal | None = None


def collapsed(touches: list[Touch]) -> list[Touch]:
    """Runs of one touchpoint as one step, entered at the run's first touch."""
    steps: list[Touch] = []
    for touch in touches:
        if not steps or steps[-1].touchpoint != touch.touchpoint:
            steps.append(touch)
    return steps


def rule_credits(path: JourneyPath, half_life_days: float) -> dict[str, list[float]]:
    """Credits of the touches of a conversion path in the five rule-based models."""
    n = len(path.touches)
    if n == 0:
        return {model: [1.0] for model in MODELS if model != "markov"}
    decay = [0.5 ** ((path.end - t.at) / HOUR / (24 * half_life_days)) for t in path.touches]
    if n == 1:
        position = [1.0]
    elif n == 2:
        position = [0.5, 0.5]
    else:
        position = [0.4] + [0.2 / (n - 2)] * (n - 2) + [0.4]
    return {
        "first_touch": [1.0] + [0.0] * (n - 1),
        "last_touch": [0.0] * (n - 1) + [1.0],
        "linear": [1 / n] * n,
        "time_decay": [w / sum(decay) for w in decay],
        "position_based": position,
    }


def _solve(matrix: list[list[Fraction]], right: list[Fraction]) -> list[Fraction]:
    """Gaussian elimination with exact fractions (the system is small: one row per state)."""
    size = len(right)
    rows = [row[:] + [value] for row, value in zip(matrix, right, strict=True)]
    for column in range(size):
        pivot = next(r for r in range(column, size) if rows[r][column] != 0)
        rows[column], rows[pivot] = rows[pivot], rows[column]
        for r in range(size):
            if r != column and rows[r][column] != 0:
                factor = rows[r][column] / rows[column][column]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[column], strict=True)]
    return [rows[i][size] / rows[i][i] for i in range(size)]


def conversion_probability(transitions: Counter[tuple[str, str]], removed: str | None) -> Fraction:
    """P(reach (conversion) from (start)); transitions into `removed` go to (null)."""
    totals: Counter[str] = Counter()
    for (source, _), count in transitions.items():
        totals[source] += count
    states = sorted(s for s in totals if s != removed)
    index = {state: i for i, state in enumerate(states)}
    matrix = [[Fraction(int(i == j)) for j in range(len(states))] for i in range(len(states))]
    right = [Fraction(0)] * len(states)
    for (source, target), count in transitions.items():
        if source == removed:
            continue
        probability = Fraction(count, totals[source])
        if target == CONVERSION:
            right[index[source]] += probability
        elif target in index:
            matrix[index[source]][index[target]] -= probability
    return _solve(matrix, right)[index[START]]


def removal_effects(paths: list[JourneyPath]) -> dict[str, float]:
    transitions: Counter[tuple[str, str]] = Counter()
    for path in paths:
        states = [START, *(t.touchpoint for t in collapsed(path.touches))]
        states.append(NULL if path.outcome == "drop_off" else CONVERSION)
        transitions.update(zip(states, states[1:], strict=False))
    if not any(target == CONVERSION for _, target in transitions):
        return {}  # nothing converts: no removal can lower the conversion probability
    whole = conversion_probability(transitions, None)
    touchpoints = sorted({source for source, _ in transitions} - {START})
    return {tp: float(1 - conversion_probability(transitions, tp) / whole) for tp in touchpoints}


class AttributionTruth:
    """Collects every touchpoint occurrence per customer; computes paths and credits at the end."""

    def __init__(self) -> None:
        self.occurrences: dict[str, list[tuple[int, str, Decimal | None]]] = {}
        self._conversion_touchpoints: tuple[str, ...] | None = None
        self.scripted_customers: set[str] = set()

    def add(self, customer: str, touchpoint: str, at: int, revenue: Decimal | None) -> None:
        self.occurrences.setdefault(customer, []).append((at, touchpoint, revenue))

    def add_without_customer(self, touchpoint: str, at: int, revenue: Decimal | None) -> None:
        """A CRM record without a contact (an account's opportunity): no path leads to it, but
        a conversion still keeps its credit and revenue on an empty path."""
        if self._conversion_touchpoints is None:
            self._conversion_touchpoints = settings().conversion_touchpoints
        if touchpoint in self._conversion_touchpoints:
            self.add(f"~no customer {len(self.occurrences)}", touchpoint, at, revenue)

    def paths(self) -> list[JourneyPath]:
        config = settings()
        lookback = config.lookback_days * DAY
        result = []
        for customer, occurrences in sorted(self.occurrences.items()):
            occurrences.sort(key=lambda o: (o[0], o[1]))
            touches = [
                Touch(at, tp)
                for at, tp, _ in occurrences
                if tp not in config.conversion_touchpoints
            ]
            conversions = [o for o in occurrences if o[1] in config.conversion_touchpoints]
            for at, tp, revenue in conversions:
                path = [t for t in touches if at - lookback <= t.at < at]
                result.append(JourneyPath(customer, tp, at, path, revenue))
            if not conversions and touches:
                end = touches[-1].at
                result.append(
                    JourneyPath(
                        customer, "drop_off", end, [t for t in touches if t.at >= end - lookback]
                    )
                )
        return result

    def expected(self) -> dict[str, Any]:
        config = settings()
        paths = self.paths()
        effects = removal_effects(paths)
        credits: dict[str, Counter[str]] = {model: Counter() for model in MODELS}
        revenue: dict[str, Counter[str]] = {model: Counter() for model in MODELS}
        scripted = []
        conversions: Counter[str] = Counter()
        for path in paths:
            if path.outcome == "drop_off":
                continue
            conversions[path.outcome] += 1
            if not path.touches:
                conversions["without_touches"] += 1
            shares = rule_credits(path, config.half_life_days)
            weights = [effects.get(t.touchpoint, 0.0) for t in path.touches] or [1.0]
            shares["markov"] = [w / sum(weights) for w in weights]
            names = [t.touchpoint for t in path.touches] or ["none"]
            amount = float(path.revenue) if path.revenue is not None else 0.0
            for model in MODELS:
                for name, share in zip(names, shares[model], strict=True):
                    credits[model][name] += share
                    revenue[model][name] += share * amount
            if path.customer in self.scripted_customers:
                scripted.append(
                    {
                        "customer_id": path.customer,
                        "conversion_type": path.outcome,
                        "revenue": amount,
                        "touchpoints": names,
                        "hours_before": [(path.end - t.at) / HOUR for t in path.touches],
                        "credits": {m: [round(s, 9) for s in shares[m]] for m in MODELS},
                    }
                )
        return {
            "settings": {
                "conversion_touchpoints": list(config.conversion_touchpoints),
                "lookback_days": config.lookback_days,
                "half_life_days": config.half_life_days,
            },
            "conversions": dict(sorted(conversions.items())),
            "removal_effects": {tp: round(value, 9) for tp, value in sorted(effects.items())},
            "credits": {m: {k: round(v, 6) for k, v in sorted(credits[m].items())} for m in MODELS},
            "revenue": {m: {k: round(v, 2) for k, v in sorted(revenue[m].items())} for m in MODELS},
            "scripted": scripted,
            "paths": self._path_counts(paths),
            "scripted_outside_lookback": self._scripted_outside_lookback(paths),
            "scripted_drop_off_paths": sorted(
                " > ".join(t.touchpoint for t in collapsed(p.touches))
                for p in paths
                if p.customer in self.scripted_customers and p.outcome == "drop_off"
            ),
        }

    def _scripted_outside_lookback(self, paths: list[JourneyPath]) -> list[dict[str, Any]]:
        """Touches of the scripted cohort before a conversion but outside its lookback: they
        are in no path and get no credit."""
        lookback = settings().lookback_days * DAY
        result = []
        for path in paths:
            if path.customer not in self.scripted_customers or path.outcome == "drop_off":
                continue
            for at, touchpoint, _ in self.occurrences[path.customer]:
                if at < path.end - lookback and touchpoint not in settings().conversion_touchpoints:
                    result.append(
                        {
                            "customer_id": path.customer,
                            "conversion_type": path.outcome,
                            "touchpoint_id": touchpoint,
                            "days_before": (path.end - at) / DAY,
                        }
                    )
        return result

    @staticmethod
    def _path_counts(paths: list[JourneyPath]) -> dict[str, Any]:
        """Collapsed paths per outcome (with counts) and the edges over all positions."""
        counts: dict[str, Counter[str]] = {}
        edges: Counter[str] = Counter()
        for path in paths:
            steps = [t.touchpoint for t in collapsed(path.touches)]
            counts.setdefault(path.outcome, Counter())[" > ".join(steps) or "none"] += 1
            if steps:
                nodes = ["start", *steps, path.outcome]
                edges.update(f"{a} -> {b}" for a, b in zip(nodes, nodes[1:], strict=False))
        return {
            "by_outcome": {
                outcome: {
                    "paths": sum(counter.values()),
                    "distinct": len(counter),
                    "top": [
                        [path, n]
                        for path, n in sorted(counter.items(), key=lambda i: (-i[1], i[0]))
                    ][:TOP_PATHS],
                }
                for outcome, counter in sorted(counts.items())
            },
            "edges": dict(sorted(edges.items())),
        }
