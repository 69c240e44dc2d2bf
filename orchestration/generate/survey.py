"""Qualtrics side of the simulation: the two surveys' layouts and their response rows."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from orchestration.generate import vocab
from orchestration.generate.clock import (
    HOUR,
    MINUTE,
    SECOND,
    floor_second,
    is_ambiguous_wall_time,
    wall_time,
)
from orchestration.generate.ids import qualtrics_response_id

META_COLUMNS: tuple[str, ...] = (
    "StartDate",
    "EndDate",
    "Status",
    "IPAddress",
    "Progress",
    "Duration (in seconds)",
    "Finished",
    "RecordedDate",
    "ResponseId",
    "RecipientLastName",
    "RecipientFirstName",
    "RecipientEmail",
    "ExternalReference",
    "LocationLatitude",
    "LocationLongitude",
    "DistributionChannel",
    "UserLanguage",
)
_META_IMPORT_IDS: tuple[str, ...] = (
    "startDate",
    "endDate",
    "status",
    "ipAddress",
    "progress",
    "duration",
    "finished",
    "recordedDate",
    "_recordId",
    "recipientLastName",
    "recipientFirstName",
    "recipientEmail",
    "externalDataReference",
    "locationLatitude",
    "locationLongitude",
    "distributionChannel",
    "userLanguage",
)
_ZONED_IMPORT_IDS = frozenset({"startDate", "endDate", "recordedDate"})


@dataclass(frozen=True)
class SurveySpec:
    """One Qualtrics survey: its file name, question ids, time zone and embedded data."""

    name: str
    zone: ZoneInfo | None  # None: row 3 names no zone, times are UTC wall time
    nps_id: str
    nps_qid: str
    comment_id: str
    comment_qid: str
    ces_id: str  # customer effort score, 1 (very difficult) - 7 (very easy)
    ces_qid: str
    embedded: tuple[str, ...]
    topics: bool

    @property
    def columns(self) -> list[str]:
        columns = [
            *META_COLUMNS,
            f"{self.nps_id}_NPS_GROUP",
            self.nps_id,
            "CSAT",
            self.ces_id,
            f"{self.comment_id}_TEXT",
            f"{self.comment_id} - Sentiment Score",
        ]
        if self.topics:
            columns.append(f"{self.comment_id} - Topics")
        return columns + list(self.embedded)

    @property
    def labels(self) -> list[str]:
        labels = [
            *vocab.QUALTRICS_META_LABELS,
            f"{vocab.NPS_QUESTION_TEXT} - Gruppe",
            vocab.NPS_QUESTION_TEXT,
            vocab.CSAT_QUESTION_TEXT,
            vocab.CES_QUESTION_TEXT,
            vocab.COMMENT_QUESTION_TEXT,
            f"{vocab.COMMENT_QUESTION_TEXT} - Sentiment-Score",
        ]
        if self.topics:
            labels.append(f"{vocab.COMMENT_QUESTION_TEXT} - Themen")
        return labels + list(self.embedded)

    @property
    def import_ids(self) -> list[str]:
        """Row 3: one compact JSON object per column (the CSV writer doubles the quotes)."""
        objects: list[dict[str, str]] = []
        for import_id in _META_IMPORT_IDS:
            entry = {"ImportId": import_id}
            if self.zone is not None and import_id in _ZONED_IMPORT_IDS:
                entry["timeZone"] = self.zone.key
            objects.append(entry)
        objects += [
            {"ImportId": f"{self.nps_qid}_NPS_GROUP"},
            {"ImportId": self.nps_qid},
            {"ImportId": "QID15"},
            {"ImportId": self.ces_qid},
            {"ImportId": f"{self.comment_qid}_TEXT"},
            {"ImportId": f"{self.comment_qid}_TEXT", "textAnalytics": "sentimentScore"},
        ]
        if self.topics:
            objects.append({"ImportId": f"{self.comment_qid}_TEXT", "textAnalytics": "topics"})
        objects += [{"ImportId": field} for field in self.embedded]
        return [json.dumps(entry, separators=(",", ":")) for entry in objects]


POST_INTERACTION = SurveySpec(
    name="post_interaction_nps",
    zone=ZoneInfo("Europe/Berlin"),
    nps_id="Q3.13",
    nps_qid="QID12",
    comment_id="Q3.14",
    comment_qid="QID13",
    ces_id="CES",
    ces_qid="QID16",
    embedded=("touchpoint", "case_id", "opportunity_id"),
    topics=False,
)
SUPPORT_FOLLOWUP = SurveySpec(
    name="support_followup",
    zone=None,
    nps_id="Q1",
    nps_qid="QID1",
    comment_id="Q2",
    comment_qid="QID2",
    ces_id="Q3",
    ces_qid="QID3",
    embedded=("case_id",),
    topics=True,
)
SURVEYS: tuple[SurveySpec, ...] = (POST_INTERACTION, SUPPORT_FOLLOWUP)


@dataclass(frozen=True)
class Recipient:
    first_name: str
    last_name: str
    email: str
    contact_ids: tuple[str, ...]  # the contact's ids (two when it was loaded twice)
    language: str
    latitude: float
    longitude: float


@dataclass
class SurveyResponse:
    survey: str
    recorded: int  # µs UTC
    row: dict[str, str]


PASSIVE_SHARE = 0.3


def nps_group_probabilities(target_nps: float) -> tuple[float, float, float]:
    """(promoter, passive, detractor) shares whose NPS is the target, 30% passives."""
    promoters = (1 - PASSIVE_SHARE + target_nps / 100) / 2
    detractors = (1 - PASSIVE_SHARE - target_nps / 100) / 2
    return promoters, PASSIVE_SHARE, detractors


def _score(rng: random.Random, target_nps: float) -> tuple[int, str]:
    promoters, passives, _ = nps_group_probabilities(max(-70.0, min(70.0, target_nps)))
    draw = rng.random()
    if draw < promoters:
        return (10 if rng.random() < 0.45 else 9), "Promoter"
    if draw < promoters + passives:
        return rng.choice((7, 8)), "Passive"
    return rng.choices(range(7), weights=(1, 1, 2, 3, 4, 6, 8))[0], "Detractor"


def _csat(rng: random.Random, group: str) -> int:
    if group == "Promoter":
        return 5 if rng.random() < 0.7 else 4
    if group == "Passive":
        return rng.choice((3, 4))
    return rng.choice((1, 2, 2, 3))


def effort_score(response_id: str, mean: float) -> int:
    """A 1-7 effort answer around ``mean``, from its own random stream (seeded by the response
    id) so that adding the question left every other drawn value unchanged."""
    draw = random.Random(f"ces:{response_id}").gauss(mean, 1.3)
    return max(1, min(7, round(draw)))


def other_letter_case(rng: random.Random, email: str) -> str:
    """The same e-mail address in another letter case."""
    local, _, domain = email.partition("@")
    if rng.random() < 0.5:
        return email.upper()
    return local[:1].upper() + local[1:] + "@" + domain.capitalize()


def _times(recorded: int, duration_s: int) -> tuple[int, int, int]:
    started = recorded - duration_s * SECOND
    return started, recorded, recorded


def _unique_id(rng: random.Random, taken: set[str]) -> str:
    while True:
        response_id = qualtrics_response_id(rng)
        if response_id not in taken:
            taken.add(response_id)
            return response_id


def _safe_recorded(spec: SurveySpec, recorded: int, duration_s: int) -> int:
    """Move a response off the repeated hour at the end of daylight saving time."""
    while any(is_ambiguous_wall_time(moment, spec.zone) for moment in _times(recorded, duration_s)):
        recorded += HOUR
    return recorded


def _row(spec: SurveySpec, values: dict[str, str]) -> dict[str, str]:
    return {column: values.get(column, "") for column in spec.columns}


def planted_comment(response_id: str, language: str, group: str, comment: str) -> str:
    """A comment with known sentiment and theme (vocab.PLANTED_COMMENTS) for about a third of
    the responses, else ``comment``. Drawn from the response id, so that the other values of
    the sample stay as they were before comments were planted."""
    draw = random.Random(f"planted-comment:{response_id}")
    if draw.random() >= vocab.PLANTED_COMMENT_SHARE:
        return comment
    return draw.choice(vocab.PLANTED_COMMENTS[language][group.lower()])[0]


def response(
    rng: random.Random,
    spec: SurveySpec,
    *,
    occurred: int,
    window_end: int,
    target_nps: float,
    ces_mean: float,
    recipient: Recipient,
    embedded: dict[str, str],
    unfinished: bool,
    taken_ids: set[str],
) -> SurveyResponse | None:
    """A response a while after an occurrence, or None if it would fall after the export."""
    recorded = floor_second(occurred + 20 * MINUTE + int(rng.expovariate(1 / 12) * HOUR))
    duration_s = rng.randrange(25, 900)
    recorded = _safe_recorded(spec, recorded, duration_s)
    if recorded >= window_end - MINUTE:
        return None
    started, ended, recorded = _times(recorded, duration_s)
    score, group = _score(rng, target_nps)
    csat = _csat(rng, group)
    comment = ""
    if rng.random() < 0.65:
        comment = rng.choice(vocab.COMMENTS[recipient.language][group.lower()])
    sentiment = {"Promoter": (0.4, 2.0), "Passive": (-0.6, 0.6), "Detractor": (-2.0, -0.3)}[group]
    reference_draw = rng.random()
    contact_id = rng.choice(recipient.contact_ids)
    email = recipient.email
    if reference_draw < 0.7:
        reference = contact_id
    elif reference_draw < 0.85:
        reference = contact_id[:15]
    else:
        reference = ""
        if rng.random() < 0.5:
            email = other_letter_case(rng, email)
    values = {
        "StartDate": wall_time(started, spec.zone),
        "EndDate": wall_time(ended, spec.zone),
        "Status": "IP Address",
        "IPAddress": f"{rng.randrange(2, 223)}.{rng.randrange(256)}.{rng.randrange(256)}."
        f"{rng.randrange(1, 255)}",
        "Progress": "100",
        "Duration (in seconds)": str(duration_s),
        "Finished": "True",
        "RecordedDate": wall_time(recorded, spec.zone),
        "ResponseId": _unique_id(rng, taken_ids),
        "RecipientLastName": recipient.last_name,
        "RecipientFirstName": recipient.first_name,
        "RecipientEmail": email,
        "ExternalReference": reference,
        "LocationLatitude": f"{recipient.latitude + rng.uniform(-0.05, 0.05):.4f}",
        "LocationLongitude": f"{recipient.longitude + rng.uniform(-0.05, 0.05):.4f}",
        "DistributionChannel": "email",
        "UserLanguage": recipient.language,
        f"{spec.nps_id}_NPS_GROUP": group,
        spec.nps_id: str(score),
        "CSAT": str(csat),
        f"{spec.comment_id}_TEXT": comment,
        f"{spec.comment_id} - Sentiment Score": f"{rng.uniform(*sentiment):.1f}" if comment else "",
        f"{spec.comment_id} - Topics": rng.choice(vocab.TOPICS[group.lower()]) if comment else "",
        **embedded,
    }
    values[spec.ces_id] = str(effort_score(values["ResponseId"], ces_mean))
    if comment:
        values[f"{spec.comment_id}_TEXT"] = planted_comment(
            values["ResponseId"], recipient.language, group, comment
        )
    if rng.random() < 0.1:
        values["LocationLatitude"] = values["LocationLongitude"] = ""
    if unfinished:
        progress = rng.choice((14, 29, 43, 57, 71, 86))
        values.update(
            {
                "Progress": str(progress),
                "Finished": "False",
                f"{spec.comment_id}_TEXT": "",
                f"{spec.comment_id} - Sentiment Score": "",
                f"{spec.comment_id} - Topics": "",
            }
        )
        if progress < 40:
            values.update({f"{spec.nps_id}_NPS_GROUP": "", spec.nps_id: ""})
        if progress < 60:
            values["CSAT"] = values[spec.ces_id] = ""
    return SurveyResponse(spec.name, recorded, _row(spec, values))


def preview(
    rng: random.Random,
    spec: SurveySpec,
    *,
    recorded: int,
    taken_ids: set[str],
    embedded: dict[str, str],
) -> SurveyResponse:
    """A test response the survey author clicked through (Status `Survey Preview`)."""
    duration_s = rng.randrange(15, 120)
    recorded = _safe_recorded(spec, floor_second(recorded), duration_s)
    started, ended, recorded = _times(recorded, duration_s)
    score = rng.randrange(11)
    group = "Promoter" if score >= 9 else "Passive" if score >= 7 else "Detractor"
    values = {
        "StartDate": wall_time(started, spec.zone),
        "EndDate": wall_time(ended, spec.zone),
        "Status": "Survey Preview",
        "Progress": "100",
        "Duration (in seconds)": str(duration_s),
        "Finished": "True",
        "RecordedDate": wall_time(recorded, spec.zone),
        "ResponseId": _unique_id(rng, taken_ids),
        "DistributionChannel": "preview",
        "UserLanguage": "DE",
        f"{spec.nps_id}_NPS_GROUP": group,
        spec.nps_id: str(score),
        "CSAT": str(rng.randrange(1, 6)),
        f"{spec.comment_id}_TEXT": rng.choice(("test", "Test, bitte ignorieren", "")),
        **embedded,
    }
    return SurveyResponse(spec.name, recorded, _row(spec, values))
