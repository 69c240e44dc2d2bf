"""One person acted out: web sessions, a sales deal, support cases and survey responses.

Entry sessions and records are placed at the planned phase-entry instants first; optional
visits are fitted around them afterwards (never within GA4's 30-minute session timeout of
another visit on the same device), so every reached phase is entered in order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from orchestration.generate import crm, pages, survey, vocab
from orchestration.generate.clock import (
    DAY,
    HOUR,
    MINUTE,
    SECOND,
    floor_second,
    salesforce_datetime,
)
from orchestration.generate.model import (
    CASE_ORIGIN_TOUCHPOINT,
    CES_MEAN,
    DEMO_REQUEST_SHARE,
    DUPLICATE_LINE_SHARE,
    LATE_NPS_SHIFT,
    LATE_SHIFT_DAYS,
    MOMENT_NPS_EFFECT,
    NPS_TARGETS,
    OMIT_NULLS_SHARE,
    PERSONA_NPS_OFFSET,
    SALES_PATH_SHARE,
    SURVEY_PROBABILITY,
    UNFINISHED_SHARE,
    KnownPerson,
    PersonRecords,
    WebEvent,
)
from orchestration.generate.personas import persona_of_known
from orchestration.generate.web import Device, Purchase, Session, new_session, session_events

if TYPE_CHECKING:
    from orchestration.generate.population import Simulator


class PersonBuilder:
    """Acts out one person's plan as sessions, deals, cases and survey responses."""

    def __init__(
        self,
        sim: Simulator,
        records: PersonRecords,
        known: KnownPerson | None,
        devices: list[Device],
        top: int,
        entries: list[int],
    ) -> None:
        self.sim = sim
        self.rng = sim.rng
        self.records = records
        self.known = known
        self.devices = devices
        self.top = top
        self.entries = entries
        self.end = sim.window_end
        # (touchpoint rated, occurred at, embedded data) for survey invitations
        self.rated: list[tuple[str, int, dict[str, str]]] = []
        # when the person experienced a planted moment that matters (touchpoint -> time)
        self.moments: dict[str, int] = {}

    # --- helpers ---------------------------------------------------------------------------

    def phase_end(self, phase: int) -> int:
        """Entry of the next phase (1-based phase numbers), or the end of the window."""
        return self.entries[phase] if phase < self.top else self.end

    def between(self, low: int, high: int) -> int | None:
        if high - low < 10 * MINUTE:
            return None
        return low + self.rng.randrange(high - low)

    def device(self) -> Device:
        if len(self.devices) > 1 and self.rng.random() < 0.4:
            return self.devices[1]
        return self.devices[0]

    def place(
        self, session: Session, at: int | None, *, entry: bool = False, device: Device | None = None
    ) -> bool:
        if at is None:
            return False
        device = device or self.device()
        session.start = at
        if session.end >= self.end - MINUTE:
            if entry:
                raise AssertionError("an entry session does not fit in the window")
            return False
        if not entry and not device.is_free(at, session.end):
            return False
        device.sessions.append(session)
        return True

    def place_somewhere(
        self, session: Session, low: int, high: int, tries: int = 3, device: Device | None = None
    ) -> bool:
        return any(
            self.place(session, self.between(low, high), device=device) for _ in range(tries)
        )

    # --- phases ------------------------------------------------------------------------------

    def act(self) -> None:
        rng = self.rng
        entry = self.entries
        # awareness: everybody
        self.place(new_session(rng, pages.awareness_pages(rng)), entry[0], entry=True)
        deal_plan = self.plan_consideration() if self.top >= 2 else None
        purchase_plan = self.plan_purchase(deal_plan) if self.top >= 3 else None
        cases = self.plan_service() if self.top >= 4 else []
        if self.top >= 5:
            self.place(new_session(rng, pages.loyalty_pages(rng)), entry[4], entry=True)
        # optional sessions, placed around the entry sessions
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            self.place_somewhere(
                new_session(rng, pages.awareness_pages(rng)), entry[0] + HOUR, self.phase_end(1)
            )
        if self.top >= 2:
            for _ in range(rng.choice((0, 1, 1))):
                self.place_somewhere(
                    new_session(rng, pages.pricing_pages(rng)),
                    entry[1] + HOUR,
                    self.phase_end(2),
                )
        if self.top >= 4:
            for _ in range(rng.choice((0, 1, 1, 2))):
                self.place_somewhere(
                    new_session(rng, pages.help_pages(rng)), entry[3] + HOUR, self.end - HOUR
                )
        if self.top >= 5 and rng.random() < 0.5:
            self.place_somewhere(
                new_session(rng, pages.loyalty_pages(rng)), entry[4] + HOUR, self.end - HOUR
            )
        if self.known is not None and self.top >= 2:
            for _ in range(rng.choice((0, 1, 2))):
                self.place_somewhere(
                    new_session(rng, pages.awareness_pages(rng)), entry[0] + HOUR, self.end - HOUR
                )
        for device in list(self.devices):  # every device needs a visit, or it does not exist
            if not device.sessions and not self.place_somewhere(
                new_session(rng, pages.awareness_pages(rng)),
                entry[0] + HOUR,
                self.end - HOUR,
                tries=10,
                device=device,
            ):
                self.devices.remove(device)
        contact_created = self.emit_web()
        if self.known is not None:
            self.emit_contacts(contact_created)
            if deal_plan is not None:
                self.emit_deal(deal_plan, purchase_plan)
            for origin, created in cases:
                self.emit_case(origin, created)
            self.emit_surveys()

    def plan_consideration(self) -> dict[str, Any] | None:
        """Entry into consideration; returns the deal plan of known people who have one."""
        rng = self.rng
        at = self.entries[1]
        if self.known is None:
            self.place(new_session(rng, pages.pricing_pages(rng)), at, entry=True)
            return None
        sales_path = self.top >= 3 and rng.random() < SALES_PATH_SHARE
        has_deal = sales_path or (self.top == 2 and rng.random() < 0.45)
        # the planted conversion driver: people who go on to buy request a demo more often
        if rng.random() < DEMO_REQUEST_SHARE["buyer" if self.top >= 3 else "non_buyer"]:
            kind = "demo"
        elif has_deal:
            kind = rng.choices(("pricing", "sales"), weights=(0.375, 0.625))[0]
        else:
            kind = "pricing"
        if kind == "pricing":
            self.place(new_session(rng, pages.pricing_pages(rng)), at, entry=True)
        elif kind == "demo":
            visit = pages.demo_pages(rng)
            self.place(new_session(rng, visit, lead_page=len(visit) - 1), at, entry=True)
            self.moments["demo_request"] = at
        if not has_deal:
            return None
        if kind == "sales":
            created = floor_second(at)
        else:
            limit = self.entries[2] - HOUR if self.top >= 3 else self.end - 6 * HOUR
            created = floor_second(
                self.between(at + 10 * MINUTE, (at + limit) // 2) or at + 10 * MINUTE
            )
        return {"created": created, "sales_path": sales_path}

    def plan_purchase(self, deal_plan: dict[str, Any] | None) -> dict[str, Any]:
        rng = self.rng
        at = self.entries[2]
        if deal_plan is not None and deal_plan["sales_path"]:
            return {"proposal": floor_second(at)}
        plan_id, plan_name, price = rng.choice(vocab.PLANS)
        seats = rng.choice((1, 1, 2, 3, 5, 10))
        bought = Purchase(self.sim.next_transaction(), plan_id, plan_name, price, seats)
        visit = pages.checkout_pages(plan_id, seats, bought.transaction_id)
        session = new_session(rng, visit, purchase=bought, needs_login=True)
        self.place(session, at, entry=True)
        return {"web": session}

    def plan_service(self) -> list[tuple[str, int]]:
        rng = self.rng
        at = self.entries[3]
        cases: list[tuple[str, int]] = []
        if rng.random() < 0.6:
            origin = rng.choices(("Phone", "Email", "Web"), weights=(0.35, 0.35, 0.3))[0]
            cases.append((origin, floor_second(at)))
        else:
            self.place(new_session(rng, pages.help_pages(rng)), at, entry=True)
        for _ in range(rng.choices((0, 1, 2), weights=(0.5, 0.35, 0.15))[0]):
            created = self.between(at + HOUR, self.end - HOUR)
            if created is None:
                continue
            if rng.random() < 0.05:
                origin = "Chat"  # no touchpoint rule: a case that is not a touchpoint
            else:
                origin = rng.choices(("Phone", "Email", "Web"), weights=(0.35, 0.35, 0.3))[0]
            cases.append((origin, floor_second(created)))
        return cases

    # --- emitting records --------------------------------------------------------------------

    def emit_web(self) -> int:
        """GA4 events of every device; returns when the contact record was created."""
        rng = self.rng
        first_login: int | None = None
        for device in self.devices:
            device.sessions.sort(key=lambda session: session.start)
            device.pseudo_id = self.sim.pseudo_ids.next(device.sessions[0].start // SECOND)
            if self.known is not None:
                device.user_id = self.known.pick_id(rng)
                needs = [i for i, s in enumerate(device.sessions) if s.needs_login]
                last_allowed = needs[0] if needs else len(device.sessions) - 1
                chosen = device.sessions[rng.randrange(last_allowed + 1)]
                chosen.login_page = 0 if chosen.needs_login else rng.randrange(len(chosen.pages))
            logged_in_at: int | None = None
            for number, session in enumerate(device.sessions, start=1):
                events, logged_in_at = session_events(
                    device, session, number, number == 1, logged_in_at
                )
                for timestamp, row in events:
                    self.records.web_events.append(
                        WebEvent(
                            timestamp,
                            row,
                            rng.random() < OMIT_NULLS_SHARE,
                            rng.random() < DUPLICATE_LINE_SHARE,
                        )
                    )
                    if row["event_name"] == "purchase":
                        self.rated.append(("checkout", timestamp, {"touchpoint": "checkout"}))
            if logged_in_at is not None and (first_login is None or logged_in_at < first_login):
                first_login = logged_in_at
        if self.known is None:
            return 0
        assert first_login is not None, "every device of a known person logs in"
        if rng.random() < 0.6:  # an existing contact from earlier campaigns
            return floor_second(
                self.sim.window_start - rng.randrange(1, 400 * DAY // SECOND) * SECOND
            )
        return floor_second(first_login - rng.randrange(1, 600) * SECOND)

    def emit_contacts(self, created: int) -> None:
        rng = self.rng
        known = self.known
        assert known is not None
        account = known.account
        salutation = rng.choice(vocab.SALUTATIONS)
        for index, contact_id in enumerate(known.contact_ids):
            email = known.email
            when = created
            if index > 0:  # the same person loaded again: other letter case, maybe a blank
                email = survey.other_letter_case(rng, email) + (" " if rng.random() < 0.3 else "")
                if rng.random() < 0.75:
                    when = min(created + rng.randrange(HOUR, 20 * DAY), self.end - SECOND)
                    when = floor_second(when)
            modified = floor_second(when + rng.randrange(max(1, self.end - when - SECOND)))
            self.records.contacts.append(
                {
                    "Id": contact_id,
                    "IsDeleted": "false",
                    "AccountId": account.row["Id"],
                    "LastName": known.last_name,
                    "FirstName": known.first_name,
                    "Salutation": salutation,
                    "Name": f"{known.first_name} {known.last_name}",
                    "Email": email,
                    "Phone": ""
                    if rng.random() < 0.4
                    else f"+49 {rng.randrange(150, 180)} {rng.randrange(1000000, 99999999)}",
                    "Title": rng.choice(
                        (
                            "Geschäftsführer",
                            "Head of Customer Experience",
                            "Marketing Manager",
                            "IT-Leiterin",
                            "",
                            "Einkauf, Leitung",
                        )
                    ),
                    "MailingCity": account.city[0],
                    "MailingCountry": account.city[2],
                    "LeadSource": rng.choice(vocab.LEAD_SOURCES),
                    "HasOptedOutOfEmail": crm.boolean(rng.random() < 0.05),
                    "OwnerId": account.row["OwnerId"],
                    "CreatedDate": salesforce_datetime(when),
                    "LastModifiedDate": salesforce_datetime(modified),
                }
            )

    def emit_deal(self, deal_plan: dict[str, Any], purchase_plan: dict[str, Any] | None) -> None:
        rng = self.rng
        known = self.known
        assert known is not None
        created = deal_plan["created"]
        sales_path = deal_plan["sales_path"]
        count = rng.randint(2 if sales_path else 1, len(crm.EARLY_STAGES))
        if sales_path:
            limit = self.entries[2] - 30 * MINUTE
            times = sorted(
                created + rng.randrange(max(1, limit - created)) for _ in range(count - 1)
            )
        else:
            times, moment = [], created
            for _ in range(count - 1):
                moment += int(rng.expovariate(1 / 2) * DAY)
                if moment >= self.end - HOUR:
                    break
                times.append(moment)
        amount = rng.randrange(10, 161) * 500.0
        changes = [crm.StageChange(crm.EARLY_STAGES[0], created, amount)]
        changes += [
            crm.StageChange(crm.EARLY_STAGES[i + 1], floor_second(moment), amount)
            for i, moment in enumerate(times)
        ]
        stage_limit = self.entries[2] - 30 * MINUTE if sales_path else self.end - HOUR
        if rng.random() < 0.15:  # an amount edit without a stage change is a history row too
            position = rng.randrange(len(changes))
            following = (
                changes[position + 1].at
                if position + 1 < len(changes)
                else min(changes[position].at + DAY, stage_limit)
            )
            moment = self.between(changes[position].at, following)
            if moment is not None:
                amount += rng.choice((-1, 1)) * rng.randrange(1, 10) * 500.0
                changes.insert(
                    position + 1,
                    crm.StageChange(changes[position].stage, floor_second(moment), amount),
                )
                for later in changes[position + 2 :]:
                    later.amount = amount
        if sales_path and purchase_plan is not None:
            proposal = purchase_plan["proposal"]
            horizon = (self.entries[3] if self.top >= 4 else self.end - HOUR) - proposal
            changes.append(crm.StageChange("Proposal/Price Quote", proposal, amount))
            if rng.random() < 0.7:
                changes.append(
                    crm.StageChange(
                        "Negotiation/Review",
                        floor_second(proposal + int(horizon * rng.uniform(0.05, 0.4))),
                        amount,
                    )
                )
            amount = max(2_500.0, amount - rng.randrange(0, 6) * 500.0)
            changes.append(
                crm.StageChange(
                    "Closed Won",
                    floor_second(proposal + int(horizon * rng.uniform(0.5, 0.95))),
                    amount,
                )
            )
        elif rng.random() < 0.5:
            lost = changes[-1].at + int(rng.expovariate(1 / 3) * DAY)
            if lost < self.end - MINUTE:
                changes.append(
                    crm.StageChange("Closed Lost", floor_second(lost), changes[-1].amount)
                )
        for before, after in zip(changes, changes[1:], strict=False):  # strictly increasing times
            if after.at <= before.at:
                after.at = before.at + SECOND
        opportunity_id = self.sim.salesforce_ids.next("Opportunity")
        history_ids = [self.sim.salesforce_ids.next("OpportunityHistory") for _ in changes]
        account = known.account.row
        name = (
            f"{account['Name'].splitlines()[0]} – {rng.choice(('Pro', 'Business', 'Enterprise'))}, "
            f"{rng.choice((5, 10, 25, 50, 100))} Lizenzen"
        )
        opportunity, history = crm.opportunity_rows(
            opportunity_id,
            history_ids,
            account["Id"],
            known.pick_id(rng),
            name,
            rng.choice(vocab.LEAD_SOURCES),
            account["OwnerId"],
            changes,
        )
        self.records.opportunities.append(opportunity)
        self.records.opportunity_history.extend(history)
        for change in changes:
            if change.stage in crm.EARLY_STAGES:
                self.rated.append(
                    (
                        "sales_call",
                        change.at,
                        {"touchpoint": "sales_call", "opportunity_id": opportunity_id},
                    )
                )
            elif change.stage == "Closed Won":
                self.rated.append(
                    (
                        "contract_signed",
                        change.at,
                        {"touchpoint": "contract_signed", "opportunity_id": opportunity_id},
                    )
                )

    def emit_case(self, origin: str, created: int) -> None:
        rng = self.rng
        known = self.known
        assert known is not None
        closed: int | None = floor_second(
            created + 30 * MINUTE + int(rng.expovariate(1 / 1.5) * DAY)
        )
        if closed is not None and closed >= self.end - SECOND:
            closed = None
        case_id = self.sim.salesforce_ids.next("Case")
        self.records.cases.append(
            crm.case_row(
                rng,
                case_id,
                self.sim.next_case_number(),
                known.account.row["Id"],
                known.pick_id(rng),
                origin,
                created,
                closed,
                known.account.row["OwnerId"],
            )
        )
        touchpoint = CASE_ORIGIN_TOUCHPOINT.get(origin)
        if touchpoint == "support_portal":
            self.rated.append((touchpoint, created, {"case_id": case_id}))
        elif touchpoint is not None:
            self.rated.append((touchpoint, created, {"touchpoint": touchpoint, "case_id": case_id}))

    def emit_surveys(self) -> None:
        rng = self.rng
        known = self.known
        assert known is not None
        recipient = known.recipient()
        persona = persona_of_known(known.account.row, self.records.contacts[0])
        base_offset = PERSONA_NPS_OFFSET.get(persona or "", 0.0)
        for touchpoint, occurred, embedded in sorted(self.rated, key=lambda item: item[1]):
            if rng.random() >= SURVEY_PROBABILITY[touchpoint]:
                continue
            spec = (
                survey.SUPPORT_FOLLOWUP
                if touchpoint == "support_portal"
                else survey.POST_INTERACTION
            )
            answer = survey.response(
                rng,
                spec,
                occurred=occurred,
                window_end=self.end,
                target_nps=NPS_TARGETS[touchpoint]
                + base_offset
                + sum(
                    effect
                    for moment, effect in MOMENT_NPS_EFFECT.items()
                    if self.moments.get(moment, occurred) < occurred
                )
                + (
                    LATE_NPS_SHIFT.get(touchpoint, 0.0)
                    if occurred >= self.end - LATE_SHIFT_DAYS * DAY
                    else 0.0
                ),
                ces_mean=CES_MEAN[touchpoint],
                recipient=recipient,
                embedded=embedded,
                unfinished=rng.random() < UNFINISHED_SHARE,
                taken_ids=self.sim.response_ids,
            )
            if answer is not None:
                self.records.surveys.append(answer)
