"""The marts reproduce the figures the sample data was planted with (seeds/truth.json).

truth.json is computed by the generator from the people it simulated, never from the warehouse,
so these tests compare two independent computations of the same numbers.
"""

from __future__ import annotations

import math
import re

import pytest

pytestmark = pytest.mark.slow

NPS_KEYS = ("responses", "promoters", "passives", "detractors")


def _nps_rows(sample_run, scope_type: str) -> dict[str, dict]:
    rows = sample_run.query(
        "select scope_id, responses, promoters, passives, detractors, nps"
        " from marts.agg_nps where period_grain = 'all' and scope_type = ?",
        [scope_type],
        published=True,
    )
    return {r[0]: dict(zip((*NPS_KEYS, "nps"), r[1:], strict=True)) for r in rows}


def _assert_nps_equal(actual: dict, expected: dict) -> None:
    for key in NPS_KEYS:
        assert actual[key] == expected[key], key
    assert actual["nps"] == pytest.approx(expected["nps"], abs=1e-6)


def test_raw_row_counts(sample_run, truth):
    for table, expected in truth["expected"]["raw_rows"].items():
        assert sample_run.scalar(f"select count(*) from raw.{table}") == expected, table


def test_duplicate_web_events_removed_in_staging(sample_run, truth):
    distinct = sample_run.scalar("select count(*) from staging.stg_web__events")
    assert distinct == truth["expected"]["web_events_distinct"]
    assert distinct < truth["expected"]["raw_rows"]["web_events"]


def test_customers(sample_run, truth):
    expected = truth["expected"]
    total, known = sample_run.query(
        "select count(*), count(*) filter (where is_known_contact) from marts.dim_customers",
        published=True,
    )[0]
    assert total == expected["customers"]
    assert known == expected["known_customers"]
    assert total - known == expected["anonymous_customers"]


def test_touchpoint_occurrences(sample_run, truth):
    rows = dict(
        sample_run.query(
            "select touchpoint_id, count(*) from marts.fct_touchpoints group by all",
            published=True,
        )
    )
    assert rows == truth["expected"]["touchpoints"]


def test_each_fact_is_mapped_by_the_rule_version_valid_when_it_occurred(sample_run, truth):
    """The journey map over time: the seed edits rule w08 from 2026-10-01 (careers pages become
    website visits). Occurrences per rule version match the generator's truth, and a careers
    page counts only from the edit on, so the edit changed the future, not the past."""
    rows = dict(
        sample_run.query(
            "select rule_id || '@' || coalesce(cast(rule_valid_from as varchar), 'always'),"
            " count(*) from marts.fct_touchpoints group by all",
            published=True,
        )
    )
    expected = truth["expected"]["touchpoints_by_rule_version"]
    assert rows == expected
    assert expected["w08@always"] > 0 and expected["w08@2026-10-01"] > 0
    careers = sample_run.query(
        "select min(occurred_at), count(*) from marts.fct_touchpoints"
        " inner join (select touchpoint_occurrence_id from intermediate.int_touchpoints_mapped"
        "   where matched_value like '/careers%') using (touchpoint_occurrence_id)",
    )[0]
    assert careers[1] > 0 and str(careers[0]) >= "2026-10-01"


