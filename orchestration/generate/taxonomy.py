"""The journey map of the team contract, as the generator sees it: read from the dbt seeds.

The seeds (`journeys`, `phases`, `touchpoints`, `touchpoint_rules`) are the one home of the
journey map; nothing here copies them. The matching is implemented again on this side (not
taken from the dbt macros), so that truth.json, computed by applying these rules to the
emitted records, and the warehouse agree independently. A rule applies to a record only while
its version is valid (`valid_from` inclusive, `valid_to` exclusive, dates at midnight UTC).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from orchestration.generate.clock import date_to_us
from orchestration.transform.manifest import default_project_dir


def _seed_rows(name: str) -> list[dict[str, str]]:
    path: Path = default_project_dir() / "seeds" / f"{name}.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _day(text: str) -> int | None:
    """Midnight UTC of a seed date (YYYY-MM-DD) in µs; None when empty."""
    text = text.strip()
    return date_to_us(dt.date.fromisoformat(text)) if text else None


# The generator simulates the first journey of seed `journeys`. Journeys, phases and
# touchpoints have versions (`valid_from` / `valid_to`, one row each); PHASES and
# TOUCHPOINT_PHASE are the map as it stands at the end (the versions without `valid_to`),
# `phase_of` the map at a moment.
JOURNEY_ID = _seed_rows("journeys")[0]["journey_id"]


def _is_open(row: dict[str, str]) -> bool:
    return not row["valid_to"].strip()


PHASES: tuple[str, ...] = tuple(
    row["phase_id"]
    for row in sorted(
        (row for row in _seed_rows("phases") if row["journey_id"] == JOURNEY_ID and _is_open(row)),
        key=lambda row: int(row["phase_order"]),
    )
)
PHASE_ORDER: dict[str, int] = {phase: order for order, phase in enumerate(PHASES, start=1)}


@dataclass(frozen=True)
class TouchpointVersion:
    touchpoint_id: str
    phase_id: str
    owner: str
    valid_from: int | None  # µs UTC, inclusive; None: since always
    valid_to: int | None  # µs UTC, exclusive; None: still valid

    @property
    def version(self) -> str:
        """`touchpoint_id@valid_from` (ISO date, or `always`), as truth.json names versions."""
        return f"{self.touchpoint_id}@{_version_day(self.valid_from)}"

    def is_valid_at(self, at: int) -> bool:
        return (self.valid_from is None or at >= self.valid_from) and (
            self.valid_to is None or at < self.valid_to
        )


def _version_day(moment: int | None) -> str:
    if moment is None:
        return "always"
    return dt.datetime.fromtimestamp(moment / 1_000_000, tz=dt.UTC).date().isoformat()


TOUCHPOINT_VERSIONS: tuple[TouchpointVersion, ...] = tuple(
    TouchpointVersion(
        row["touchpoint_id"],
        row["phase_id"],
        row["owner"],
        _day(row["valid_from"]),
        _day(row["valid_to"]),
    )
    for row in _seed_rows("touchpoints")
    if row["phase_id"] in PHASE_ORDER
)

# touchpoint -> its phase now, in journey order (phase, then the seed's touchpoint_order)
TOUCHPOINT_PHASE: dict[str, str] = {
    row["touchpoint_id"]: row["phase_id"]
    for row in sorted(
        (row for row in _seed_rows("touchpoints") if _is_open(row)),
        key=lambda row: (PHASE_ORDER.get(row["phase_id"], 0), int(row["touchpoint_order"])),
    )
    if row["phase_id"] in PHASE_ORDER
}


def touchpoint_version(touchpoint: str, at: int) -> TouchpointVersion:
    """The version of a touchpoint valid at ``at`` (µs UTC)."""
    for version in TOUCHPOINT_VERSIONS:
        if version.touchpoint_id == touchpoint and version.is_valid_at(at):
            return version
    raise LookupError(f"touchpoint {touchpoint!r} has no version valid at {at}")


def phase_of(touchpoint: str, at: int) -> str:
    """The phase of a touchpoint at ``at`` (µs UTC), as the map had it then."""
    return touchpoint_version(touchpoint, at).phase_id


@dataclass(frozen=True)
class Rule:
    rule_id: str
    source_system: str
    field: str
    match_type: str  # equals | prefix | regex
    pattern: str
    touchpoint_id: str
    priority: int
    valid_from: int | None = None  # µs UTC, inclusive; None: since always
    valid_to: int | None = None  # µs UTC, exclusive; None: still valid

    @property
    def version(self) -> str:
        """`rule_id@valid_from` (ISO date, or `always`), as truth.json names rule versions."""
        return f"{self.rule_id}@{_version_day(self.valid_from)}"

    def is_valid_at(self, at: int) -> bool:
        return (self.valid_from is None or at >= self.valid_from) and (
            self.valid_to is None or at < self.valid_to
        )

    def matches(self, value: str | None) -> bool:
        if value is None:
            return False
        if self.match_type == "equals":
            return value == self.pattern
        if self.match_type == "prefix":
            return value.startswith(self.pattern)
        return re.search(self.pattern, value) is not None


RULES: tuple[Rule, ...] = tuple(
    Rule(
        row["rule_id"],
        row["source_system"],
        row["field"],
        row["match_type"],
        row["pattern"],
        row["touchpoint_id"],
        int(row["priority"]),
        _day(row["valid_from"]),
        _day(row["valid_to"]),
    )
    for row in _seed_rows("touchpoint_rules")
)


def match_rule(source_system: str, fields: dict[str, str | None], at: int) -> Rule | None:
    """The rule version that maps one source record occurring at ``at`` (µs UTC): among the
    versions valid then that match, the lowest priority wins, then the smallest rule_id."""
    hits = [
        rule
        for rule in RULES
        if rule.source_system == source_system
        and rule.is_valid_at(at)
        and rule.matches(fields.get(rule.field))
    ]
    if not hits:
        return None
    return min(hits, key=lambda rule: (rule.priority, rule.rule_id))


def match_touchpoint(source_system: str, fields: dict[str, str | None], at: int) -> str | None:
    """The touchpoint of one source record occurring at ``at`` (µs UTC), or None."""
    rule = match_rule(source_system, fields, at)
    return None if rule is None else rule.touchpoint_id


def page_path(page_location: str) -> str:
    """Path of a URL: no host, no query string, no trailing slash except for `/`."""
    path = urlsplit(page_location).path or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    return path
