"""truth.json: the contract's figures, computed from the emitted records.

The builder sees only what lands in the exports (the rows and GA4 lines as written) and applies
the contract's rules to them: identity merging, touchpoint rules, valid responses, phase entry
and the funnel. It never looks at the plan a person was drawn from, so a mismatch with the
warehouse points at a rule implemented differently on one side.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from decimal import Decimal
from typing import Any

from orchestration.generate import followups
from orchestration.generate.accounts_truth import AccountTruth, opportunity_stage_events
from orchestration.generate.attribution_truth import AttributionTruth
from orchestration.generate.churn import ChurnTruth
from orchestration.generate.clock import HOUR, parse_salesforce_datetime
from orchestration.generate.identity_truth import IdentityTruth
from orchestration.generate.model import PersonRecords
from orchestration.generate.paths import COHORT_DOMAIN
from orchestration.generate.personas import (
    follow_up_hours,
    persona_of_anonymous,
    persona_of_known,
)
from orchestration.generate.survey import SURVEYS, SurveyResponse
from orchestration.generate.taxonomy import (
    JOURNEY_ID,
    PHASE_ORDER,
    PHASES,
    TOUCHPOINT_PHASE,
    Rule,
    match_rule,
    page_path,
    touchpoint_version,
)
from orchestration.generate.vocab import PLANTED_COMMENTS, PLANTED_SENTIMENT

PLANTED_COMMENT_LABELS: dict[str, tuple[str, str]] = {
    text: (PLANTED_SENTIMENT[group], theme)
    for groups in PLANTED_COMMENTS.values()
    for group, planted in groups.items()
    for text, theme in planted
}
# Conversion goals of dbt seed `conversion_goals`: a customer converts at the first occurrence
# of any of the goal's touchpoints.
CONVERSION_GOALS: dict[str, tuple[str, ...]] = {
    "purchase": ("checkout", "contract_signed"),
    "won_opportunity": ("contract_signed",),
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


def utc_month(moment: int) -> str:
    """First day of the UTC month of a µs timestamp, as agg_survey_metrics' period_start."""
    day = dt.datetime.fromtimestamp(moment / 1_000_000, tz=dt.UTC)
    return f"{day.year:04d}-{day.month:02d}-01"


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


class _Ratings:
    """Answers on a rating scale: count, mean and the share at or above the top box."""

    def __init__(self, top_box_min: int) -> None:
        self.top_box_min = top_box_min
        self.scores: list[int] = []

    def as_dict(self) -> dict[str, Any]:
        n = len(self.scores)
        return {
            "n": n,
            "mean": _round(sum(self.scores) / n) if n else None,
            "top_box_share": _round(
                100 * sum(score >= self.top_box_min for score in self.scores) / n
            )
            if n
            else None,
        }


CES_COLUMN = {spec.name: spec.ces_id for spec in SURVEYS}


