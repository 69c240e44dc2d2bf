"""The CX seeds the generator reads: personas (applied to a customer's CRM records) and the
follow-up service levels.

The generator reads the dbt seeds (the one home of these rules) and implements the matching
on its own, so that truth.json and the warehouse's models agree independently.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache

from orchestration.transform.manifest import default_project_dir as dbt_project_dir


@dataclass(frozen=True)
class PersonaRule:
    persona_id: str
    priority: int
    customer_kind: str
    industry_pattern: str
    region_pattern: str
    lead_source_pattern: str
    min_employees: int | None
    max_employees: int | None

    def matches(
        self, industry: str | None, region: str | None, lead_source: str | None,
        employees: int | None,
    ) -> bool:  # fmt: skip
        for pattern, value in (
            (self.industry_pattern, industry),
            (self.region_pattern, region),
            (self.lead_source_pattern, lead_source),
        ):
            if pattern and (value is None or re.search(pattern, value) is None):
                return False
        if self.min_employees is not None and (employees is None or employees < self.min_employees):
            return False
        return self.max_employees is None or (
            employees is not None and employees <= self.max_employees
        )


def _optional_int(text: str) -> int | None:
    return int(text) if text.strip() else None


@cache
def persona_rules() -> tuple[PersonaRule, ...]:
    path = dbt_project_dir() / "seeds" / "personas.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rules = [
            PersonaRule(
                row["persona_id"],
                int(row["priority"]),
                row["customer_kind"],
                row["industry_pattern"],
                row["region_pattern"],
                row["lead_source_pattern"],
                _optional_int(row["min_employees"]),
                _optional_int(row["max_employees"]),
            )
            for row in csv.DictReader(handle)
        ]
    return tuple(sorted(rules, key=lambda rule: (rule.priority, rule.persona_id)))


def _blank_to_none(text: str | None) -> str | None:
    return text.strip() or None if text is not None else None


def persona_of_known(account: dict[str, str] | None, contact: dict[str, str]) -> str | None:
    """The persona of a CRM contact (its master record) and its account's export row."""
    account = account or {}
    employees = _blank_to_none(account.get("NumberOfEmployees"))
    for rule in persona_rules():
        if rule.customer_kind == "known" and rule.matches(
            _blank_to_none(account.get("Industry")),
            _blank_to_none(account.get("BillingCountry")),
            _blank_to_none(contact.get("LeadSource")),
            int(employees) if employees is not None else None,
        ):
            return rule.persona_id
    return None


def persona_of_anonymous() -> str | None:
    return next((r.persona_id for r in persona_rules() if r.customer_kind == "anonymous"), None)


@cache
def _service_levels() -> dict[tuple[str, str], float]:
    path = dbt_project_dir() / "seeds" / "follow_up_service_levels.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        return {
            (row["trigger_reason"], row["touchpoint_id"]): float(row["hours_to_follow_up"])
            for row in csv.DictReader(handle)
        }


def follow_up_hours(trigger: str, touchpoint: str | None) -> float:
    """Hours a follow-up may take (seed follow_up_service_levels: the touchpoint's row wins
    over '*')."""
    levels = _service_levels()
    return levels.get((trigger, touchpoint or ""), levels[(trigger, "*")])