def test_map_edit_maps_each_fact_with_the_version_valid_then(sample_run, truth):
    """The planted map edit (seed touchpoints: `community` moves from loyalty to service,
    owned by Customer Support, from 2026-10-15): every occurrence is counted under the
    touchpoint version valid when it occurred and in that version's phase, exactly as the
    generator counted them; the dims keep one current row per id, and the phase funnel
    (test_phase_funnel) follows the versioned phases too."""
    by_version = dict(
        sample_run.query(
            "select touchpoint_id || '@' || coalesce(cast(touchpoint_valid_from as varchar),"
            " 'always'), count(*) from marts.fct_touchpoints group by all",
            published=True,
        )
    )
    expected = truth["expected"]["map_versions"]
    assert by_version == expected["touchpoints_by_version"]
    assert expected["touchpoints_by_version"]["community@always"] > 0
    assert expected["touchpoints_by_version"]["community@2026-10-15"] > 0
    by_phase = dict(
        sample_run.query(
            "select phase_id, count(*) from marts.fct_touchpoints group by all", published=True
        )
    )
    assert by_phase == expected["occurrences_by_phase"]
    community = sample_run.query(
        "select phase_id, min(occurred_at), max(occurred_at) from marts.fct_touchpoints"
        " where touchpoint_id = 'community' group by all order by 2",
        published=True,
    )
    assert [row[0] for row in community] == ["loyalty", "service"]
    assert str(community[0][2]) < "2026-10-15" <= str(community[1][1])
    # the visits say which phase version they used; the dims one current row per id
    assert (
        sample_run.scalar(
            "select count(*) from marts.fct_journey_phase_visits where phase_order is null",
            published=True,
        )
        == 0
    )
    current = sample_run.query(
        "select phase_id, owner, cast(valid_from as varchar) from marts.dim_touchpoints"
        " where touchpoint_id = 'community'",
        published=True,
    )
    assert current == [("service", "Customer Support", "2026-10-15")]
    versions = sample_run.query(
        "select cast(map_valid_from as varchar), cast(map_valid_to as varchar), phase_id, owner"
        " from marts.dim_journey_map_versions where touchpoint_id = 'community'"
        " order by map_valid_from nulls first",
        published=True,
    )
    assert versions == [
        (None, "2026-10-15", "loyalty", "Customer Success"),
        ("2026-10-15", None, "service", "Customer Support"),
    ]


def test_revenue(sample_run, truth):
    revenue = sample_run.scalar("select sum(revenue) from marts.fct_touchpoints", published=True)
    assert revenue == pytest.approx(truth["expected"]["revenue_total"], abs=0.01)


def test_survey_response_counts(sample_run, truth):
    total, valid = sample_run.query(
        "select count(*), count(*) filter (where is_valid_response)"
        " from marts.fct_survey_responses",
        published=True,
    )[0]
    assert total == truth["expected"]["survey_responses"]["total"]
    assert valid == truth["expected"]["survey_responses"]["valid"]


def test_nps_overall(sample_run, truth):
    _assert_nps_equal(_nps_rows(sample_run, "overall")["all"], truth["expected"]["nps_overall"])


def test_nps_per_touchpoint(sample_run, truth):
    actual = _nps_rows(sample_run, "touchpoint")
    expected = truth["expected"]["nps_by_touchpoint"]
    assert set(actual) == set(expected)
    for touchpoint, figures in expected.items():
        _assert_nps_equal(actual[touchpoint], figures)


def test_nps_per_touchpoint_keeps_the_planted_order(sample_run, truth):
    """Responses about a touchpoint are drawn around its planted NPS, shifted by the planted
    persona offsets and moments (truth.json `planted`), so the planted values themselves need
    not lie in the intervals; but a touchpoint planted 40 points above another scores higher."""
    planted = truth["planted"]["nps_by_touchpoint"]
    nps = dict(
        sample_run.query(
            "select scope_id, nps from marts.agg_nps"
            " where period_grain = 'all' and scope_type = 'touchpoint'",
            published=True,
        )
    )
    pairs = [(a, b) for a in planted for b in planted if planted[a] - planted[b] >= 40]
    assert pairs  # checkout (45) against support_call (-20), ...
    assert [(a, b) for a, b in pairs if not nps[a] > nps[b]] == []


def test_nps_per_phase(sample_run, truth):
    actual = _nps_rows(sample_run, "phase")
    expected = truth["expected"]["nps_by_phase"]
    assert set(actual) == set(expected)
    for phase, figures in expected.items():
        _assert_nps_equal(actual[phase], figures)


