"""Settings that change how survey exports are read, with defaults from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


def _env_timezone() -> str:
    return os.environ.get("CJM_SURVEY_TIMEZONE", "").strip() or "UTC"


def _env_csat_questions() -> tuple[str, ...]:
    raw = os.environ.get("CJM_SURVEY_CSAT_QUESTIONS", "")
    ids = tuple(part.strip() for part in raw.split(",") if part.strip())
    return ids or ("CSAT",)


def _env_nps_question() -> str | None:
    return os.environ.get("CJM_SURVEY_NPS_QUESTION", "").strip() or None


@dataclass(frozen=True)
class IngestSettings:
    """How to interpret survey exports.

    - ``survey_timezone``: IANA zone of the survey's local times when the file does not name
      one in header row 3 (env ``CJM_SURVEY_TIMEZONE``, default ``UTC``).
    - ``csat_questions``: column ids that hold the 1-5 CSAT question, first match wins
      (env ``CJM_SURVEY_CSAT_QUESTIONS``, comma separated, default ``CSAT``).
    - ``nps_question``: column id of the 0-10 NPS question when it has no ``_NPS_GROUP``
      companion (env ``CJM_SURVEY_NPS_QUESTION``); when set it wins over the companion.
    """

    survey_timezone: str = field(default_factory=_env_timezone)
    csat_questions: tuple[str, ...] = field(default_factory=_env_csat_questions)
    nps_question: str | None = field(default_factory=_env_nps_question)
