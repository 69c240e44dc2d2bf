"""What the journey map page shows, read from the published marts (read-only).

Every section reads its own marts and comes back empty when one is missing, so the page grows
with the marts and an older published file still gives a page. The survey counts are embedded
per touchpoint, day and persona (promoters, passives, detractors), not as finished NPS values:
the page recomputes NPS and its interval for the date range and persona a reader picks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from orchestration.ingestion.schema import has_table
from orchestration.resources import connect_duckdb

Json = dict[str, Any]
# The latest detractor comments embedded (newest first); the page filters them by range and
# persona and shows the first few.
MAX_COMMENTS = 500
NO_PERSONA = ""  # responses of customers without a persona (unidentified)


def _records(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[Json]:
    cursor = con.execute(sql, params or [])
    names = [column[0] for column in cursor.description]
    return [
        {name: _plain(value) for name, value in zip(names, row, strict=True)}
        for row in cursor.fetchall()
    ]


def _plain(value: object) -> object:
    """JSON-ready: dates as ISO strings, floats rounded to what a page shows."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 4)
    return value


def _journey_map(con: duckdb.DuckDBPyConnection) -> Json:
    return {
        "journeys": _records(
            con,
            "select journey_id as id, journey_name as name, description"
            " from marts.dim_journeys order by journey_id",
        ),
        "phases": _records(
            con,
            'select phase_id as id, journey_id, phase_name as name, phase_order as "order"'
            " from marts.dim_phases order by journey_id, phase_order",
        ),
        "touchpoints": _records(
            con,
            "select touchpoint_id as id, touchpoint_name as name, phase_id, journey_id,"
            " channel, owner, is_moment_that_matters as is_mtm, description"
            " from marts.dim_touchpoints order by phase_order, touchpoint_id",
        ),
    }


def _nps_all_time(con: duckdb.DuckDBPyConnection) -> Json:
    """NPS per touchpoint over all time as agg_nps gives it (the page's unfiltered view)."""
    rows = con.execute(
        "select scope_id, responses, nps, nps_ci_low, nps_ci_high from marts.agg_nps"
        " where period_grain = 'all' and scope_type = 'touchpoint'"
    ).fetchall()
    return {
        "nps_all_time": {
            tp: {"n": n, "nps": _plain(v), "low": _plain(lo), "high": _plain(hi)}
            for tp, n, v, lo, hi in rows
        }
    }


def _nps_counts(con: duckdb.DuckDBPyConnection) -> Json:
    """Promoters, passives and detractors per touchpoint, day and persona (indexes into lists)."""
    rows = con.execute(
        "select touchpoint_id, responded_date, coalesce(persona_id, ?),"
        " count(*) filter (where nps_category = 'promoter'),"
        " count(*) filter (where nps_category = 'passive'),"
        " count(*) filter (where nps_category = 'detractor')"
        " from marts.fct_survey_responses"
        " where is_valid_response and nps_category is not null and touchpoint_id is not null"
        " group by all order by 2, 1, 3",
        [NO_PERSONA],
    ).fetchall()
    days = sorted({row[1] for row in rows})
    personas = sorted({row[2] for row in rows})
    day_index = {day: i for i, day in enumerate(days)}
    persona_index = {persona: i for i, persona in enumerate(personas)}
    return {
        "days": [day.isoformat() for day in days],
        "personas": personas,
        "nps_counts": [
            [tp, day_index[day], persona_index[persona], p, pa, d]
            for tp, day, persona, p, pa, d in rows
        ],
    }


def _csat_counts(con: duckdb.DuckDBPyConnection) -> Json:
    """CSAT answers and top-box answers per touchpoint and day (agg_survey_metrics: the top box
    is the survey's, from seed `survey_questions`); not split by persona in the marts."""
    rows = con.execute(
        "select scope_id, period_start, n, cast(round(value * n / 100.0) as bigint)"
        " from marts.agg_survey_metrics"
        " where metric = 'csat' and statistic = 'top_box_share' and scope_type = 'touchpoint'"
        " and period_grain = 'day' order by period_start, scope_id"
    ).fetchall()
    # the reporting minimum of NPS (seed `metric_settings`): the page greys out smaller counts
    minimum = con.execute(
        "select min(min_reportable_n) from marts.agg_survey_metrics where metric = 'nps'"
    ).fetchall()[0][0]
    return {
        "csat_counts": [[tp, day.isoformat(), n, top] for tp, day, n, top in rows],
        "min_reportable_n": minimum,
    }