def test_phase_funnel(sample_run, truth):
    rows = sample_run.query(
        "select journey_id, phase_id, customers_entered, customers_reached_next,"
        " conversion_to_next, conversion_from_first, median_hours_to_next, p90_hours_to_next"
        " from marts.agg_phase_funnel",
        published=True,
    )
    actual = {(r[0], r[1]): r for r in rows}
    expected_rows = truth["expected"]["funnel"]
    assert len(actual) == len(expected_rows)
    for expected in expected_rows:
        row = actual[(expected["journey_id"], expected["phase_id"])]
        _, phase, entered, reached, conversion, from_first, median, p90 = row
        assert entered == expected["customers_entered"], phase
        assert reached == expected["customers_reached_next"], phase
        for value, key in (
            (conversion, "conversion_to_next"),
            (from_first, "conversion_from_first"),
            (median, "median_hours_to_next"),
            (p90, "p90_hours_to_next"),
        ):
            if expected[key] is None:
                assert value is None, (phase, key)
            else:
                assert value == pytest.approx(expected[key], abs=1e-4), (phase, key)


def test_journey_phase_rows_match_funnel(sample_run):
    """fct_journey_phases and agg_phase_funnel agree on who entered each phase."""
    mismatches = sample_run.query(
        "select f.phase_id from marts.agg_phase_funnel as f"
        " join (select journey_id, phase_id, count(distinct customer_id) as n"
        "       from marts.fct_journey_phases group by all) as p using (journey_id, phase_id)"
        " where f.customers_entered <> p.n",
        published=True,
    )
    assert mismatches == []


def test_rule_coverage_counts_what_the_rules_map(sample_run, truth, repo_root):
    import csv

    with (repo_root / "dbt_project" / "seeds" / "touchpoint_rules.csv").open() as handle:
        source_of = {  # survey rules say which touchpoint a response rates: not occurrences
            row["touchpoint_id"]: row["source_system"]
            for row in csv.DictReader(handle)
            if row["source_system"] != "survey"
        }
    expected_mapped = {"web": 0, "crm": 0}
    for touchpoint, occurrences in truth["expected"]["touchpoints"].items():
        if source_of[touchpoint] in expected_mapped:
            expected_mapped[source_of[touchpoint]] += occurrences
    coverage = {
        row[0]: row[1:]
        for row in sample_run.query(
            "select source_system, records_seen, records_mapped, top_unmapped_values"
            " from marts.agg_rule_coverage where period_grain = 'all'",
            published=True,
        )
    }
    assert coverage["web"][0] == truth["expected"]["web_events_distinct"]
    assert coverage["web"][1] == expected_mapped["web"]
    assert coverage["crm"][1] == expected_mapped["crm"]
    assert coverage["survey"][:2] == (
        truth["expected"]["survey_responses"]["total"],
        truth["expected"]["survey_responses"]["total"],
    )
    # the unmapped pages an analyst would write a rule for next are named with their counts
    # (which pages lead depends on the sample: /checkout and /demo are close)
    assert re.search(r"page_path=/[a-z]+ \(\d+\)", coverage["web"][2])
    daily = sample_run.scalar(
        "select sum(records_seen) from marts.agg_rule_coverage"
        " where period_grain = 'day' and source_system = 'web'",
        published=True,
    )
    assert daily == coverage["web"][0]


