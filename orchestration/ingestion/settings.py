"""Settings that change how survey exports are read, with defaults from the environment."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field


def _env_timezone() -> str:
    return os.environ.get("CJM_SURVEY_TIMEZONE", "").strip() or "UTC"


def _env_hubspot_timezone() -> str:
    return os.environ.get("CJM_HUBSPOT_TIMEZONE", "").strip() or "UTC"


def seeded_csat_questions() -> tuple[str, ...]:
    """The CSAT question keys of the dbt seed ``survey_questions`` (the one home of which
    export column is CSAT); ``("CSAT",)`` when the seed names none."""
    from orchestration.transform.manifest import default_project_dir as dbt_project_dir

    path = dbt_project_dir() / "seeds" / "survey_questions.csv"
    if not path.exists():
        return ("CSAT",)
    with path.open(newline="", encoding="utf-8") as handle:
        keys = [row["question_key"] for row in csv.DictReader(handle) if row["metric"] == "csat"]
    return tuple(dict.fromkeys(keys)) or ("CSAT",)


def _env_csat_questions() -> tuple[str, ...]:
    """The seed's CSAT keys; CJM_SURVEY_CSAT_QUESTIONS may only narrow or order them.

    The seed is the one home of which column is CSAT: the metrics read it, so a key named only
    in the variable would be range-checked at ingestion and then ignored by every metric."""
    seeded = seeded_csat_questions()
    raw = os.environ.get("CJM_SURVEY_CSAT_QUESTIONS", "")
    ids = tuple(part.strip() for part in raw.split(",") if part.strip())
    unknown = [key for key in ids if key.lower() not in {s.lower() for s in seeded}]
    if unknown:
        raise ValueError(
            f"CJM_SURVEY_CSAT_QUESTIONS names {', '.join(unknown)}, which seed survey_questions "
            f"does not list as a csat question (it lists {', '.join(seeded)}). Which export "
            "column is CSAT is configured in dbt_project/seeds/survey_questions.csv: add a row "
            "(metric csat) there, and unset the variable."
        )
    return ids or seeded


def _env_nps_question() -> str | None:
    return os.environ.get("CJM_SURVEY_NPS_QUESTION", "").strip() or None


def _env_comment_question() -> str | None:
    return os.environ.get("CJM_SURVEY_COMMENT_QUESTION", "").strip() or None


# A re-delivered file that would remove more than this share of the rows its earlier copy
# loaded is held, not applied (per landing sub-folder). CRM exports are snapshots whose size
# moves a little from week to week; a survey export only ever grows; a re-exported GA4 day
# gains late events. A file with no rows at all replacing one with rows is always held.
DEFAULT_MAX_DROP = {"crm": 0.2, "survey": 0.0, "web": 0.0, "followups": 0.0}


def _env_max_drop() -> dict[str, float]:
    shares = dict(DEFAULT_MAX_DROP)
    for folder in shares:
        name = f"CJM_HOLD_MAX_DROP_{folder.upper()}"
        raw = os.environ.get(name, "").strip()
        if not raw:
            continue
        try:
            value = float(raw)
        except ValueError as err:
            raise ValueError(f"{name}={raw!r} is not a number; use a share such as 0.2") from err
        if not 0 <= value <= 1:
            raise ValueError(f"{name}={raw!r} must be a share between 0 and 1, e.g. 0.2")
        shares[folder] = value
    return shares


@dataclass(frozen=True)
class IngestSettings:
    """How to interpret survey exports.

    - ``survey_timezone``: IANA zone of the survey's local times when the file does not name
      one in header row 3 (env ``CJM_SURVEY_TIMEZONE``, default ``UTC``).
    - ``csat_questions``: column ids that hold the 1-5 CSAT question, first match wins: the
      CSAT keys of the dbt seed ``survey_questions`` (env ``CJM_SURVEY_CSAT_QUESTIONS``, comma
      separated, may pick among them; naming another key is an error).
    - ``nps_question``: column id of the 0-10 NPS question when it has no ``_NPS_GROUP``
      companion (env ``CJM_SURVEY_NPS_QUESTION``); when set it wins over the companion.
      A question text works too (SurveyMonkey has no column ids).
    - ``comment_question``: column id or question text of the free-text question that is the
      comment (env ``CJM_SURVEY_COMMENT_QUESTION``); when set, only that column is the comment.
      Needed for Qualtrics legacy exports, whose text questions carry no ``_TEXT`` marker.
    - ``max_drop``: per landing sub-folder, the largest share of an earlier copy's rows a
      re-delivery may remove before it is held (env ``CJM_HOLD_MAX_DROP_CRM`` / ``_SURVEY`` /
      ``_WEB``; defaults in ``DEFAULT_MAX_DROP``).
    - ``hubspot_timezone``: IANA zone of the HubSpot account, in which HubSpot UI exports write
      times without a zone (``2021-05-21 10:17``) (env ``CJM_HUBSPOT_TIMEZONE``, default
      ``UTC``).
    """

    survey_timezone: str = field(default_factory=_env_timezone)
    csat_questions: tuple[str, ...] = field(default_factory=_env_csat_questions)
    nps_question: str | None = field(default_factory=_env_nps_question)
    comment_question: str | None = field(default_factory=_env_comment_question)
    max_drop: dict[str, float] = field(default_factory=_env_max_drop)
    hubspot_timezone: str = field(default_factory=_env_hubspot_timezone)
