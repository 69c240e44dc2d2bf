"""A scripted cohort with hand-built touchpoint paths, so attribution has a known answer.

After the random population the generator adds these few extra customers (when the window is
at least COHORT_MIN_DAYS long). Each is a CRM contact with one browser that logs in on its
first page, and touches exactly the touchpoints of its script at exactly the given number of
days before its conversion (or its last touch), written through the same writers as everybody
else. They answer no surveys and open no cases.

Hand computations (half-life 7 days, lookback 90 days; n touches, time decay weight
0.5 ^ (days before / 7)):

- pair: blog_article 14 d, pricing_page 7 d -> checkout. first 1/0, last 0/1, linear and
  position based 1/2 each, time decay weights 1/4, 1/2 -> 1/3, 2/3.
- four: website_visit 28 d, blog_article 21 d, demo_request 14 d, pricing_page 7 d ->
  checkout. linear 1/4 each; position based 0.4, 0.1, 0.1, 0.4; time decay weights 1/16,
  1/8, 1/4, 1/2 (sum 15/16) -> 1/15, 2/15, 4/15, 8/15.
- repeat: website_visit 10 d, website_visit 9 d, pricing_page 2 d -> checkout. Three touches
  (linear 1/3 each; position based 0.4, 0.2, 0.4), one collapsed path
  website_visit > pricing_page.
- b2b: website_visit 21 d, sales_call 14 d (the opportunity opens), proposal 7 d ->
  contract_signed with 12,000: time decay 1/7, 2/7, 4/7 -> 1,714.29, 3,428.57, 6,857.14;
  position based 0.4, 0.2, 0.4 -> 4,800, 2,400, 4,800.
- drop: blog_article 5 d, pricing_page 4 d, no conversion: a drop-off path.
- outside: website_visit lookback + 10 d (100 d with the default lookback of 90 days, so
  before the window: its GA4 file is older than the others, as a full export has them),
  pricing_page 5 d -> checkout. The website visit is outside the lookback and gets no credit
  (no row in fct_attribution); the path is one touch, pricing_page, which gets 100 % in every
  model (position based included).

Every scripted customer enters the phases in order (awareness first, no phase skipped), as the
random population does, so that the ordered phase funnel still equals the planted funnel; that
rules out a path of one touch without an earlier awareness touch (awareness straight to
purchase), which is why the one-touch path above has its awareness touch outside the lookback.

Markov credits depend on the chain of every path of the sample; truth.py computes them (from
the emitted records, solving the chain exactly) next to the rule-based ones, and the unit
tests check its rule-based credits against the numbers above.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from orchestration.generate import crm
from orchestration.generate.attribution_truth import settings
from orchestration.generate.clock import (
    DAY,
    HOUR,
    MILLISECOND_US,
    SECOND,
    floor_second,
    salesforce_datetime,
)
from orchestration.generate.model import PersonRecords, WebEvent
from orchestration.generate.web import Purchase, Session, new_device, session_events

if TYPE_CHECKING:
    from orchestration.generate.population import Simulator

COHORT_MIN_DAYS = 35
COHORT_SEED_OFFSET = 7_919  # the cohort's own random stream: the population stays as it was
DWELL = 40 * SECOND
LEAD_DELAY = 20 * SECOND
PURCHASE_DELAY = 800 * MILLISECOND_US
CONTRACT_AMOUNT = 12_000.0
COHORT_DOMAIN = "pfadfinder-testpfade.de"
WEB_PAGES = {
    "website_visit": "/",
    "blog_article": "/blog/customer-journey-mapping",
    "pricing_page": "/pricing",
}


@dataclass(frozen=True)
class Script:
    """A hand-built path: (days before the end, touchpoint) in time order, and the end."""

    name: str
    touches: tuple[tuple[float, str], ...]
    conversion: str | None  # checkout, contract_signed, or None for a drop-off


SCRIPTS: tuple[Script, ...] = (
    Script("pair", ((14, "blog_article"), (7, "pricing_page")), "checkout"),
    Script(
        "four",
        ((28, "website_visit"), (21, "blog_article"), (14, "demo_request"), (7, "pricing_page")),
        "checkout",
    ),
    Script(
        "repeat",
        ((10, "website_visit"), (9, "website_visit"), (2, "pricing_page")),
        "checkout",
    ),
    Script("b2b", ((21, "website_visit"), (14, "sales_call"), (7, "proposal")), "contract_signed"),
    Script("drop", ((5, "blog_article"), (4, "pricing_page")), None),
)


def scripts() -> tuple[Script, ...]:
    """SCRIPTS and the script with a touch outside the lookback (dbt var), last so that the
    others keep their times and ids."""
    outside = settings().lookback_days + 10
    return (
        *SCRIPTS,
        Script("outside", ((outside, "website_visit"), (5, "pricing_page")), "checkout"),
    )


def scripted_people(sim: Simulator, seed: int) -> list[PersonRecords]:
    """The records of the scripted cohort; none when the window is too short for it."""
    if sim.window_end - sim.window_start < COHORT_MIN_DAYS * DAY:
        return []
    rng = random.Random(seed + COHORT_SEED_OFFSET)
    account = _account(sim)
    people = []
    for index, script in enumerate(scripts()):
        end = floor_second(sim.window_end - DAY - index * 3 * HOUR)
        records = PersonRecords(anonymous=False, top_phase=3 if script.conversion else 2)
        if index == 0:
            records.accounts.append(account)
        _act(sim, rng, records, account, script, end, index)
        people.append(records)
    return people


def _account(sim: Simulator) -> dict[str, str]:
    created = salesforce_datetime(sim.window_start - 200 * DAY)
    return {
        "Id": sim.salesforce_ids.next("Account"),
        "IsDeleted": "false",
        "Name": "Pfadfinder Testpfade GmbH",
        "Type": "Prospect",
        "BillingStreet": "Wegweiserstraße 1",
        "BillingCity": "Kassel",
        "BillingPostalCode": "34117",
        "BillingCountry": "Germany",
        "Phone": "+49 561 1234567",
        "Industry": "Technology",
        "AnnualRevenue": "",
        "NumberOfEmployees": "40",
        "OwnerId": sim.owner_ids[0],
        "CreatedDate": created,
        "LastModifiedDate": created,
        "SystemModstamp": created,
    }


def _act(
    sim: Simulator,
    rng: random.Random,
    records: PersonRecords,
    account: dict[str, str],
    script: Script,
    end: int,
    index: int,
) -> None:
    contact_id = sim.salesforce_ids.next("Contact")
    first_touch = end - int(script.touches[0][0] * DAY)
    records.contacts.append(_contact(contact_id, account, script.name, first_touch - HOUR))
    device = new_device(rng, "DE")
    device.user_id = contact_id
    sessions: list[Session] = []
    stages: list[crm.StageChange] = []
    for days, touchpoint in script.touches:
        at = end - int(days * DAY)
        if touchpoint in WEB_PAGES:
            sessions.append(_session([WEB_PAGES[touchpoint]], at))
        elif touchpoint == "demo_request":
            session = _session(["/demo"], at - LEAD_DELAY)
            session.lead_page = 0
            sessions.append(session)
        elif touchpoint == "sales_call":
            stages.append(crm.StageChange("Prospecting", floor_second(at), CONTRACT_AMOUNT))
        elif touchpoint == "proposal":
            stages.append(
                crm.StageChange("Proposal/Price Quote", floor_second(at), CONTRACT_AMOUNT)
            )
    if script.conversion == "checkout":
        purchase = Purchase(sim.next_transaction(), "plan_pro_annual", "Pro (jährlich)", 588.0, 2)
        session = _session(
            [
                "/checkout?plan=plan_pro_annual&seats=2",
                f"/checkout/complete?order={purchase.transaction_id}",
            ],
            end - DWELL - PURCHASE_DELAY,
        )
        session.purchase = purchase
        sessions.append(session)
    elif script.conversion == "contract_signed":
        stages.append(crm.StageChange("Closed Won", end, CONTRACT_AMOUNT))
    sessions[0].login_page = 0
    device.sessions = sessions
    device.pseudo_id = sim.pseudo_ids.next(sessions[0].start // SECOND)
    logged_in_at: int | None = None
    for number, session in enumerate(sessions, start=1):
        events, logged_in_at = session_events(device, session, number, number == 1, logged_in_at)
        records.web_events.extend(WebEvent(ts, row, False, False) for ts, row in events)
    if stages:
        opportunity_id = sim.salesforce_ids.next("Opportunity")
        history_ids = [sim.salesforce_ids.next("OpportunityHistory") for _ in stages]
        opportunity, history = crm.opportunity_rows(
            opportunity_id,
            history_ids,
            account["Id"],
            contact_id,
            f"{account['Name']} – Business, 20 Lizenzen",
            "Web",
            account["OwnerId"],
            stages,
        )
        records.opportunities.append(opportunity)
        records.opportunity_history.extend(history)


def _session(pages: list[str], start: int) -> Session:
    return Session(
        pages=pages,
        dwell=[DWELL] * len(pages),
        start=start,
        small_delays=(500 * MILLISECOND_US, LEAD_DELAY, PURCHASE_DELAY),
    )


def _contact(contact_id: str, account: dict[str, str], name: str, created: int) -> dict[str, str]:
    stamp = salesforce_datetime(floor_second(created))
    return {
        "Id": contact_id,
        "IsDeleted": "false",
        "AccountId": account["Id"],
        "LastName": f"Pfad-{name.capitalize()}",
        "FirstName": "Paula",
        "Salutation": "Ms.",
        "Name": f"Paula Pfad-{name.capitalize()}",
        "Email": f"paula.pfad-{name}@{COHORT_DOMAIN}",
        "Phone": "",
        "Title": "Marketing Manager",
        "MailingCity": account["BillingCity"],
        "MailingCountry": account["BillingCountry"],
        "LeadSource": "Web",
        "HasOptedOutOfEmail": "false",
        "OwnerId": account["OwnerId"],
        "CreatedDate": stamp,
        "LastModifiedDate": stamp,
    }
