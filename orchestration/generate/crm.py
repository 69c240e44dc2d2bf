"""Salesforce side of the simulation: rows of Account, Contact, Opportunity, OpportunityHistory
and Case, keyed by field API name, every value already a string as the export writes it."""

from __future__ import annotations

import random
from dataclasses import dataclass

from orchestration.generate import vocab
from orchestration.generate.clock import DAY, salesforce_date, salesforce_datetime

ACCOUNT_FIELDS: tuple[str, ...] = (
    "Id",
    "IsDeleted",
    "Name",
    "Type",
    "BillingStreet",
    "BillingCity",
    "BillingPostalCode",
    "BillingCountry",
    "Phone",
    "Industry",
    "AnnualRevenue",
    "NumberOfEmployees",
    "OwnerId",
    "CreatedDate",
    "LastModifiedDate",
    "SystemModstamp",
)
CONTACT_FIELDS: tuple[str, ...] = (
    "Id",
    "IsDeleted",
    "AccountId",
    "LastName",
    "FirstName",
    "Salutation",
    "Name",
    "Email",
    "Phone",
    "Title",
    "MailingCity",
    "MailingCountry",
    "LeadSource",
    "HasOptedOutOfEmail",
    "OwnerId",
    "CreatedDate",
    "LastModifiedDate",
)
OPPORTUNITY_FIELDS: tuple[str, ...] = (
    "Id",
    "IsDeleted",
    "AccountId",
    "ContactId",
    "Name",
    "StageName",
    "Amount",
    "Probability",
    "CloseDate",
    "Type",
    "LeadSource",
    "IsClosed",
    "IsWon",
    "ForecastCategory",
    "OwnerId",
    "CreatedDate",
    "LastModifiedDate",
)
OPPORTUNITY_HISTORY_FIELDS: tuple[str, ...] = (
    "Id",
    "OpportunityId",
    "StageName",
    "Amount",
    "ExpectedRevenue",
    "CloseDate",
    "Probability",
    "ForecastCategory",
    "CreatedById",
    "CreatedDate",
    "SystemModstamp",
    "IsDeleted",
)
CASE_FIELDS: tuple[str, ...] = (
    "Id",
    "IsDeleted",
    "CaseNumber",
    "ContactId",
    "AccountId",
    "Type",
    "Status",
    "Reason",
    "Origin",
    "Subject",
    "Priority",
    "Description",
    "IsClosed",
    "ClosedDate",
    "IsEscalated",
    "OwnerId",
    "CreatedDate",
    "LastModifiedDate",
)

# Salesforce's default sales process: probability (%) and forecast category per stage.
STAGES: dict[str, tuple[int, str]] = {
    "Prospecting": (10, "Pipeline"),
    "Needs Analysis": (20, "Pipeline"),
    "Value Proposition": (50, "Pipeline"),
    "Id. Decision Makers": (60, "Pipeline"),
    "Proposal/Price Quote": (75, "BestCase"),
    "Negotiation/Review": (90, "Commit"),
    "Closed Won": (100, "Closed"),
    "Closed Lost": (0, "Omitted"),
}
EARLY_STAGES: tuple[str, ...] = (
    "Prospecting",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
)


def boolean(value: bool) -> str:
    return "true" if value else "false"


def money(value: float) -> str:
    return f"{value:.1f}"


@dataclass
class StageChange:
    stage: str
    at: int  # µs, whole seconds
    amount: float


def opportunity_rows(
    opportunity_id: str,
    history_ids: list[str],
    account_id: str,
    contact_id: str,
    name: str,
    lead_source: str,
    owner_id: str,
    changes: list[StageChange],
) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The Opportunity row (current state) and its OpportunityHistory rows (one per change)."""
    last = changes[-1]
    closed = last.stage in ("Closed Won", "Closed Lost")
    close_date = last.at if closed else changes[0].at + 45 * DAY
    history = []
    for history_id, change in zip(history_ids, changes, strict=True):
        probability, forecast = STAGES[change.stage]
        stamp = salesforce_datetime(change.at)
        history.append(
            {
                "Id": history_id,
                "OpportunityId": opportunity_id,
                "StageName": change.stage,
                "Amount": money(change.amount),
                "ExpectedRevenue": money(change.amount * probability / 100),
                "CloseDate": salesforce_date(close_date),
                "Probability": money(probability),
                "ForecastCategory": forecast,
                "CreatedById": owner_id,
                "CreatedDate": stamp,
                "SystemModstamp": stamp,
                "IsDeleted": "false",
            }
        )
    probability, forecast = STAGES[last.stage]
    opportunity = {
        "Id": opportunity_id,
        "IsDeleted": "false",
        "AccountId": account_id,
        "ContactId": contact_id,
        "Name": name,
        "StageName": last.stage,
        "Amount": money(last.amount),
        "Probability": money(probability),
        "CloseDate": salesforce_date(close_date),
        "Type": "New Business",
        "LeadSource": lead_source,
        "IsClosed": boolean(closed),
        "IsWon": boolean(last.stage == "Closed Won"),
        "ForecastCategory": forecast,
        "OwnerId": owner_id,
        "CreatedDate": salesforce_datetime(changes[0].at),
        "LastModifiedDate": salesforce_datetime(last.at),
    }
    return opportunity, history


def case_row(
    rng: random.Random,
    case_id: str,
    case_number: int,
    account_id: str,
    contact_id: str,
    origin: str,
    created: int,
    closed: int | None,
    owner_id: str,
) -> dict[str, str]:
    subject = rng.choice(vocab.CASE_SUBJECTS)
    if closed is not None:
        status = "Closed"
    else:
        status = rng.choice(("New", "Working", "Working", "Escalated"))
    description = (
        f"Kunde meldet: {subject.splitlines()[0]}.\n"
        f"Kanal: {origin}, Rückmeldung erbeten bis {salesforce_date(created + 2 * DAY)}."
    )
    return {
        "Id": case_id,
        "IsDeleted": "false",
        "CaseNumber": f"{case_number:08d}",
        "ContactId": contact_id,
        "AccountId": account_id,
        "Type": rng.choice(vocab.CASE_TYPES),
        "Status": status,
        "Reason": rng.choice(vocab.CASE_REASONS),
        "Origin": origin,
        "Subject": subject,
        "Priority": rng.choice(("Low", "Medium", "Medium", "High")),
        "Description": description,
        "IsClosed": boolean(closed is not None),
        "ClosedDate": "" if closed is None else salesforce_datetime(closed),
        "IsEscalated": boolean(status == "Escalated"),
        "OwnerId": owner_id,
        "CreatedDate": salesforce_datetime(created),
        "LastModifiedDate": salesforce_datetime(closed if closed is not None else created),
    }
