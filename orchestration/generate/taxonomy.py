"""The journey taxonomy and touchpoint rules of the team contract, as the generator sees them.

This is a deliberate second copy of the rules that the dbt seeds hold: truth.json is computed by
applying these rules to the emitted records, so the warehouse (which applies the seeds) and the
generator must agree independently. Keep both in step with the contract.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

JOURNEY_ID = "customer_lifecycle"

PHASES: tuple[str, ...] = ("awareness", "consideration", "purchase", "service", "loyalty")
PHASE_ORDER: dict[str, int] = {phase: order for order, phase in enumerate(PHASES, start=1)}

TOUCHPOINT_PHASE: dict[str, str] = {
    "website_visit": "awareness",
    "blog_article": "awareness",
    "pricing_page": "consideration",
    "demo_request": "consideration",
    "sales_call": "consideration",
    "proposal": "purchase",
    "checkout": "purchase",
    "contract_signed": "purchase",
    "help_center": "service",
    "support_call": "service",
    "support_email": "service",
    "support_portal": "service",
    "referral": "loyalty",
    "community": "loyalty",
}


@dataclass(frozen=True)
class Rule:
    rule_id: str
    source_system: str
    field: str
    match_type: str  # equals | prefix | regex
    pattern: str
    touchpoint_id: str
    priority: int

    def matches(self, value: str | None) -> bool:
        if value is None:
            return False
        if self.match_type == "equals":
            return value == self.pattern
        if self.match_type == "prefix":
            return value.startswith(self.pattern)
        return re.search(self.pattern, value) is not None


RULES: tuple[Rule, ...] = (
    Rule("w01", "web", "event_name", "equals", "purchase", "checkout", 10),
    Rule("w02", "web", "event_name", "equals", "generate_lead", "demo_request", 10),
    Rule("w03", "web", "page_path", "prefix", "/pricing", "pricing_page", 20),
    Rule("w04", "web", "page_path", "regex", r"^/blog/.+", "blog_article", 20),
    Rule("w05", "web", "page_path", "prefix", "/help", "help_center", 20),
    Rule("w06", "web", "page_path", "prefix", "/refer", "referral", 20),
    Rule("w07", "web", "page_path", "prefix", "/community", "community", 20),
    Rule("w08", "web", "page_path", "regex", r"^/($|features|about)", "website_visit", 90),
    Rule(
        "c01",
        "crm",
        "opportunity_stage",
        "regex",
        r"^(Prospecting|Needs Analysis|Value Proposition|Id\. Decision Makers)$",
        "sales_call",
        10,
    ),
    Rule(
        "c02",
        "crm",
        "opportunity_stage",
        "regex",
        r"^(Proposal/Price Quote|Negotiation/Review)$",
        "proposal",
        10,
    ),
    Rule("c03", "crm", "opportunity_stage", "equals", "Closed Won", "contract_signed", 10),
    Rule("c04", "crm", "case_origin", "equals", "Phone", "support_call", 10),
    Rule("c05", "crm", "case_origin", "equals", "Email", "support_email", 10),
    Rule("c06", "crm", "case_origin", "equals", "Web", "support_portal", 10),
    Rule("s01", "survey", "embedded.touchpoint", "equals", "sales_call", "sales_call", 10),
    Rule("s02", "survey", "embedded.touchpoint", "equals", "checkout", "checkout", 10),
    Rule(
        "s03", "survey", "embedded.touchpoint", "equals", "contract_signed", "contract_signed", 10
    ),
    Rule("s04", "survey", "embedded.touchpoint", "equals", "support_call", "support_call", 10),
    Rule("s05", "survey", "embedded.touchpoint", "equals", "support_email", "support_email", 10),
    Rule("s06", "survey", "survey_name", "prefix", "support_followup", "support_portal", 50),
)


def match_touchpoint(source_system: str, fields: dict[str, str | None]) -> str | None:
    """The touchpoint of one source record: the matching rule with the lowest priority wins."""
    hits = [
        rule
        for rule in RULES
        if rule.source_system == source_system and rule.matches(fields.get(rule.field))
    ]
    if not hits:
        return None
    return min(hits, key=lambda rule: (rule.priority, rule.rule_id)).touchpoint_id


def page_path(page_location: str) -> str:
    """Path of a URL: no host, no query string, no trailing slash except for `/`."""
    path = urlsplit(page_location).path or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    return path