def _kpis(con: duckdb.DuckDBPyConnection) -> Json:
    return {
        "kpis": _records(
            con,
            "select kpi, scope_type, scope_id, period_grain, period_start, target, direction,"
            " actual, ci_low, ci_high, n, is_reportable, status, owner"
            " from marts.agg_kpi_target_vs_actual"
            " where scope_type in ('touchpoint', 'phase')"
            " order by scope_type, scope_id, kpi, period_start",
        )
    }


def _moments(con: duckdb.DuckDBPyConnection) -> Json:
    rows = _records(
        con,
        "select touchpoint_id, importance, performance, quadrant, action, nps_difference,"
        " difference_ci_low, difference_ci_high, is_significant, is_reportable,"
        " exposed_responses, priority_rank from marts.agg_moments_that_matter",
    )
    return {"moments": {row.pop("touchpoint_id"): row for row in rows}}


def _funnel(con: duckdb.DuckDBPyConnection) -> Json:
    return {
        "funnel": _records(
            con,
            "select journey_id, phase_id, phase_name, phase_order, customers_entered,"
            " customers_reached_next, conversion_to_next, conversion_from_first,"
            " median_hours_to_next, p90_hours_to_next"
            " from marts.agg_phase_funnel order by journey_id, phase_order",
        )
    }


def _emotion(con: duckdb.DuckDBPyConnection) -> Json:
    """The emotion lane: all-time NPS, CSAT and comment sentiment per touchpoint in journey
    order, with the dips agg_emotion_curve flags."""
    return {
        "emotion": _records(
            con,
            "select journey_id, metric, curve_position as position, touchpoint_id, n, value,"
            " ci_low, ci_high, is_reportable, is_dip, previous_touchpoint_id,"
            " next_touchpoint_id from marts.agg_emotion_curve where period_grain = 'all'"
            " order by journey_id, metric, curve_position",
        )
    }


def _comments(con: duckdb.DuckDBPyConnection) -> Json:
    """The latest detractor comments with the persona of who wrote them (no names, no e-mail)."""
    themes = (
        "(select distinct theme_id, theme_name from marts.agg_comment_themes)"
        if has_table(con, "marts", "agg_comment_themes")
        else "(select null as theme_id, null as theme_name)"
    )
    persona = (
        "(select survey_response_id, persona_id from marts.fct_survey_responses)"
        if has_table(con, "marts", "fct_survey_responses")
        else "(select null as survey_response_id, null as persona_id)"
    )
    return {
        "comments": _records(
            con,
            f"select c.responded_date as day, c.touchpoint_id, coalesce(r.persona_id, ?)"
            f" as persona, c.nps_score as score, c.comment as text, c.sentiment_label"
            f" as sentiment, coalesce(t.theme_name, c.primary_theme_id) as theme"
            f" from marts.fct_survey_comments as c"
            f" left join {persona} as r on c.survey_response_id = r.survey_response_id"
            f" left join {themes} as t on c.primary_theme_id = t.theme_id"
            f" where c.nps_category = 'detractor'"
            f" order by c.responded_at desc, c.survey_response_id limit {MAX_COMMENTS}",
            [NO_PERSONA],
        )
    }


def _publication(con: duckdb.DuckDBPyConnection) -> Json:
    published_at = con.execute("select max(published_at) from meta.publication").fetchall()[0][0]
    return {"published_at": _plain(published_at)}


# Section -> (marts it needs, reader). A section whose marts are missing is left out and listed
# in `missing`, and the page says so where the section would be.
SECTIONS: dict[str, tuple[tuple[str, ...], Callable[[duckdb.DuckDBPyConnection], Json]]] = {
    "journey_map": (("dim_journeys", "dim_phases", "dim_touchpoints"), _journey_map),
    "nps_all_time": (("agg_nps",), _nps_all_time),
    "nps_counts": (("fct_survey_responses",), _nps_counts),
    "csat": (("agg_survey_metrics",), _csat_counts),
    "kpis": (("agg_kpi_target_vs_actual",), _kpis),
    "moments": (("agg_moments_that_matter",), _moments),
    "funnel": (("agg_phase_funnel",), _funnel),
    "emotion": (("agg_emotion_curve",), _emotion),
    "comments": (("fct_survey_comments",), _comments),
}


def read_report_data(published: Path) -> Json:
    """Everything the page embeds, from the published marts file opened read-only."""
    data: Json = {
        "generated_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "source": str(published),
        "missing": {},
    }
    with connect_duckdb(published, read_only=True) as con:
        if has_table(con, "meta", "publication"):
            data.update(_publication(con))
        for section, (marts, reader) in SECTIONS.items():
            absent = [mart for mart in marts if not has_table(con, "marts", mart)]
            if absent:
                data["missing"][section] = absent
                continue
            data.update(reader(con))
    return data