class TruthBuilder:
    """Folds each person's records into the expected figures; bounded by customers, not events."""

    def __init__(self, window_end: int) -> None:
        self.window_end = window_end
        self.raw_rows: Counter[str] = Counter()
        self.web_distinct = 0
        self.touchpoints: Counter[str] = Counter({tp: 0 for tp in TOUCHPOINT_PHASE})
        self.rule_versions: Counter[str] = Counter()  # occurrences per rule version
        # occurrences per touchpoint version and per phase as the map had it then
        self.touchpoint_versions: Counter[str] = Counter()
        self.phase_occurrences: Counter[str] = Counter()
        self.revenue = Decimal(0)
        self.customer_of_id15: dict[str, str] = {}
        self.customer_of_email: dict[str, str] = {}
        self.seen_pseudo_ids: set[str] = set()
        self.known_customers = 0
        self.anonymous_customers = 0
        self.entered: dict[str, list[int | None]] = {}
        self.next_entered: dict[str, list[int | None]] = {}
        self.surveys_total = 0
        self.surveys_valid = 0
        self.unresolved_valid_responses = 0
        self.nps_overall = _Nps()
        self.nps_by_touchpoint: dict[str, _Nps] = {}
        self.nps_by_phase: dict[str, _Nps] = {}
        self.accounts: dict[str, dict[str, str]] = {}
        self.persona_of_customer: dict[str, str | None] = {}
        self.first_occurrence: dict[tuple[str, str], int] = {}
        self.nps_by_persona: dict[str, _Nps] = {}
        self.csat_by_touchpoint: dict[str, _Ratings] = {}
        self.ces_by_touchpoint: dict[str, _Ratings] = {}
        self.nps_exposed: dict[str, _Nps] = {tp: _Nps() for tp in TOUCHPOINT_PHASE}
        self.nps_not_exposed: dict[str, _Nps] = {tp: _Nps() for tp in TOUCHPOINT_PHASE}
        self.nps_by_touchpoint_month: dict[str, dict[str, _Nps]] = {}
        self.follow_ups: Counter[str] = Counter()
        self.follow_up_hours: list[float] = []
        self.follow_up_outcomes: list[dict[str, str]] = []
        self.planted_comments: dict[str, tuple[str, str]] = {}  # response id -> sentiment, theme
        self.attribution = AttributionTruth()
        self.identity = IdentityTruth()
        self.churn = ChurnTruth(window_end)
        self.account = AccountTruth()
        self.account_of_customer: dict[str, str] = {}  # customer -> its master contact's account
        self._last_visit: dict[str, int] = {}  # customer -> last web event, of the current person

    # --- people -------------------------------------------------------------------------------

    def _occurrence(
        self,
        customer: str | None,
        rule: Rule,
        at: int,
        revenue: Decimal | None = None,
        account: str | None = None,
    ) -> None:
        """One touchpoint occurrence; `account` is the record's own account (an opportunity's
        or a case's), else the customer's. A CRM record without a customer counts for its
        account only."""
        touchpoint = rule.touchpoint_id
        self.touchpoints[touchpoint] += 1
        self.rule_versions[rule.version] += 1
        phase = self._map_version_occurrence(touchpoint, at)
        index = PHASE_ORDER[phase] - 1
        if customer is not None:
            account = account or self.account_of_customer.get(customer)
        if account:
            self.account.add(account, index, at)
        if customer is None:
            self.attribution.add_without_customer(touchpoint, at, revenue)
            return
        self.attribution.add(customer, touchpoint, at, revenue)
        key = (customer, touchpoint)
        self.first_occurrence[key] = min(at, self.first_occurrence.get(key, at))
        slots = self.entered.setdefault(customer, [None] * len(PHASES))
        self._person_occurrences.append((customer, index, at))
        current = slots[index]
        if current is None or at < current:
            slots[index] = at

    def _map_version_occurrence(self, touchpoint: str, at: int) -> str:
        """Counts an occurrence under the touchpoint version valid at its time; its phase."""
        version = touchpoint_version(touchpoint, at)
        self.touchpoint_versions[version.version] += 1
        self.phase_occurrences[version.phase_id] += 1
        return version.phase_id

    def map_versions(self) -> dict[str, Any]:
        """The journey map over time (seeds valid_from / valid_to): occurrences per touchpoint
        version (`touchpoint_id@valid_from`, `@always` without one) and per phase of the
        version valid when they occurred. The sample moves `community` from loyalty to
        service on 2026-10-15."""
        return {
            "touchpoints_by_version": dict(sorted(self.touchpoint_versions.items())),
            "occurrences_by_phase": {phase: self.phase_occurrences[phase] for phase in PHASES},
        }

    def add_person(self, records: PersonRecords, lines: list[str]) -> None:
        self.raw_rows["crm_accounts"] += len(records.accounts)
        self.raw_rows["crm_contacts"] += len(records.contacts)
        self.raw_rows["crm_opportunities"] += len(records.opportunities)
        self.raw_rows["crm_opportunity_history"] += len(records.opportunity_history)
        self.raw_rows["crm_cases"] += len(records.cases)
        self.raw_rows["crm_opportunity_contact_roles"] += len(records.opportunity_contact_roles)
        self._person_occurrences: list[tuple[str, int, int]] = []
        for account in records.accounts:
            self.accounts[account["Id"][:15]] = account
        self._add_contacts(records.contacts)
        self._add_web(records, lines)
        self._add_crm(records)
        self._add_next_phase_entries()
        self.churn.add_person(records, self.customer_of_id15, self._last_visit)

    def _add_next_phase_entries(self) -> None:
        """Per customer of this person and phase: the first entry into the next phase after
        entering this one (a visit of the next phase before it does not count)."""
        for customer in {customer for customer, _, _ in self._person_occurrences}:
            slots = self.entered[customer]
            self.next_entered[customer] = [
                min(
                    (
                        at
                        for who, index, at in self._person_occurrences
                        if who == customer and index == phase + 1 and at > first
                    ),
                    default=None,
                )
                if first is not None
                else None
                for phase, first in enumerate(slots)
            ]

    def _add_contacts(self, contacts: list[dict[str, str]]) -> None:
        groups: dict[str, list[tuple[int, str]]] = {}
        rows = {contact["Id"]: contact for contact in contacts}
        for contact in contacts:
            key = contact["Email"].strip().lower()
            groups.setdefault(key, []).append(
                (parse_salesforce_datetime(contact["CreatedDate"]), contact["Id"])
            )
        for key, members in groups.items():
            if key in self.customer_of_email:
                raise AssertionError(f"e-mail {key} belongs to two simulated people")
            master = min(members)[1]
            self.identity.add_contact_group(len(members))
            self.customer_of_email[key] = master
            if key.endswith("@" + COHORT_DOMAIN):
                self.attribution.scripted_customers.add(master)
            self.known_customers += 1
            for _, contact_id in members:
                self.customer_of_id15[contact_id[:15]] = master
            account = self.accounts.get(rows[master]["AccountId"][:15])
            self.persona_of_customer[master] = persona_of_known(account, rows[master])
            self.account_of_customer[master] = rows[master]["AccountId"]

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
        self.identity.add_browser_events(distinct, first_login)
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
                self.persona_of_customer["anon-" + pseudo_id] = persona_of_anonymous()
        self._last_visit = {}
        for row in distinct:
            customer, stamp = customer_of_device[row["user_pseudo_id"]], int(row["event_timestamp"])
            self._last_visit[customer] = max(stamp, self._last_visit.get(customer, stamp))
        for row in distinct:
            fields: dict[str, str | None] = {"event_name": row["event_name"]}
            if row["event_name"] == "page_view":
                location = _param(row, "page_location")
                fields["page_path"] = page_path(location["string_value"]) if location else None
            at = int(row["event_timestamp"])
            rule = match_rule("web", fields, at)
            if rule is None:
                continue
            revenue = (
                Decimal(repr(row["ecommerce"]["purchase_revenue"]))
                if rule.touchpoint_id == "checkout"
                else None
            )
            self._occurrence(customer_of_device[row["user_pseudo_id"]], rule, at, revenue)
            if revenue is not None:
                self.revenue += revenue

    def _add_crm(self, records: PersonRecords) -> None:
        for event in opportunity_stage_events(records, self.account):
            rule = match_rule("crm", {"opportunity_stage": event.stage}, event.at)
            if rule is None:
                continue
            customer = self.customer_of_id15[event.contact_id[:15]] if event.contact_id else None
            revenue = event.amount if rule.touchpoint_id == "contract_signed" else None
            self.account.add_stage_occurrence(event, customer, rule.touchpoint_id)
            self._occurrence(customer, rule, event.at, revenue, event.account_id)
            if revenue is not None:
                self.revenue += revenue
        for row in records.cases:
            at = parse_salesforce_datetime(row["CreatedDate"])
            rule = match_rule("crm", {"case_origin": row["Origin"]}, at)
            if rule is not None:
                customer = self.customer_of_id15[row["ContactId"][:15]]
                self._occurrence(customer, rule, at, account=row["AccountId"] or None)

    # --- surveys ------------------------------------------------------------------------------

    def add_surveys(self, responses: list[SurveyResponse]) -> None:
        for response in responses:
            row = response.row
            self.surveys_total += 1
            self._add_response_identity(row)
            if row["Status"] in INVALID_STATUSES or row["Finished"] not in FINISHED_VALUES:
                continue
            self.surveys_valid += 1
            self._add_planted_comment(row)
            nps_column = next(
                column[: -len("_NPS_GROUP")] for column in row if column.endswith("_NPS_GROUP")
            )
            rated = match_rule(
                "survey",
                {
                    "embedded.touchpoint": row.get("touchpoint") or None,
                    "survey_name": response.survey,
                },
                response.recorded,
            )
            touchpoint = None if rated is None else rated.touchpoint_id
            reference = row["ExternalReference"]
            if reference:
                customer = self.customer_of_id15.get(reference[:15])
            else:
                customer = self.customer_of_email.get(row["RecipientEmail"].strip().lower())
            if customer is None:
                self.unresolved_valid_responses += 1
            self._add_ratings(response, touchpoint)
            self._add_follow_up(response, touchpoint, nps_column)
            if row[nps_column] == "":
                continue
            score = int(row[nps_column])
            self.nps_overall.add(score)
            if customer is not None:
                self._add_customer_nps(customer, response.recorded, score)
                comment = next((v for k, v in row.items() if k.endswith("_TEXT")), "")
                self.churn.add_answer(customer, score <= 6, comment)
            if touchpoint is not None:
                self.nps_by_touchpoint.setdefault(touchpoint, _Nps()).add(score)
                month = utc_month(response.recorded)
                months = self.nps_by_touchpoint_month.setdefault(touchpoint, {})
                months.setdefault(month, _Nps()).add(score)
                phase = touchpoint_version(touchpoint, response.recorded).phase_id
                self.nps_by_phase.setdefault(phase, _Nps()).add(score)
        self.raw_rows["survey_responses"] += len(responses)

    def _add_response_identity(self, row: dict[str, str]) -> None:
        reference = row["ExternalReference"].strip()
        self.identity.add_survey_response(
            bool(reference) and reference[:15] in self.customer_of_id15,
            row["RecipientEmail"].strip().lower() in self.customer_of_email,
        )

    def _add_ratings(self, response: SurveyResponse, touchpoint: str | None) -> None:
        """CSAT (column CSAT, 1-5, top box 4) and CES (1-7) of a valid response."""
        if touchpoint is None:
            return
        for column, ratings, top_box in (
            ("CSAT", self.csat_by_touchpoint, 4),
            (CES_COLUMN[response.survey], self.ces_by_touchpoint, 6),
        ):
            value = response.row.get(column, "")
            if value != "":
                ratings.setdefault(touchpoint, _Ratings(top_box)).scores.append(int(value))

    def _add_follow_up(
        self, response: SurveyResponse, touchpoint: str | None, nps_column: str
    ) -> None:
        """A valid detractor answer or CSAT 1-2 is a follow-up; its outcome (if exported)."""
        row = response.row
        detractor = row[nps_column] != "" and int(row[nps_column]) <= 6
        low_csat = row.get("CSAT", "") != "" and int(row["CSAT"]) <= 2
        if not (detractor or low_csat):
            return
        trigger = "detractor" if detractor else "low_csat"
        self.follow_ups[trigger] += 1
        outcome = followups.outcome(response, self.window_end)
        if outcome is None:
            return
        self.follow_up_outcomes.append(outcome)
        self.follow_ups[outcome["Status"]] += 1
        if outcome["Status"] == "closed":
            hours = (parse_salesforce_datetime(outcome["Closed At"]) - response.recorded) / HOUR
            self.follow_up_hours.append(hours)
            if hours <= follow_up_hours(trigger, touchpoint):
                self.follow_ups["closed_within_service_level"] += 1

    def _add_customer_nps(self, customer: str, recorded: int, score: int) -> None:
        """NPS by the customer's persona, and exposed / not exposed to every touchpoint."""
        persona = self.persona_of_customer.get(customer)
        if persona is not None:
            self.nps_by_persona.setdefault(persona, _Nps()).add(score)
        for touchpoint in TOUCHPOINT_PHASE:
            first = self.first_occurrence.get((customer, touchpoint))
            exposed = first is not None and first < recorded
            (self.nps_exposed if exposed else self.nps_not_exposed)[touchpoint].add(score)

    def moments_that_matter(self) -> dict[str, dict[str, Any]]:
        result = {}
        for touchpoint in TOUCHPOINT_PHASE:
            exposed = self.nps_exposed[touchpoint].as_dict()
            not_exposed = self.nps_not_exposed[touchpoint].as_dict()
            result[touchpoint] = {
                "exposed_responses": exposed["responses"],
                "nps_exposed": exposed["nps"],
                "unexposed_responses": not_exposed["responses"],
                "nps_not_exposed": not_exposed["nps"],
            }
        return result

    def emotion_curve(self) -> dict[str, Any]:
        counts = {tp: figures.as_dict() for tp, figures in self.nps_by_touchpoint.items()}
        return emotion_curve(counts)

    def conversion_drivers(self) -> dict[str, Any]:
        """Per conversion goal: converters and the others among all customers, and per
        touchpoint how many of each group experienced it before the decision point (the first
        goal touchpoint for converters; any time for the others), with the odds ratio."""
        result = {}
        for goal, goal_touchpoints in CONVERSION_GOALS.items():
            decided: dict[str, int | None] = {}
            for customer in self.persona_of_customer:
                times = [
                    self.first_occurrence[(customer, tp)]
                    for tp in goal_touchpoints
                    if (customer, tp) in self.first_occurrence
                ]
                decided[customer] = min(times) if times else None
            converters = sum(at is not None for at in decided.values())
            others = len(decided) - converters
            exposed = {}
            for touchpoint in TOUCHPOINT_PHASE:
                if touchpoint in goal_touchpoints:
                    continue
                a = c = 0
                for customer, at in decided.items():
                    first = self.first_occurrence.get((customer, touchpoint))
                    if first is None or (at is not None and first >= at):
                        continue
                    if at is None:
                        c += 1
                    else:
                        a += 1
                b, d = converters - a, others - c
                if 0 in (a, b, c, d):
                    odds_ratio = (
                        None
                        if a + c == 0 or b + d == 0
                        else _round((a + 0.5) * (d + 0.5) / ((b + 0.5) * (c + 0.5)))
                    )
                else:
                    odds_ratio = _round(a * d / (b * c))
                exposed[touchpoint] = {
                    "converters": a,
                    "non_converters": c,
                    "odds_ratio": odds_ratio,
                }
            result[goal] = {"converters": converters, "non_converters": others, "exposed": exposed}
        return result

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
        for customer, slots in self.entered.items():
            for index, at in enumerate(slots):
                if at is None:
                    continue
                entered[index] += 1
                following = self.next_entered[customer][index]
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
            "crm_opportunity_contact_roles",
            "web_events",
        )
        return {
            "raw_rows": {name: self.raw_rows[name] for name in raw_order},
            "web_events_distinct": self.web_distinct,
            "customers": self.known_customers + self.anonymous_customers,
            "known_customers": self.known_customers,
            "anonymous_customers": self.anonymous_customers,
            "touchpoints": dict(self.touchpoints),
            # occurrences per version of each rule (`rule_id@valid_from`, `@always` without
            # one): the planted map edit (rule w08 counts careers pages from 2026-10-01)
            "touchpoints_by_rule_version": dict(sorted(self.rule_versions.items())),
            "map_versions": self.map_versions(),
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
            "customers_by_persona": dict(
                sorted(Counter(self.persona_of_customer.values()).items(), key=str)
            ),
            "nps_by_persona": {
                persona: self.nps_by_persona[persona].as_dict()
                for persona in sorted(self.nps_by_persona)
            },
            "csat_by_touchpoint": {
                tp: self.csat_by_touchpoint[tp].as_dict()
                for tp in TOUCHPOINT_PHASE
                if tp in self.csat_by_touchpoint
            },
            "ces_by_touchpoint": {
                tp: {
                    k: v
                    for k, v in self.ces_by_touchpoint[tp].as_dict().items()
                    if k != "top_box_share"
                }
                for tp in TOUCHPOINT_PHASE
                if tp in self.ces_by_touchpoint
            },
            "moments_that_matter": self.moments_that_matter(),
            "follow_ups": {
                "total": self.follow_ups["detractor"] + self.follow_ups["low_csat"],
                "detractor": self.follow_ups["detractor"],
                "low_csat": self.follow_ups["low_csat"],
                "closed": self.follow_ups["closed"],
                "unreachable": self.follow_ups["unreachable"],
                "closed_within_service_level": self.follow_ups["closed_within_service_level"],
                "median_hours_to_close": _round(quantile_cont(self.follow_up_hours, 0.5))
                if self.follow_up_hours
                else None,
            },
            "nps_by_touchpoint_month": {
                tp: {month: nps.as_dict() for month, nps in sorted(months.items())}
                for tp, months in self.nps_by_touchpoint_month.items()
            },
            "comments": self.comments(),
            "emotion_curve": self.emotion_curve(),
            "conversion_drivers": self.conversion_drivers(),
            "attribution": self.attribution.expected(),
            "identity": self.identity.expected(),
            "churn": self.churn.expected(self._buyers()),
            "accounts": self.account.expected(),
        }

    def _buyers(self) -> set[str]:
        """Known customers with a purchase (a checkout or a signed contract)."""
        return {
            customer
            for customer, touchpoint in self.first_occurrence
            if touchpoint in ("checkout", "contract_signed") and not customer.startswith("anon-")
        }


