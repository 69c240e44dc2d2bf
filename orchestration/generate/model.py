"""Planted parameters of the simulation and the records one simulated person leaves behind.

Each person is planned first (how far they get, when they enter each phase, anonymous or a CRM
contact) and then acted out as records in the three source systems. A person who reaches a
phase has at least one touchpoint occurrence in that phase and in every earlier one, and enters
the phases in order. Everything is drawn from one `random.Random`, in a fixed order, so a seed
gives the same records every time.

Planted parameters (the knobs truth.json reports or that shape the data):
- CONVERSION_PROBABILITY: p(reach the next phase | reached this one), population-wide.
- PHASE_GAP_MEAN_DAYS: mean of the exponential gap between entering a phase and the next.
- ANONYMOUS_SHARE: share of people who never log in (only ever reach consideration).
- NPS_TARGETS: expected NPS of the responses rating each touchpoint, shifted by
  PERSONA_NPS_OFFSET and MOMENT_NPS_EFFECT.
- CES_MEAN: mean customer effort answer per rated touchpoint.
- CHURN_INTERCEPT, CHURN_WEIGHTS: the logit of p(churn) of a known customer who bought, from
  drivers read off the person's emitted records (orchestration/generate/churn.py).
- EMOTION_DIP: the touchpoint whose NPS target lies well below both neighbours on the journey
  (agg_emotion_curve must flag it, and no other, over all time).
- DEMO_REQUEST_SHARE: p(a known person's consideration starts with a demo request) for people
  who go on to buy and for those who do not: demo_request is the planted conversion driver;
  blog_article (awareness pages, drawn alike for everybody) the planted null.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from orchestration.generate import survey
from orchestration.generate.clock import HOUR

CONVERSION_PROBABILITY: dict[str, float] = {
    "awareness": 0.6,
    "consideration": 0.5,
    "purchase": 0.7,
    "service": 0.4,
}
PHASE_GAP_MEAN_DAYS: dict[str, float] = {
    "awareness": 3.0,
    "consideration": 6.0,
    "purchase": 5.0,
    "service": 8.0,
}
MIN_PHASE_GAP = 2 * HOUR
ANONYMOUS_SHARE = 0.35
SECOND_DEVICE_SHARE = 0.3
DUPLICATE_CONTACT_SHARE = 0.02
SALES_PATH_SHARE = 0.55  # purchasers who buy through a sales deal rather than web checkout
DUPLICATE_LINE_SHARE = 0.01
OMIT_NULLS_SHARE = 0.5  # GA4 lines written with null keys left out rather than set to null
UNFINISHED_SHARE = 0.05
NPS_TARGETS: dict[str, float] = {
    "sales_call": 10,
    "checkout": 45,
    "contract_signed": 30,
    "support_call": -30,
    "support_email": 5,
    "support_portal": 25,
}
# NPS points added to a response's target for the persona of the respondent (dbt seed
# `personas`) and for a response given after the customer experienced a touchpoint (the planted
# moment that matters; `blog_article` is the planted touchpoint that does not move NPS).
PERSONA_NPS_OFFSET: dict[str, float] = {
    "enterprise": 15,
    "regulated": -15,
    "alpine": 0,
    "partner_sourced": 10,
    "small_business": -10,
    "mid_market": 0,
}
MOMENT_NPS_EFFECT: dict[str, float] = {"demo_request": 30}
# In journey order the rated touchpoints are sales_call, checkout, contract_signed,
# support_call, support_email, support_portal: support_call (-30) sits between 30 and 5.
EMOTION_DIP = "support_call"
DEMO_REQUEST_SHARE: dict[str, float] = {"buyer": 0.45, "non_buyer": 0.1}
CONVERSION_DRIVER = "demo_request"
CONVERSION_NULL = "blog_article"
# NPS points added to the target of responses about a touchpoint that occurred in the last
# LATE_SHIFT_DAYS of the window: a real drop (sales calls) and a dip within noise (checkout).
LATE_SHIFT_DAYS = 30
LATE_NPS_SHIFT: dict[str, float] = {"sales_call": -30, "checkout": -8}
# Mean customer effort answer (1 very difficult .. 7 very easy) per rated touchpoint.
CES_MEAN: dict[str, float] = {
    "sales_call": 4.5,
    "checkout": 6.0,
    "contract_signed": 5.0,
    "support_call": 3.5,
    "support_email": 4.5,
    "support_portal": 5.5,
}
SURVEY_PROBABILITY: dict[str, float] = {
    "sales_call": 0.25,
    "checkout": 0.6,
    "contract_signed": 0.5,
    "support_call": 0.7,
    "support_email": 0.7,
    "support_portal": 0.7,
}
# Churn among known customers who reached purchase: logit(p) = CHURN_INTERCEPT + the weights of
# the drivers the person shows in their emitted records at the end of the window (a valid
# detractor answer, CHURN_REPEATED_CASES or more support cases, a valid detractor answer with a
# comment, no web visit in the last CHURN_INACTIVE_DAYS days). A churner leaves a lost renewal
# Opportunity (Type CHURN_RENEWAL_TYPE, Closed Lost) and, if it reached service, sometimes a
# cancellation Case (Type and Reason CHURN_CANCELLATION) instead.
CHURN_INTERCEPT = -2.6
CHURN_WEIGHTS: dict[str, float] = {
    "detractor_answer": 1.4,
    "repeated_support_cases": 1.3,
    "negative_comment": 0.9,
    "web_inactive": 1.8,
}
CHURN_REPEATED_CASES = 2
CHURN_INACTIVE_DAYS = 21
CHURN_RENEWAL_TYPE = "Renewal"
CHURN_CANCELLATION = "Cancellation"
CHURN_CANCELLATION_CASE_SHARE = 0.4  # of churners who reached service

CASE_ORIGIN_TOUCHPOINT = {
    "Phone": "support_call",
    "Email": "support_email",
    "Web": "support_portal",
}


@dataclass
class WebEvent:
    timestamp: int
    row: dict[str, Any]
    omit_nulls: bool
    duplicated: bool


@dataclass
class PersonRecords:
    """Everything one person left in the exports."""

    anonymous: bool
    top_phase: int
    accounts: list[dict[str, str]] = field(default_factory=list)
    contacts: list[dict[str, str]] = field(default_factory=list)
    opportunities: list[dict[str, str]] = field(default_factory=list)
    opportunity_history: list[dict[str, str]] = field(default_factory=list)
    opportunity_contact_roles: list[dict[str, str]] = field(default_factory=list)
    cases: list[dict[str, str]] = field(default_factory=list)
    web_events: list[WebEvent] = field(default_factory=list)
    surveys: list[survey.SurveyResponse] = field(default_factory=list)


def ascii_fold(text: str) -> str:
    """`Jürgen Groß` -> `juergen gross`: German transliteration, then accents dropped."""
    text = text.lower()
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("ı", "i")):
        text = text.replace(umlaut, plain)
    text = unicodedata.normalize("NFKD", text)
    return "".join(char for char in text if char.isascii() and (char.isalnum() or char in " -"))


@dataclass
class Account:
    row: dict[str, str]
    domain: str
    city: tuple[str, str, str, float, float]
    slots: int


@dataclass
class KnownPerson:
    """The CRM side of a known person."""

    contact_ids: tuple[str, ...]
    first_name: str
    last_name: str
    email: str
    language: str
    account: Account

    def pick_id(self, rng: random.Random) -> str:
        """Records of a twice-loaded contact point at either copy, mostly the first."""
        if len(self.contact_ids) > 1 and rng.random() < 0.35:
            return self.contact_ids[1]
        return self.contact_ids[0]

    def recipient(self) -> survey.Recipient:
        _, _, _, latitude, longitude = self.account.city
        return survey.Recipient(
            self.first_name,
            self.last_name,
            self.email,
            self.contact_ids,
            self.language,
            latitude,
            longitude,
        )
