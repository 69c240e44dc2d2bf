"""Who owns which asset, as Dagster owners (``team:<name>``), shown in the UI's asset pages.

- dbt models and seeds: ``meta.owner`` of dbt_project.yml (by folder) or of the model.
- The journey map seeds (``touchpoints``, ``touchpoint_rules``): also every team that owns a
  touchpoint (seed ``touchpoints``, column ``owner``): they agree on what their touchpoints are.
- Landing folders and raw tables: data engineering, plus the owners of the touchpoints that the
  source's rules map (seed ``touchpoint_rules``): a broken CRM export concerns Sales; survey
  answers and follow-up outcomes also customer experience analytics.
- Published marts, alerts, follow-ups, comment scores: customer experience analytics.

Read from the seeds when the code location loads (two small CSV files).
"""

from __future__ import annotations

import csv
import re
from functools import cache

from orchestration.transform.manifest import default_project_dir

DATA_ENGINEERING = "team:data-engineering"
CX_ANALYTICS = "team:customer-experience-analytics"
JOURNEY_MAP_SEEDS = ("touchpoints", "touchpoint_rules")


def team(name: str) -> str:
    """``Customer Support`` -> ``team:customer-support`` (Dagster owners are e-mails or teams)."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.strip().lower()).strip("-")
    return f"team:{slug}"


@cache
def _seed_rows(name: str) -> list[dict[str, str]]:
    path = default_project_dir() / "seeds" / f"{name}.csv"
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@cache
def touchpoint_owner_teams() -> dict[str, str]:
    """touchpoint_id -> owning team: of the version still valid (the seed has one row per
    version; closed versions, with a `valid_to`, only name the owner of a retired touchpoint)."""
    rows = sorted(_seed_rows("touchpoints"), key=lambda r: not (r.get("valid_to") or "").strip())
    return {r["touchpoint_id"]: team(r["owner"]) for r in rows if r["owner"]}


# Landing folders whose data CX analytics answers for beside the touchpoint owners.
CX_SOURCES = ("survey", "followups")


def source_owners(source_system: str) -> list[str]:
    """Data engineering and the teams owning the touchpoints this source's rules map (and CX
    analytics for survey answers and follow-up outcomes)."""
    owners = touchpoint_owner_teams()
    mapped = {
        owners[r["touchpoint_id"]]
        for r in _seed_rows("touchpoint_rules")
        if r["source_system"] == source_system and r["touchpoint_id"] in owners
    }
    if source_system in CX_SOURCES:
        mapped.add(CX_ANALYTICS)
    return [DATA_ENGINEERING, *sorted(mapped)]


def dbt_owners(name: str, meta: dict) -> list[str]:
    """Owners of a dbt model or seed from its ``meta.owner`` (and the touchpoint owners for the
    journey map seeds)."""
    owners = [team(meta["owner"])] if meta.get("owner") else [DATA_ENGINEERING]
    if name in JOURNEY_MAP_SEEDS:
        owners += sorted(set(touchpoint_owner_teams().values()) - set(owners))
    return owners