def test_identity_coverage_accounts_for_every_record(sample_run, truth):
    """agg_identity_coverage: every record of each source once, split by how it reached a
    customer; the CRM masters are the planted known customers, and a browser's events before
    its login count as known through the stitched browser."""
    rows = sample_run.query(
        "select source_system, identified_by, records, share_of_records, is_known_customer"
        " from marts.agg_identity_coverage where period_grain = 'all'",
        published=True,
    )
    by = {(source, how): (n, share, known) for source, how, n, share, known in rows}
    totals = {
        s: sum(n for (src, _), (n, _, _) in by.items() if src == s)
        for s in ("web", "survey", "crm")
    }
    expected = truth["expected"]
    assert totals == {
        "web": expected["web_events_distinct"],
        "survey": expected["survey_responses"]["total"],
        "crm": expected["raw_rows"]["crm_contacts"],
    }
    assert by[("crm", "crm_contact_id")][0] == expected["known_customers"]
    for source in totals:
        shares = [share for (src, _), (_, share, _) in by.items() if src == source]
        assert math.isclose(sum(shares), 1.0)
    # the web split agrees with the identity map: events of browsers stitched to a contact
    stitched_events = sample_run.scalar(
        "select count(*) from staging.stg_web__events as e join intermediate.int_web_users_stitched"
        " as b using (user_pseudo_id) where b.is_stitched"
    )
    known_web = sum(n for (src, _), (n, _, known) in by.items() if src == "web" and known)
    assert known_web == stitched_events
    # exactly the generator's identity truth, identifier by identifier
    identity = expected["identity"]
    assert {
        source: {how: n for (src, how), (n, _, _) in by.items() if src == source}
        for source in totals
    } == identity["records_by_identifier"]
    # the late logins: browsers whose anonymous sessions came before their first login, and
    # those earlier events, joined to the person through the same user_pseudo_id
    late_browsers, events_before = sample_run.query(
        "with logins as (select user_pseudo_id, min(event_at) as login_at"
        "   from staging.stg_web__events where user_id is not null group by 1)"
        " select count(distinct b.user_pseudo_id), count(e.user_pseudo_id)"
        " from intermediate.int_web_users_stitched as b join logins using (user_pseudo_id)"
        " left join staging.stg_web__events as e"
        "   on e.user_pseudo_id = b.user_pseudo_id and e.event_at < logins.login_at"
        " where b.is_stitched and b.first_event_at < logins.login_at"
    )[0]
    assert (late_browsers, events_before) == (
        identity["late_login_browsers"],
        identity["events_before_login"],
    )
    assert identity["late_login_browsers"] > 0 and identity["events_before_login"] > 0
    daily = sample_run.scalar(
        "select sum(records) from marts.agg_identity_coverage"
        " where period_grain = 'day' and source_system = 'web'",
        published=True,
    )
    assert daily == totals["web"]


def test_the_closed_phase_funnel_reproduces_the_planted_funnel(sample_run, truth):
    """agg_funnel over the lifecycle phases (seed funnels, closed mode, all customers): every
    sample customer enters through awareness, so the ordered funnel gives the planted funnel
    (the same figures as agg_phase_funnel); every cohort month and channel adds up to it."""
    rows = sample_run.query(
        "select step_id, customers_reached, customers_reached_next, step_conversion,"
        " overall_conversion, median_hours_to_next_step, p90_hours_to_next_step"
        " from marts.agg_funnel where funnel_id = 'lifecycle_phases' and funnel_mode = 'closed'"
        " and cut = 'all' and subject = 'customer' order by step_number",
        published=True,
    )
    expected = [e for e in truth["expected"]["funnel"] if e["journey_id"] == "customer_lifecycle"]
    assert [r[0] for r in rows] == [e["phase_id"] for e in expected]
    for row, planted in zip(rows, expected, strict=True):
        _, reached, reached_next, conversion, overall, median, p90 = row
        assert (reached, reached_next) == (
            planted["customers_entered"],
            planted["customers_reached_next"],
        )
        for value, key in (
            (conversion, "conversion_to_next"),
            (overall, "conversion_from_first"),
            (median, "median_hours_to_next"),
            (p90, "p90_hours_to_next"),
        ):
            if planted[key] is None:
                assert value is None, (row[0], key)
            else:
                assert value == pytest.approx(planted[key], abs=1e-4), (row[0], key)
    for cut in ("cohort_month", "first_touch_channel"):
        split = sample_run.query(
            "select step_number, sum(customers_reached) from marts.agg_funnel"
            " where funnel_id = 'lifecycle_phases' and funnel_mode = 'closed' and cut = ?"
            " and subject = 'customer' group by 1 order by 1",
            [cut],
            published=True,
        )
        assert [n for _, n in split] == [r[1] for r in rows], cut
