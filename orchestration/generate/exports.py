"""`generate_exports`: simulate people, stream their records to the landing folder, write truth."""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
import tempfile
from pathlib import Path
from typing import Any

from orchestration.generate.crm import ACCOUNT_PLANTS, AccountPlanter
from orchestration.generate.followups import write_outcomes
from orchestration.generate.model import (
    CES_MEAN,
    CHURN_INTERCEPT,
    CHURN_WEIGHTS,
    CONVERSION_DRIVER,
    CONVERSION_NULL,
    CONVERSION_PROBABILITY,
    DEMO_REQUEST_SHARE,
    EMOTION_DIP,
    LATE_NPS_SHIFT,
    LATE_SHIFT_DAYS,
    MOMENT_NPS_EFFECT,
    NPS_TARGETS,
    PERSONA_NPS_OFFSET,
)
from orchestration.generate.paths import COHORT_DOMAIN
from orchestration.generate.population import Simulator
from orchestration.generate.replicate import MAX_COPIES, replicate_landing
from orchestration.generate.scale_truth import scale_truth
from orchestration.generate.survey import SURVEYS, SurveyResponse
from orchestration.generate.truth import TruthBuilder
from orchestration.generate.writers import SALESFORCE_FILES, ExportWriters, ga4_line

DEFAULT_START_DATE = dt.date(2026, 9, 1)
MIN_DAYS = 2
# Above this many customers the landing is copies of a simulated base population (replicate.py):
# the simulation takes ~3 ms per customer, 10,000 customers ~30 s.
DEFAULT_BASE_CUSTOMERS = 10_000


def _remove_earlier_output(out_dir: Path) -> None:
    """Delete files an earlier run of the generator wrote (and only those), so that a smaller
    or shifted run leaves no stale day files behind."""
    patterns = ["web/events_*.json", "web/events_*.json.gz", "truth.json"]
    patterns += [f"crm/{sobject}.csv" for sobject in SALESFORCE_FILES]
    patterns += [f"survey/{spec.name}.csv" for spec in SURVEYS]
    for pattern in patterns:
        for path in out_dir.glob(pattern):
            path.unlink()


def generate_exports(
    out_dir: Path,
    customers: int = 2000,
    days: int = 60,
    seed: int = 42,
    start_date: dt.date = DEFAULT_START_DATE,
    base_customers: int | None = None,
) -> dict[str, Any]:
    """Write synthetic survey, CRM and web exports in their real formats plus `truth.json`.

    Layout: `survey/*.csv` (Qualtrics), `crm/<Object>.csv` (Salesforce),
    `followups/outcomes.csv` (outcomes of the follow-ups on unhappy answers),
    `web/events_YYYYMMDD.json[.gz]` (GA4 BigQuery export), `truth.json`. The same arguments
    give the same bytes. Returns the truth document that was written.

    Up to `base_customers` (default DEFAULT_BASE_CUSTOMERS) customers every person is
    simulated. Above, K = ceil(customers / base_customers) copies of a simulated base of
    ceil(customers / K) customers are written (see `replicate.py`), so the landing holds
    K x base customers (at most K - 1 more than asked) and truth.json says which figures are
    scaled.
    """
    if customers < 1:
        raise ValueError(f"customers must be at least 1, got {customers}")
    if days < MIN_DAYS:
        raise ValueError(f"days must be at least {MIN_DAYS} so that journeys fit, got {days}")
    base_customers = DEFAULT_BASE_CUSTOMERS if base_customers is None else base_customers
    if base_customers < 1:
        raise ValueError(f"base_customers must be at least 1, got {base_customers}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _remove_earlier_output(out_dir)
    if customers <= base_customers:
        document = _simulate(out_dir, customers, days, seed, start_date)
    else:
        copies = math.ceil(customers / base_customers)
        if copies > MAX_COPIES + 1:
            raise ValueError(
                f"{customers} customers need {copies} copies of {base_customers}; at most "
                f"{MAX_COPIES + 1}: raise base_customers"
            )
        base_size = math.ceil(customers / copies)
        base = Path(tempfile.mkdtemp(prefix=".cjm-base-", dir=out_dir))
        try:
            base_document = _simulate(base, base_size, days, seed, start_date)
            replicate_landing(base, out_dir, copies)
        finally:
            shutil.rmtree(base, ignore_errors=True)
        document = scale_truth(base_document, copies, customers)
    _write_truth(out_dir, document)
    return document


def _simulate(
    out_dir: Path, customers: int, days: int, seed: int, start_date: dt.date
) -> dict[str, Any]:
    """Simulate every customer and write its records; returns the truth document."""

    simulator = Simulator(days=days, seed=seed, start_date=start_date)
    truth = TruthBuilder(simulator.window_end)
    planter = AccountPlanter(seed, simulator.window_start, simulator.window_end, COHORT_DOMAIN)
    responses: list[SurveyResponse] = []
    with ExportWriters(out_dir, start_date) as writers:
        for records in simulator.people(customers):
            planter.plant(records)
            lines = [ga4_line(event.row, event.omit_nulls) for event in records.web_events]
            for event, line in zip(records.web_events, lines, strict=True):
                writers.ga4.write(event.row["event_date"], line, event.duplicated)
            writers.salesforce.write("Account", records.accounts)
            writers.salesforce.write("Contact", records.contacts)
            writers.salesforce.write("Opportunity", records.opportunities)
            writers.salesforce.write("OpportunityHistory", records.opportunity_history)
            writers.salesforce.write("Case", records.cases)
            writers.salesforce.write("OpportunityContactRole", records.opportunity_contact_roles)
            truth.add_person(records, lines)
            responses.extend(records.surveys)
        for spec in SURVEYS:
            responses.extend(simulator.previews(spec, 2 + len(responses) // 200))
        responses.sort(
            key=lambda response: (response.survey, response.recorded, response.row["ResponseId"])
        )
        writers.write_surveys(SURVEYS, responses)
    truth.add_surveys(responses)
    write_outcomes(out_dir / "followups" / "outcomes.csv", truth.follow_up_outcomes)

    document = {
        "parameters": {
            "customers": customers,
            "days": days,
            "seed": seed,
            "start_date": start_date.isoformat(),
        },
        "planted": {
            "nps_by_touchpoint": dict(NPS_TARGETS),
            "conversion_probability": dict(CONVERSION_PROBABILITY),
            "nps_offset_by_persona": dict(PERSONA_NPS_OFFSET),
            "nps_effect_after_touchpoint": {**dict(MOMENT_NPS_EFFECT), "blog_article": 0},
            "ces_mean_by_touchpoint": dict(CES_MEAN),
            "nps_shift_in_last_days": {"days": LATE_SHIFT_DAYS, **LATE_NPS_SHIFT},
            "churn_logit": {"intercept": CHURN_INTERCEPT, **CHURN_WEIGHTS},
            "emotion_dip": EMOTION_DIP,
            "conversion_driver": {
                "goal": "purchase",
                "driver": CONVERSION_DRIVER,
                "null": CONVERSION_NULL,
                "demo_request_share": dict(DEMO_REQUEST_SHARE),
            },
            "accounts": dict(ACCOUNT_PLANTS),
        },
        "expected": truth.expected(),
    }
    return document


def _write_truth(out_dir: Path, document: dict[str, Any]) -> None:
    (out_dir / "truth.json").write_text(
        json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    # truth.json is not an export: the landing inventory would report it as unrecognised.
    (out_dir / ".cjmignore").write_text(
        "# Not exports: the figures the sample was generated with.\ntruth.json\n",
        encoding="utf-8",
    )
