"""The population: draws people one at a time (how far they get, when, who they are)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

from orchestration.generate import crm, paths, survey, vocab
from orchestration.generate.churn import plant_churn
from orchestration.generate.clock import DAY, HOUR, date_to_us, salesforce_datetime
from orchestration.generate.ids import PseudoIds, SalesforceIds
from orchestration.generate.journey import PersonBuilder
from orchestration.generate.model import (
    ANONYMOUS_SHARE,
    CONVERSION_PROBABILITY,
    DUPLICATE_CONTACT_SHARE,
    MIN_PHASE_GAP,
    PHASE_GAP_MEAN_DAYS,
    SECOND_DEVICE_SHARE,
    Account,
    KnownPerson,
    PersonRecords,
    ascii_fold,
)
from orchestration.generate.taxonomy import PHASES
from orchestration.generate.web import new_device


class Simulator:
    """Draws people one at a time; state shared between people is only id counters."""

    def __init__(self, *, days: int, seed: int, start_date: dt.date) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.window_start = date_to_us(start_date)
        self.window_end = self.window_start + days * DAY
        self.salesforce_ids = SalesforceIds(seed)
        self.pseudo_ids = PseudoIds(seed)
        self.owner_ids = [self.salesforce_ids.next("User") for _ in range(8)]
        self.response_ids: set[str] = set()
        self._account: Account | None = None
        self._emails: set[str] = set()
        self._domains: set[str] = set()
        self._case_number = 10_000
        self._transaction = 0
        p_low = (1 - CONVERSION_PROBABILITY["awareness"]) + CONVERSION_PROBABILITY["awareness"] * (
            1 - CONVERSION_PROBABILITY["consideration"]
        )
        self._anonymous_if_low = min(1.0, ANONYMOUS_SHARE / p_low)

    # --- planning ---------------------------------------------------------------------------

    def plan_phases(self) -> tuple[int, bool, list[int]]:
        """How far a person gets (1..5), whether anonymous, and when each phase is entered."""
        rng = self.rng
        top = 1
        while top < len(PHASES) and rng.random() < CONVERSION_PROBABILITY[PHASES[top - 1]]:
            top += 1
        anonymous = top <= 2 and rng.random() < self._anonymous_if_low
        gaps = [
            max(MIN_PHASE_GAP, int(rng.expovariate(1 / PHASE_GAP_MEAN_DAYS[phase]) * DAY))
            for phase in PHASES[: top - 1]
        ]
        window = self.window_end - self.window_start
        tail = max(6 * HOUR, min(2 * DAY, window // 20))
        room = window - tail - HOUR
        span = sum(gaps)
        limit = int(room * 0.9)
        if span > limit:  # squeeze the part of each gap above the minimum
            floor_total = MIN_PHASE_GAP * len(gaps)
            gaps = [
                MIN_PHASE_GAP
                + (gap - MIN_PHASE_GAP) * (limit - floor_total) // (span - floor_total)
                for gap in gaps
            ]
            span = sum(gaps)
        entries = [self.window_start + rng.randrange(room - span)]
        for gap in gaps:
            entries.append(entries[-1] + gap)
        return top, anonymous, entries

    def _new_account(self) -> Account:
        rng = self.rng
        stem, kind, legal = (
            rng.choice(vocab.COMPANY_STEMS),
            rng.choice(vocab.COMPANY_KINDS),
            rng.choice(vocab.LEGAL_FORMS),
        )
        template = (
            rng.choice(vocab.ODD_ACCOUNT_NAMES) if rng.random() < 0.3 else "{stem} {kind} {legal}"
        )
        name = template.format(stem=stem, kind=kind, legal=legal, last=rng.choice(vocab.LAST_NAMES))
        base = "-".join(ascii_fold(f"{stem} {kind}").replace("-", " ").split())
        domain, number = f"{base}.de", 1
        while domain in self._domains:
            number += 1
            domain = f"{base}-{number}.de"
        self._domains.add(domain)
        city = rng.choice(vocab.CITIES)
        street = f"{rng.choice(vocab.STREETS)} {rng.randrange(1, 200)}"
        if rng.random() < 0.2:
            street += rng.choice(("\nHinterhaus", "\n3. OG, links", "\nc/o Empfang"))
        created = self.window_start - rng.randrange(1, 700) * DAY + rng.randrange(DAY)
        modified = created + rng.randrange(self.window_end - created)
        employees = rng.choice((5, 12, 40, 120, 350, 1200, 5000))
        row = {
            "Id": self.salesforce_ids.next("Account"),
            "IsDeleted": "false",
            "Name": name,
            "Type": rng.choice(("Customer - Direct", "Prospect", "Customer - Channel")),
            "BillingStreet": street,
            "BillingCity": city[0],
            "BillingPostalCode": f"{rng.randrange(1000, 99999):05d}",
            "BillingCountry": city[2],
            "Phone": f"+49 {rng.randrange(30, 999)} {rng.randrange(100000, 9999999)}",
            "Industry": rng.choice(vocab.INDUSTRIES),
            "AnnualRevenue": "" if rng.random() < 0.3 else crm.money(employees * 95_000.0),
            "NumberOfEmployees": str(employees),
            "OwnerId": rng.choice(self.owner_ids),
            "CreatedDate": salesforce_datetime(created),
            "LastModifiedDate": salesforce_datetime(modified),
            "SystemModstamp": salesforce_datetime(modified),
        }
        slots = rng.choice((1, 1, 1, 2, 2, 3, 4, 6))
        return Account(row=row, domain=domain, city=city, slots=slots)

    def _known(self, records: PersonRecords, language: str) -> KnownPerson:
        rng = self.rng
        if self._account is None or self._account.slots == 0:
            self._account = self._new_account()
            records.accounts.append(self._account.row)
        account = self._account
        account.slots -= 1
        first, last = rng.choice(vocab.FIRST_NAMES), rng.choice(vocab.LAST_NAMES)
        local = f"{ascii_fold(first)}.{ascii_fold(last)}".replace(" ", "")
        email, number = f"{local}@{account.domain}", 1
        while email in self._emails:
            number += 1
            email = f"{local}{number}@{account.domain}"
        self._emails.add(email)
        ids = [self.salesforce_ids.next("Contact")]
        if rng.random() < DUPLICATE_CONTACT_SHARE:
            ids.append(self.salesforce_ids.next("Contact"))
        return KnownPerson(tuple(ids), first, last, email, language, account)

    # --- one person ---------------------------------------------------------------------------

    def people(self, customers: int) -> Iterator[PersonRecords]:
        """`customers` drawn people, then the scripted cohort of hand-built paths (paths.py)."""
        for _ in range(customers):
            yield self.person()
        yield from paths.scripted_people(self, self.seed)

    def person(self) -> PersonRecords:
        rng = self.rng
        top, anonymous, entries = self.plan_phases()
        records = PersonRecords(anonymous=anonymous, top_phase=top)
        language = "DE" if rng.random() < 0.75 else "EN"
        known = None if anonymous else self._known(records, language)
        devices = [new_device(rng, language)]
        if known is not None and rng.random() < SECOND_DEVICE_SHARE:
            devices.append(new_device(rng, language))
        builder = PersonBuilder(self, records, known, devices, top, entries)
        builder.act()
        plant_churn(builder, self.seed)
        return records

    def previews(self, spec: survey.SurveySpec, count: int) -> list[survey.SurveyResponse]:
        """Test responses the survey owner clicked through before sending the survey."""
        rows = []
        for _ in range(count):
            recorded = self.window_start + self.rng.randrange(
                self.window_end - self.window_start - HOUR
            )
            embedded = {}
            if "touchpoint" in spec.embedded:
                embedded["touchpoint"] = self.rng.choice(
                    ("sales_call", "checkout", "contract_signed", "support_call", "support_email")
                )
            rows.append(
                survey.preview(
                    self.rng,
                    spec,
                    recorded=recorded,
                    taken_ids=self.response_ids,
                    embedded=embedded,
                )
            )
        return rows

    def next_case_number(self) -> int:
        self._case_number += 1
        return self._case_number

    def next_transaction(self) -> str:
        self._transaction += 1
        return f"T-{self._transaction:07d}"
