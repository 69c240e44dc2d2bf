"""truth.json: the contract's figures, computed from the emitted records.

The builder sees only what lands in the exports (the rows and GA4 lines as written) and applies
the contract's rules to them: identity merging, touchpoint rules, valid responses, phase entry
and the funnel. It never looks at the plan a person was drawn from, so a mismatch with the
warehouse points at a rule implemented differently on one side.
"""

from __future__ import annotations

import math
from collections import Counter
from decimal import Decimal
from typing import Any

from orchestration.generate.clock import HOUR, parse_salesforce_datetime
from orchestration.generate.model import PersonRecords
from orchestration.generate.survey import SurveyResponse
from orchestration.generate.taxonomy import (
    JOURNEY_ID,
    PHASE_ORDER,
    PHASES,
    TOUCHPOINT_PHASE,
    match_touchpoint,
    page_path,
)
from orchestration.generate.vocab import PLANTED_COMMENTS, PLANTED_SENTIMENT

PLANTED_COMMENT_LABELS: dict[str, tuple[str, str]] = {
    text: (PLANTED_SENTIMENT[group], theme)
    for groups in PLANTED_COMMENTS.values()
    for group, planted in groups.items()
    for text, theme in planted
}
INVALID_STATUSES = frozenset({"Survey Preview", "Survey Test", "1"})
FINISHED_VALUES = frozenset({"True", "true", "1"})


