"""Planted churn: which known customers who bought leave, and the records they leave behind.

`plant_churn` runs when a person is finished (all their records emitted). It reads the drivers
off those records (never off the plan), draws churn with the logit of model.CHURN_WEIGHTS plus
noise, and adds the churn record in the real Salesforce export shape: a renewal Opportunity
(Type `Renewal`, StageName `Closed Lost`, one OpportunityHistory row) or, for a customer who
reached service, sometimes a cancellation Case (Type and Reason `Cancellation`). Its draws come
from a stream of their own (seeded by the sample's seed and the contact id), so planting churn
leaves every other drawn value as it was.

`ChurnTruth` is truth.json's side: it applies the churn definition of the dbt seed
`churn_settings` (read from the seed, its one home) to the emitted records and reports the
churners and the churn rate with and without each driver.
"""

from __future__ import annotations

import csv
import math
import random
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from orchestration.generate import crm
from orchestration.generate.clock import DAY, HOUR, floor_second, parse_salesforce_datetime
from orchestration.generate.model import (
    CHURN_CANCELLATION,
    CHURN_CANCELLATION_CASE_SHARE,
    CHURN_INACTIVE_DAYS,
    CHURN_INTERCEPT,
    CHURN_RENEWAL_TYPE,
    CHURN_REPEATED_CASES,
    CHURN_WEIGHTS,
    PersonRecords,
)
from orchestration.transform.manifest import default_project_dir as dbt_project_dir

if TYPE_CHECKING:
    from orchestration.generate.journey import PersonBuilder

CHURN_NOISE_SD = 0.5  # unobserved reasons: normal noise on the logit
INVALID_STATUSES = frozenset({"Survey Preview", "Survey Test", "1"})
FINISHED_VALUES = frozenset({"True", "true", "1"})


@cache
def churn_definition() -> dict[str, Any]:
    """The churn definition truth.json applies: the dbt seed churn_settings (its one home).
    truth.json counts churn events only; `inactivity_days` is reported but not applied."""
    path = dbt_project_dir() / "seeds" / "churn_settings.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        values = {row["setting"]: row["value"] for row in csv.DictReader(handle)}
    return {
        "lost_renewal_opportunity": values["lost_renewal_opportunity"].lower() == "true",
        "renewal_opportunity_types": values["renewal_opportunity_types"].split("|"),
        "cancellation_case": values["cancellation_case"].lower() == "true",
        "cancellation_case_pattern": values["cancellation_case_pattern"].lower(),
        "inactivity_days": int(values["inactivity_days"]) if values["inactivity_days"] else None,
    }


def _answers(surveys: list[Any]) -> list[tuple[bool, bool]]:
    """(detractor, detractor with a comment) of each valid answer with an NPS."""
    answers = []
    for response in surveys:
        row = response.row
        if row["Status"] in INVALID_STATUSES or row["Finished"] not in FINISHED_VALUES:
            continue
        group_column = next(column for column in row if column.endswith("_NPS_GROUP"))
        score_column = group_column[: -len("_NPS_GROUP")]
        if row[score_column] == "":
            continue
        comment = next((v for k, v in row.items() if k.endswith("_TEXT")), "")
        detractor = int(row[score_column]) <= 6
        answers.append((detractor, detractor and comment != ""))
    return answers


def drivers(records: PersonRecords, window_end: int) -> dict[str, bool]:
    """The planted churn drivers a person shows in their emitted records."""
    answers = _answers(records.surveys)
    last_visit = max((event.timestamp for event in records.web_events), default=None)
    return {
        "detractor_answer": any(detractor for detractor, _ in answers),
        "repeated_support_cases": len(records.cases) >= CHURN_REPEATED_CASES,
        "negative_comment": any(negative for _, negative in answers),
        "web_inactive": last_visit is None or last_visit < window_end - CHURN_INACTIVE_DAYS * DAY,
    }


def churn_probability(flags: dict[str, bool], noise: float = 0.0) -> float:
    logit = CHURN_INTERCEPT + noise + sum(CHURN_WEIGHTS[k] for k, on in flags.items() if on)
    return 1 / (1 + math.exp(-logit))


def _last_activity(records: PersonRecords) -> int:
    moments = [event.timestamp for event in records.web_events]
    moments += [response.recorded for response in records.surveys]
    moments += [parse_salesforce_datetime(row["CreatedDate"]) for row in records.cases]
    moments += [
        parse_salesforce_datetime(row["CreatedDate"]) for row in records.opportunity_history
    ]
    return max(moments)


def plant_churn(builder: PersonBuilder, seed: int) -> bool:
    """Draw churn for a finished person; add the churn record. True when the person churned."""
    known, records = builder.known, builder.records
    if known is None or builder.top < 3:
        return False
    rng = random.Random(f"churn:{seed}:{known.contact_ids[0]}")
    flags = drivers(records, builder.end)
    if rng.random() >= churn_probability(flags, rng.gauss(0, CHURN_NOISE_SD)):
        return False
    low = max(_last_activity(records) + HOUR, builder.end - CHURN_INACTIVE_DAYS * DAY)
    high = builder.end - 2 * HOUR
    if high <= low:
        return False
    at = floor_second(low + rng.randrange(high - low))
    if builder.top >= 4 and rng.random() < CHURN_CANCELLATION_CASE_SHARE:
        _cancellation_case(builder, rng, at)
    else:
        _lost_renewal(builder, rng, at)
    return True