def emotion_curve(nps_by_touchpoint: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """All-time NPS of the rated touchpoints in journey order, with agg_emotion_curve's dip
    rule: z = (neighbour - value) / sqrt(se^2 + se_neighbour^2) above 1.96 on both sides,
    se = sqrt(1e4 (pP + pD - (pP - pD)^2) / n). `nps_by_touchpoint` holds responses, promoters
    and detractors per touchpoint. The rule depends on n: a landing of K copies of a base can
    have more dips than the base (scale_truth recomputes it)."""
    points = []
    for touchpoint in TOUCHPOINT_PHASE:  # the seed's (and the journey's) order
        if touchpoint not in nps_by_touchpoint:
            continue
        counts = nps_by_touchpoint[touchpoint]
        n = counts["responses"]
        promoters, detractors = counts["promoters"] / n, counts["detractors"] / n
        variance = 1e4 * (promoters + detractors - (promoters - detractors) ** 2)
        points.append((touchpoint, 100 * (promoters - detractors), math.sqrt(variance / n)))
    dips = []
    for (_, left, left_se), (touchpoint, value, se), (_, right, right_se) in zip(
        points, points[1:], points[2:], strict=False
    ):
        if _significantly_below(value, se, left, left_se) and _significantly_below(
            value, se, right, right_se
        ):
            dips.append(touchpoint)
    return {"touchpoints": [point[0] for point in points], "nps_dips": dips}


def _significantly_below(value: float, se: float, neighbour: float, neighbour_se: float) -> bool:
    spread = math.hypot(neighbour_se, se)
    return spread > 0 and (neighbour - value) / spread > 1.96
