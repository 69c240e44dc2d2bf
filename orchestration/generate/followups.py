"""Follow-up outcomes: what the ticketing tool did with the follow-ups on unhappy answers.

Every valid detractor answer (NPS 0-6) and CSAT of 1-2 gets a follow-up (``fu_`` + response
id, as fct_detractor_follow_ups names it). Most come back in ``followups/outcomes.csv``:
closed after a planted number of hours, a few unreachable or still in progress; the rest have
no outcome yet. Each follow-up draws from its own random stream (seeded by its id), so the
outcomes leave every other exported value unchanged.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from orchestration.generate.clock import HOUR, floor_second, salesforce_datetime
from orchestration.generate.survey import SurveyResponse

OUTCOME_SHARE = 0.8  # follow-ups with an outcome in the export
STATUS_WEIGHTS = {"closed": 0.85, "unreachable": 0.1, "in_progress": 0.05}
MEAN_HOURS_TO_CLOSE = 30.0
RESOLUTIONS = (
    "Kunde angerufen, Problem gelöst",
    "Rückruf erfolgt; Gutschrift angeboten",
    "Called back, explained the invoice",
    "Ticket an Produktteam weitergegeben",
    "",
)
COLUMNS = ("Follow-up ID", "Status", "Closed At", "Resolution")


def follow_up_id(response: SurveyResponse) -> str:
    return "fu_" + response.row["ResponseId"]


def outcome(response: SurveyResponse, window_end: int) -> dict[str, str] | None:
    """The outcome row of a follow-up, or None when the export has none (yet)."""
    rng = random.Random(f"followup:{response.row['ResponseId']}")
    if rng.random() >= OUTCOME_SHARE:
        return None
    status = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
    closed_at = ""
    if status == "closed":
        closed = floor_second(
            response.recorded + HOUR + int(rng.expovariate(1 / MEAN_HOURS_TO_CLOSE) * HOUR)
        )
        if closed >= window_end:
            status = "in_progress"
        else:
            closed_at = salesforce_datetime(closed)
    return {
        "Follow-up ID": follow_up_id(response),
        "Status": status,
        "Closed At": closed_at,
        "Resolution": rng.choice(RESOLUTIONS) if status == "closed" else "",
    }


def write_outcomes(path: Path, rows: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(sorted(rows, key=lambda row: row["Follow-up ID"]))
