"""Salesforce side of the simulation: rows of Account, Contact, Opportunity, OpportunityHistory,
OpportunityContactRole and Case, keyed by field API name, every value already a string as the
export writes it; and the B2B account plants (`AccountPlanter`)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from orchestration.generate import vocab
from orchestration.generate.clock import (
    DAY,
    HOUR,
    floor_second,
    parse_salesforce_datetime,
    salesforce_date,
    salesforce_datetime,
)
from orchestration.generate.ids import SalesforceIds

if TYPE_CHECKING:
    from orchestration.generate.model import PersonRecords

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
OPPORTUNITY_CONTACT_ROLE_FIELDS: tuple[str, ...] = (
    "Id",
    "OpportunityId",
    "ContactId",
    "Role",
    "IsPrimary",
    "CreatedById",
    "CreatedDate",
    "LastModifiedDate",
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


def contact_role_row(
    role_id: str,
    opportunity: dict[str, str],
    contact_id: str,
    role: str,
    primary: bool,
) -> dict[str, str]:
    """One OpportunityContactRole row, created with its opportunity."""
    return {
        "Id": role_id,
        "OpportunityId": opportunity["Id"],
        "ContactId": contact_id,
        "Role": role,
        "IsPrimary": boolean(primary),
        "CreatedById": opportunity["OwnerId"],
        "CreatedDate": opportunity["CreatedDate"],
        "LastModifiedDate": opportunity["CreatedDate"],
        "SystemModstamp": opportunity["CreatedDate"],
        "IsDeleted": "false",
    }


# B2B account plants (truth.json `planted.accounts`), drawn from their own random stream and
# with ids of their own (pod Dn001), so every other record of the sample stays as it was.
PRIMARY_ROLE = "Decision Maker"
CONTACT_ROLES: tuple[str, ...] = (
    "Economic Buyer",
    "Technical Buyer",
    "Evaluator",
    "Influencer",
    "Executive Sponsor",
)
ACCOUNT_PLANTS: dict[str, float] = {
    # of the New Business opportunities of an account that already has other contacts: contact
    # roles for the opportunity's contact (primary) and one or two of the others
    "contact_roles": 0.5,
    # of those: the Opportunity's ContactId left empty (the primary role names the contact)
    "roles_without_contact_id": 0.4,
    # per known person: an opportunity of the person's account with no contact and no roles
    "account_only_opportunity": 0.08,
    # per known person: an opportunity exported without OpportunityHistory rows
    "opportunity_without_history": 0.08,
    # of those, for a person who has a deal: with the person as ContactId, created after that
    # deal (so the person still enters the phases in order); else no contact either
    "without_history_with_contact": 0.5,
}


@dataclass
class _PlantedAccount:
    name: str
    owner_id: str
    contact_ids: list[str]


class AccountPlanter:
    """Plants the B2B account structure on the drawn people's records, person by person:
    opportunities with several contact roles (one primary), opportunities of an account that
    name no contact at all, and opportunities whose stage history was never exported (only the
    Opportunity row: created, and closed when IsClosed). People whose e-mail is on
    `skip_domain` (the scripted attribution cohort) are left alone."""

    def __init__(self, seed: int, window_start: int, window_end: int, skip_domain: str) -> None:
        self.rng = random.Random(f"accounts-{seed}")
        self.ids = SalesforceIds(seed, pod="Dn001")
        self.window_start = window_start
        self.window_end = window_end
        self.skip_suffix = "@" + skip_domain
        self.accounts: dict[str, _PlantedAccount] = {}

    def plant(self, records: PersonRecords) -> None:
        for row in records.accounts:
            self.accounts[row["Id"]] = _PlantedAccount(
                row["Name"].splitlines()[0], row["OwnerId"], []
            )
        if not records.contacts:
            return
        contact = records.contacts[0]
        account = self.accounts.get(contact["AccountId"])
        if account is None or contact["Email"].strip().lower().endswith(self.skip_suffix):
            return
        rng = self.rng
        for opportunity in records.opportunities:
            if (
                opportunity["Type"] == "New Business"
                and account.contact_ids
                and rng.random() < ACCOUNT_PLANTS["contact_roles"]
            ):
                self._add_roles(records, opportunity, account)
        if rng.random() < ACCOUNT_PLANTS["account_only_opportunity"]:
            self._add_account_only(records, contact["AccountId"], account)
        if rng.random() < ACCOUNT_PLANTS["opportunity_without_history"]:
            deals = [
                parse_salesforce_datetime(row["CreatedDate"])
                for row in records.opportunities
                if row["Type"] == "New Business" and row["ContactId"] == contact["Id"]
            ]
            with_contact = rng.random() < ACCOUNT_PLANTS["without_history_with_contact"]
            if with_contact and deals:
                self._add_without_history(
                    records, contact["AccountId"], contact["Id"], account, after=min(deals)
                )
            else:
                self._add_without_history(records, contact["AccountId"], "", account)
        account.contact_ids.append(contact["Id"])

    def _add_roles(
        self, records: PersonRecords, opportunity: dict[str, str], account: _PlantedAccount
    ) -> None:
        rng = self.rng
        others = rng.sample(account.contact_ids, min(len(account.contact_ids), rng.randint(1, 2)))
        roles = [(opportunity["ContactId"], PRIMARY_ROLE, True)]
        roles += [(other, rng.choice(CONTACT_ROLES), False) for other in others]
        for contact_id, role, primary in roles:
            records.opportunity_contact_roles.append(
                contact_role_row(
                    self.ids.next("OpportunityContactRole"), opportunity, contact_id, role, primary
                )
            )
        if rng.random() < ACCOUNT_PLANTS["roles_without_contact_id"]:
            opportunity["ContactId"] = ""

    def _name(self, account: _PlantedAccount) -> str:
        return f"{account.name} – {self.rng.choice(('Rahmenvertrag', 'Erweiterung', 'Pilot'))}"

    def _add_account_only(
        self, records: PersonRecords, account_id: str, account: _PlantedAccount
    ) -> None:
        """An opportunity with stage history but no ContactId and no contact roles."""
        rng = self.rng
        span = self.window_end - self.window_start
        moment = floor_second(self.window_start + rng.randrange(span // 2))
        amount = rng.randrange(10, 161) * 500.0
        stages = list(EARLY_STAGES[: rng.randint(1, len(EARLY_STAGES))])
        ending = rng.choices((None, "Closed Lost", "Closed Won"), weights=(0.4, 0.35, 0.25))[0]
        if ending == "Closed Won":
            stages += ["Proposal/Price Quote", "Closed Won"]
        elif ending is not None:
            stages.append(ending)
        changes = [StageChange(stages[0], moment, amount)]
        for stage in stages[1:]:
            moment = floor_second(moment + HOUR + int(rng.expovariate(1 / 2) * DAY))
            if moment >= self.window_end - HOUR:
                break
            changes.append(StageChange(stage, moment, amount))
        opportunity, history = opportunity_rows(
            self.ids.next("Opportunity"),
            [self.ids.next("OpportunityHistory") for _ in changes],
            account_id,
            "",
            self._name(account),
            rng.choice(vocab.LEAD_SOURCES),
            account.owner_id,
            changes,
        )
        records.opportunities.append(opportunity)
        records.opportunity_history.extend(history)

    def _add_without_history(
        self,
        records: PersonRecords,
        account_id: str,
        contact_id: str,
        account: _PlantedAccount,
        after: int | None = None,
    ) -> None:
        """An Opportunity row whose OpportunityHistory was never exported (say, migrated from
        an older CRM): open in some stage, or closed on a later day (CloseDate at midnight).
        Created in the first half of what is left of the window after `after`."""
        rng = self.rng
        start = self.window_start if after is None else max(self.window_start, after + HOUR)
        span = max(2, self.window_end - start)
        created = floor_second(start + rng.randrange(span // 2))
        amount = rng.randrange(10, 161) * 500.0
        ending = rng.choices((None, "Closed Won", "Closed Lost"), weights=(0.3, 0.45, 0.25))[0]
        closing = created - created % DAY + rng.randint(1, 20) * DAY
        if ending is None or closing >= self.window_end - HOUR:
            stage = rng.choice((*EARLY_STAGES, "Proposal/Price Quote"))
            changes = [StageChange(stage, created, amount)]
        else:
            changes = [StageChange(EARLY_STAGES[0], created, amount)]
            changes.append(StageChange(ending, closing, amount))
        opportunity, _ = opportunity_rows(
            self.ids.next("Opportunity"),
            ["" for _ in changes],
            account_id,
            contact_id,
            self._name(account),
            rng.choice(vocab.LEAD_SOURCES),
            account.owner_id,
            changes,
        )
        records.opportunities.append(opportunity)
