"""truth.json `accounts`: the B2B side of the contract, from the emitted records.

An opportunity's stage touchpoints belong to its account always, and to a customer when the
Opportunity names a contact (ContactId, else the contact of its primary OpportunityContactRole);
the other contact roles make no touchpoints. An opportunity without OpportunityHistory rows
gives two stage events from its own row: the first stage of the sales process at CreatedDate,
and its StageName at CloseDate (midnight UTC, never before CreatedDate) when it is closed (won,
or in a closed stage). An
account's journey is the touchpoints of its records and of its contacts; it enters a phase with
its first touchpoint there and reaches the next phase when it has a touchpoint of the next phase
after that entry.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from orchestration.generate.clock import parse_salesforce_datetime
from orchestration.generate.model import PersonRecords
from orchestration.generate.taxonomy import JOURNEY_ID, PHASES

# dbt vars `cjm_opportunity_first_stage` (the stage an opportunity without history was created
# in) and `cjm_closed_opportunity_stages` (with IsWon, what makes an opportunity closed).
FIRST_STAGE = "Prospecting"
CLOSED_STAGES = frozenset({"Closed Won", "Closed Lost"})


@dataclass(frozen=True)
class StageEvent:
    opportunity_id: str
    account_id: str | None
    contact_id: str | None
    stage: str
    at: int
    amount: Decimal
    from_row: bool  # made from the Opportunity row (no OpportunityHistory)


def _midnight(date_text: str) -> int:
    day = dt.date.fromisoformat(date_text)
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()) * 1_000_000


def _primary_contacts(roles: list[dict[str, str]]) -> dict[str, str]:
    """Opportunity (15) -> contact of its primary role; the latest role when several are."""
    latest: dict[str, tuple[int, str, str]] = {}
    for row in roles:
        if row["IsPrimary"].lower() != "true" or row["IsDeleted"].lower() == "true":
            continue
        key = (parse_salesforce_datetime(row["CreatedDate"]), row["Id"], row["ContactId"])
        opportunity = row["OpportunityId"][:15]
        if opportunity not in latest or key > latest[opportunity]:
            latest[opportunity] = key
    return {opportunity: key[2] for opportunity, key in latest.items()}


def opportunity_stage_events(
    records: PersonRecords, truth: AccountTruth | None = None
) -> Iterator[StageEvent]:
    """The stage events of a person's opportunities: OpportunityHistory rows in export order,
    then the created / closed events of opportunities without history."""
    primary = _primary_contacts(records.opportunity_contact_roles)
    role_counts = Counter(row["OpportunityId"][:15] for row in records.opportunity_contact_roles)
    opportunities = {row["Id"][:15]: row for row in records.opportunities}
    contact_of = {
        key: row["ContactId"] or primary.get(key) or None for key, row in opportunities.items()
    }
    if truth is not None:
        truth.opportunities += len(opportunities)
        truth.opportunities_without_contact += sum(c is None for c in contact_of.values())
        truth.opportunities_with_several_roles += sum(n > 1 for n in role_counts.values())
    for row in records.opportunity_history:
        opportunity = opportunities[row["OpportunityId"][:15]]
        yield StageEvent(
            opportunity["Id"],
            opportunity["AccountId"] or None,
            contact_of[row["OpportunityId"][:15]],
            row["StageName"],
            parse_salesforce_datetime(row["CreatedDate"]),
            Decimal(row["Amount"]),
            from_row=False,
        )
    with_history = {row["OpportunityId"][:15] for row in records.opportunity_history}
    for key, row in opportunities.items():
        if key in with_history:
            continue
        if truth is not None:
            truth.opportunities_without_history += 1
        created = parse_salesforce_datetime(row["CreatedDate"])
        common = (row["Id"], row["AccountId"] or None, contact_of[key])
        yield StageEvent(*common, FIRST_STAGE, created, Decimal(row["Amount"]), from_row=True)
        if row["IsWon"].lower() == "true" or row["StageName"] in CLOSED_STAGES:
            closed = max(_midnight(row["CloseDate"]), created)
            yield StageEvent(
                *common, row["StageName"], closed, Decimal(row["Amount"]), from_row=True
            )


@dataclass
class AccountTruth:
    """Per account its touchpoint occurrences (phase index, time); counts of the plants."""

    occurrences: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    opportunities: int = 0
    opportunities_without_contact: int = 0
    opportunities_with_several_roles: int = 0
    opportunities_without_history: int = 0
    touchpoints_without_history: Counter[str] = field(default_factory=Counter)
    touchpoints_without_customer: int = 0

    def add(self, account: str, phase_index: int, at: int) -> None:
        self.occurrences.setdefault(account, []).append((phase_index, at))

    def add_stage_occurrence(
        self, event: StageEvent, customer: str | None, touchpoint: str
    ) -> None:
        if event.from_row:
            self.touchpoints_without_history[touchpoint] += 1
        if customer is None:
            self.touchpoints_without_customer += 1

    def phases(self) -> dict[str, dict[str, int]]:
        """fct_account_journey_phases: accounts entering each phase, and of those the accounts
        with a touchpoint of the next phase after entering this one."""
        entered = Counter[int]()
        reached_next = Counter[int]()
        for occurrences in self.occurrences.values():
            firsts: dict[int, int] = {}
            for index, at in occurrences:
                firsts[index] = min(at, firsts.get(index, at))
            for index, first in firsts.items():
                entered[index] += 1
                if any(j == index + 1 and at > first for j, at in occurrences):
                    reached_next[index] += 1
        return {
            phase: {
                "accounts_entered": entered[index],
                "accounts_reached_next": reached_next[index],
            }
            for index, phase in enumerate(PHASES)
        }

    def lifecycle_funnel(self) -> list[dict[str, Any]]:
        """agg_funnel, subject account, funnel lifecycle_phases, mode closed, cut all: an
        account reaches phase k+1 with its first touchpoint there at or after reaching k."""
        reached = Counter[int]()
        for occurrences in self.occurrences.values():
            moment: int | None = None
            for index in range(len(PHASES)):
                times = [
                    at for j, at in occurrences if j == index and (moment is None or at >= moment)
                ]
                if not times:
                    break
                moment = min(times)
                reached[index] += 1
        return [
            {
                "step_number": index + 1,
                "step_id": phase,
                "accounts_reached": reached[index],
                "accounts_reached_next": reached[index + 1] if index + 1 < len(PHASES) else 0,
            }
            for index, phase in enumerate(PHASES)
        ]

    def expected(self) -> dict[str, Any]:
        return {
            "journey_id": JOURNEY_ID,
            "accounts_with_touchpoints": len(self.occurrences),
            "opportunities": self.opportunities,
            "opportunities_without_contact": self.opportunities_without_contact,
            "opportunities_with_several_contact_roles": self.opportunities_with_several_roles,
            "opportunities_without_history": self.opportunities_without_history,
            "touchpoints_from_opportunities_without_history": dict(
                sorted(self.touchpoints_without_history.items())
            ),
            "opportunity_touchpoints_without_customer": self.touchpoints_without_customer,
            "phases": self.phases(),
            "lifecycle_funnel_closed": self.lifecycle_funnel(),
        }