def quantile_cont(values: list[float], q: float) -> float:
    """DuckDB's quantile_cont: linear interpolation between the closest ranks."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _param(row: dict[str, Any], key: str) -> dict[str, Any] | None:
    for param in row.get("event_params") or []:
        if param["key"] == key:
            return param["value"]
    return None


class _Nps:
    def __init__(self) -> None:
        self.promoters = self.passives = self.detractors = 0

    def add(self, score: int) -> None:
        if score >= 9:
            self.promoters += 1
        elif score >= 7:
            self.passives += 1
        else:
            self.detractors += 1

    def as_dict(self) -> dict[str, Any]:
        responses = self.promoters + self.passives + self.detractors
        nps = 100 * (self.promoters - self.detractors) / responses if responses else None
        return {
            "responses": responses,
            "promoters": self.promoters,
            "passives": self.passives,
            "detractors": self.detractors,
            "nps": _round(nps),
        }


class TruthBuilder:
    """Folds each person's records into the expected figures; bounded by customers, not events."""

    def __init__(self) -> None:
        self.raw_rows: Counter[str] = Counter()
        self.web_distinct = 0
        self.touchpoints: Counter[str] = Counter({tp: 0 for tp in TOUCHPOINT_PHASE})
        self.revenue = Decimal(0)
        self.customer_of_id15: dict[str, str] = {}
        self.customer_of_email: dict[str, str] = {}
        self.seen_pseudo_ids: set[str] = set()
        self.known_customers = 0
        self.anonymous_customers = 0
        self.entered: dict[str, list[int | None]] = {}
        self.surveys_total = 0
        self.surveys_valid = 0
        self.unresolved_valid_responses = 0
        self.nps_overall = _Nps()
        self.nps_by_touchpoint: dict[str, _Nps] = {}
        self.nps_by_phase: dict[str, _Nps] = {}
        self.planted_comments: dict[str, tuple[str, str]] = {}  # response id -> sentiment, theme

    # --- people -------------------------------------------------------------------------------

    def _occurrence(self, customer: str, touchpoint: str, at: int) -> None:
        self.touchpoints[touchpoint] += 1
        slots = self.entered.setdefault(customer, [None] * len(PHASES))
        index = PHASE_ORDER[TOUCHPOINT_PHASE[touchpoint]] - 1
        current = slots[index]
        if current is None or at < current:
            slots[index] = at

    def add_person(self, records: PersonRecords, lines: list[str]) -> None:
        self.raw_rows["crm_accounts"] += len(records.accounts)
        self.raw_rows["crm_contacts"] += len(records.contacts)
        self.raw_rows["crm_opportunities"] += len(records.opportunities)
        self.raw_rows["crm_opportunity_history"] += len(records.opportunity_history)
        self.raw_rows["crm_cases"] += len(records.cases)
        self._add_contacts(records.contacts)
        self._add_web(records, lines)
        self._add_crm(records)

    def _add_contacts(self, contacts: list[dict[str, str]]) -> None:
        groups: dict[str, list[tuple[int, str]]] = {}
        for contact in contacts:
            key = contact["Email"].strip().lower()
            groups.setdefault(key, []).append(
                (parse_salesforce_datetime(contact["CreatedDate"]), contact["Id"])
            )
        for key, members in groups.items():
            if key in self.customer_of_email:
                raise AssertionError(f"e-mail {key} belongs to two simulated people")
            master = min(members)[1]
            self.customer_of_email[key] = master
            self.known_customers += 1
            for _, contact_id in members:
                self.customer_of_id15[contact_id[:15]] = master

    def _add_web(self, records: PersonRecords, lines: list[str]) -> None:
        self.raw_rows["web_events"] += len(lines) + sum(e.duplicated for e in records.web_events)
        distinct: list[dict[str, Any]] = []
        seen: set[str] = set()
        for event, line in zip(records.web_events, lines, strict=True):
            if line not in seen:
                seen.add(line)
                distinct.append(event.row)
        self.web_distinct += len(distinct)
        # device -> customer: the user_id of its earliest event that carries one
        first_login: dict[str, tuple[int, str]] = {}
        for row in distinct:
            pseudo_id, user_id = row["user_pseudo_id"], row.get("user_id")
            if user_id:
                stamp = int(row["event_timestamp"])
                if pseudo_id not in first_login or stamp < first_login[pseudo_id][0]:
                    first_login[pseudo_id] = (stamp, user_id)
        customer_of_device: dict[str, str] = {}
        for row in distinct:
            pseudo_id = row["user_pseudo_id"]
            if pseudo_id in customer_of_device:
                continue
            if pseudo_id in self.seen_pseudo_ids:
                raise AssertionError(f"device {pseudo_id} used by two simulated people")
            self.seen_pseudo_ids.add(pseudo_id)
            if pseudo_id in first_login:
                customer_of_device[pseudo_id] = self.customer_of_id15[
                    first_login[pseudo_id][1][:15]
                ]
            else:
                customer_of_device[pseudo_id] = "anon-" + pseudo_id
                self.anonymous_customers += 1
        for row in distinct:
            fields: dict[str, str | None] = {"event_name": row["event_name"]}
            if row["event_name"] == "page_view":
                location = _param(row, "page_location")
                fields["page_path"] = page_path(location["string_value"]) if location else None
            touchpoint = match_touchpoint("web", fields)
            if touchpoint is None:
                continue
            self._occurrence(
                customer_of_device[row["user_pseudo_id"]], touchpoint, int(row["event_timestamp"])
            )
            if touchpoint == "checkout":
                self.revenue += Decimal(repr(row["ecommerce"]["purchase_revenue"]))

    def _add_crm(self, records: PersonRecords) -> None:
        contact_of_opportunity = {row["Id"][:15]: row["ContactId"] for row in records.opportunities}
        for row in records.opportunity_history:
            touchpoint = match_touchpoint("crm", {"opportunity_stage": row["StageName"]})
            if touchpoint is None:
                continue
            contact_id = contact_of_opportunity[row["OpportunityId"][:15]]
            self._occurrence(
                self.customer_of_id15[contact_id[:15]],
                touchpoint,
                parse_salesforce_datetime(row["CreatedDate"]),
            )
            if touchpoint == "contract_signed":
                self.revenue += Decimal(row["Amount"])
        for row in records.cases:
            touchpoint = match_touchpoint("crm", {"case_origin": row["Origin"]})
            if touchpoint is not None:
                self._occurrence(
                    self.customer_of_id15[row["ContactId"][:15]],
                    touchpoint,
                    parse_salesforce_datetime(row["CreatedDate"]),
                )

    # --- surveys ------------------------------------------------------------------------------

    def add_surveys(self, responses: list[SurveyResponse]) -> None:
        for response in responses:
            row = response.row
            self.surveys_total += 1
            if row["Status"] in INVALID_STATUSES or row["Finished"] not in FINISHED_VALUES:
                continue
            self.surveys_valid += 1
            self._add_planted_comment(row)
            nps_column = next(
                column[: -len("_NPS_GROUP")] for column in row if column.endswith("_NPS_GROUP")
            )
            touchpoint = match_touchpoint(
                "survey",
                {
                    "embedded.touchpoint": row.get("touchpoint") or None,
                    "survey_name": response.survey,
                },
            )
            reference = row["ExternalReference"]
            if reference:
                customer = self.customer_of_id15.get(reference[:15])
            else:
                customer = self.customer_of_email.get(row["RecipientEmail"].strip().lower())
            if customer is None:
                self.unresolved_valid_responses += 1
            if row[nps_column] == "":
                continue
            score = int(row[nps_column])
            self.nps_overall.add(score)
            if touchpoint is not None:
                self.nps_by_touchpoint.setdefault(touchpoint, _Nps()).add(score)
                self.nps_by_phase.setdefault(TOUCHPOINT_PHASE[touchpoint], _Nps()).add(score)
        self.raw_rows["survey_responses"] += len(responses)

    def _add_planted_comment(self, row: dict[str, str]) -> None:
        """Count a valid response whose comment is one of vocab.PLANTED_COMMENTS."""
        text = next((value for column, value in row.items() if column.endswith("_TEXT")), "")
        planted = PLANTED_COMMENT_LABELS.get(text)
        if planted is not None:
            self.planted_comments[row["ResponseId"]] = planted

    def comments(self) -> dict[str, Any]:
        by_theme: dict[str, dict[str, int]] = {}
        for sentiment, theme in self.planted_comments.values():
            counts = by_theme.setdefault(theme, {"positive": 0, "neutral": 0, "negative": 0})
            counts[sentiment] += 1
        return {
            "planted": len(self.planted_comments),
            "by_theme": dict(sorted(by_theme.items())),
            "responses": {
                response_id: {"sentiment": sentiment, "theme": theme}
                for response_id, (sentiment, theme) in sorted(self.planted_comments.items())
            },
        }

    # --- result -------------------------------------------------------------------------------

    def funnel(self) -> list[dict[str, Any]]:
        entered = [0] * len(PHASES)
        reached_next = [0] * len(PHASES)
        hours: list[list[float]] = [[] for _ in PHASES]
        for slots in self.entered.values():
            for index, at in enumerate(slots):
                if at is None:
                    continue
                entered[index] += 1
                following = slots[index + 1] if index + 1 < len(PHASES) else None
                if following is not None:
                    reached_next[index] += 1
                    hours[index].append((following - at) / HOUR)
        rows = []
        for index, phase in enumerate(PHASES):
            last = index == len(PHASES) - 1
            rows.append(
                {
                    "journey_id": JOURNEY_ID,
                    "phase_id": phase,
                    "phase_order": index + 1,
                    "customers_entered": entered[index],
                    "customers_reached_next": 0 if last else reached_next[index],
                    "conversion_to_next": None
                    if last or not entered[index]
                    else _round(reached_next[index] / entered[index]),
                    "conversion_from_first": _round(entered[index] / entered[0])
                    if entered[0]
                    else None,
                    "median_hours_to_next": _round(quantile_cont(hours[index], 0.5))
                    if hours[index]
                    else None,
                    "p90_hours_to_next": _round(quantile_cont(hours[index], 0.9))
                    if hours[index]
                    else None,
                }
            )
        return rows

    def expected(self) -> dict[str, Any]:
        if self.unresolved_valid_responses:
            raise AssertionError(
                f"{self.unresolved_valid_responses} valid responses name no known contact"
            )
        raw_order = (
            "survey_responses",
            "crm_accounts",
            "crm_contacts",
            "crm_opportunities",
            "crm_opportunity_history",
            "crm_cases",
            "web_events",
        )
        return {
            "raw_rows": {name: self.raw_rows[name] for name in raw_order},
            "web_events_distinct": self.web_distinct,
            "customers": self.known_customers + self.anonymous_customers,
            "known_customers": self.known_customers,
            "anonymous_customers": self.anonymous_customers,
            "touchpoints": dict(self.touchpoints),
            "revenue_total": _round(float(self.revenue)),
            "survey_responses": {"total": self.surveys_total, "valid": self.surveys_valid},
            "nps_overall": self.nps_overall.as_dict(),
            "nps_by_touchpoint": {
                tp: self.nps_by_touchpoint[tp].as_dict()
                for tp in TOUCHPOINT_PHASE
                if tp in self.nps_by_touchpoint
            },
            "nps_by_phase": {
                phase: self.nps_by_phase[phase].as_dict()
                for phase in PHASES
                if phase in self.nps_by_phase
            },
            "funnel": self.funnel(),
            "comments": self.comments(),
        }