def _lost_renewal(builder: PersonBuilder, rng: random.Random, at: int) -> None:
    known = builder.known
    assert known is not None
    account = known.account.row
    sim = builder.sim
    opportunity, history = crm.opportunity_rows(
        sim.salesforce_ids.next("Opportunity"),
        [sim.salesforce_ids.next("OpportunityHistory")],
        account["Id"],
        known.contact_ids[0],
        f"{account['Name'].splitlines()[0]} – Verlängerung",
        "Other",
        account["OwnerId"],
        [crm.StageChange("Closed Lost", at, rng.randrange(10, 161) * 500.0)],
    )
    opportunity["Type"] = CHURN_RENEWAL_TYPE
    builder.records.opportunities.append(opportunity)
    builder.records.opportunity_history.extend(history)


def _cancellation_case(builder: PersonBuilder, rng: random.Random, at: int) -> None:
    known = builder.known
    assert known is not None
    sim = builder.sim
    origin = rng.choice(("Phone", "Email", "Web"))
    closed = at + HOUR + rng.randrange(DAY)
    row = crm.case_row(
        rng,
        sim.salesforce_ids.next("Case"),
        sim.next_case_number(),
        known.account.row["Id"],
        known.contact_ids[0],
        origin,
        at,
        floor_second(closed) if closed < builder.end - HOUR else None,
        known.account.row["OwnerId"],
    )
    row.update(
        {
            "Type": CHURN_CANCELLATION,
            "Reason": CHURN_CANCELLATION,
            "Subject": "Kündigung zum Laufzeitende",
            "Description": "Kunde kündigt den Vertrag zum Ende der Laufzeit.",
        }
    )
    builder.records.cases.append(row)


def is_lost_renewal(row: dict[str, str]) -> bool:
    definition = churn_definition()
    return (
        definition["lost_renewal_opportunity"]
        and row["StageName"] == "Closed Lost"
        and row["Type"].lower() in {t.lower() for t in definition["renewal_opportunity_types"]}
    )


def is_cancellation_case(row: dict[str, str]) -> bool:
    definition = churn_definition()
    pattern = definition["cancellation_case_pattern"]
    return definition["cancellation_case"] and any(
        pattern in row[column].lower() for column in ("Type", "Reason")
    )


@dataclass
class _Customer:
    cases: int = 0
    churned_at: int | None = None
    last_visit: int | None = None
    detractor_answer: bool = False
    negative_comment: bool = False


@dataclass
class ChurnTruth:
    """Churners and per-driver churn rates, from the emitted records (truth.json `churn`)."""

    window_end: int
    customers: dict[str, _Customer] = field(default_factory=dict)

    def _customer(self, customer: str) -> _Customer:
        return self.customers.setdefault(customer, _Customer())

    def add_person(
        self, records: PersonRecords, customer_of_id15: dict[str, str], last_visit: dict[str, int]
    ) -> None:
        for row in records.cases:
            customer = self._customer(customer_of_id15[row["ContactId"][:15]])
            if is_cancellation_case(row):
                self._churn(customer, parse_salesforce_datetime(row["CreatedDate"]))
            else:
                customer.cases += 1
        for row in records.opportunities:
            if is_lost_renewal(row):
                customer = self._customer(customer_of_id15[row["ContactId"][:15]])
                self._churn(customer, parse_salesforce_datetime(row["LastModifiedDate"]))
        for customer_id, moment in last_visit.items():
            self._customer(customer_id).last_visit = moment

    @staticmethod
    def _churn(customer: _Customer, at: int) -> None:
        if customer.churned_at is None or at < customer.churned_at:
            customer.churned_at = at

    def add_answer(self, customer: str, detractor: bool, comment: str) -> None:
        entry = self._customer(customer)
        entry.detractor_answer |= detractor
        entry.negative_comment |= detractor and comment != ""

    def expected(self, buyers: set[str]) -> dict[str, Any]:
        """Among customers who bought: churners, and churn rate with and without each driver."""
        eligible = {c: self._customer(c) for c in sorted(buyers)}
        flags = {
            customer: {
                "detractor_answer": entry.detractor_answer,
                "repeated_support_cases": entry.cases >= CHURN_REPEATED_CASES,
                "negative_comment": entry.negative_comment,
                "web_inactive": entry.last_visit is None
                or entry.last_visit < self.window_end - CHURN_INACTIVE_DAYS * DAY,
            }
            for customer, entry in eligible.items()
        }
        churners = [c for c, entry in eligible.items() if entry.churned_at is not None]
        rates = {}
        for driver in CHURN_WEIGHTS:
            groups: dict[bool, list[bool]] = {True: [], False: []}
            for customer, entry in eligible.items():
                groups[flags[customer][driver]].append(entry.churned_at is not None)
            rates[driver] = {
                "customers_with": len(groups[True]),
                "churn_rate_with": _rate(groups[True]),
                "customers_without": len(groups[False]),
                "churn_rate_without": _rate(groups[False]),
            }
        return {
            "definition": churn_definition(),
            "eligible_customers": len(eligible),
            "churners": len(churners),
            "churn_rate": _rate([c in set(churners) for c in eligible]),
            "churn_rate_by_driver": rates,
            "churned_customers": churners,
        }


def _rate(outcomes: list[bool]) -> float | None:
    return round(sum(outcomes) / len(outcomes), 6) if outcomes else None
