"""The account marts reproduce the B2B plants of the sample (truth.json `expected.accounts`).

The generator plants opportunities with several contact roles (one primary, the Opportunity's
ContactId sometimes left empty), opportunities of an account with no contact at all, and
opportunities exported without OpportunityHistory; truth.json computes the accounts' journeys
from the emitted records (orchestration/generate/accounts_truth.py), never from the warehouse.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def accounts(truth) -> dict:
    return truth["expected"]["accounts"]


def test_account_phases_reproduce_the_planted_accounts(sample_run, accounts):
    rows = sample_run.query(
        "select phase_id, count(*), count(*) filter (where has_reached_next_phase)"
        " from marts.fct_account_journey_phases where journey_id = ? group by all",
        [accounts["journey_id"]],
        published=True,
    )
    actual = {phase: (entered, reached) for phase, entered, reached in rows}
    expected = {
        phase: (counts["accounts_entered"], counts["accounts_reached_next"])
        for phase, counts in accounts["phases"].items()
        if counts["accounts_entered"]
    }
    assert actual == expected


def test_account_funnel_reproduces_the_planted_accounts(sample_run, accounts):
    """agg_funnel's account rows of the lifecycle funnel (closed, all); the cohort-month and
    channel cuts add up to them, and the customer rows are not mixed in."""
    rows = sample_run.query(
        "select step_id, customers_entered, customers_reached, customers_reached_next"
        " from marts.agg_funnel where funnel_id = 'lifecycle_phases' and funnel_mode = 'closed'"
        " and cut = 'all' and subject = 'account' order by step_number",
        published=True,
    )
    expected = accounts["lifecycle_funnel_closed"]
    assert [(step, reached, following) for step, _, reached, following in rows] == [
        (e["step_id"], e["accounts_reached"], e["accounts_reached_next"]) for e in expected
    ]
    assert {entered for _, entered, _, _ in rows} == {expected[0]["accounts_reached"]}
    for cut in ("cohort_month", "first_touch_channel"):
        split = sample_run.query(
            "select step_number, sum(customers_reached) from marts.agg_funnel"
            " where funnel_id = 'lifecycle_phases' and funnel_mode = 'closed' and cut = ?"
            " and subject = 'account' group by 1 order by 1",
            [cut],
            published=True,
        )
        assert [n for _, n in split] == [e["accounts_reached"] for e in expected], cut


def test_every_account_with_a_touchpoint_has_a_journey(sample_run, accounts):
    touched, journeys = sample_run.query(
        "select (select count(distinct account_id) from marts.fct_touchpoints),"
        " (select count(distinct account_id) from marts.fct_account_journey_phases)",
        published=True,
    )[0]
    assert touched == journeys == accounts["accounts_with_touchpoints"]


def test_opportunities_without_history_give_their_created_and_closed_stages(sample_run, accounts):
    rows = sample_run.query(
        "select touchpoint_id, count(*) from marts.fct_touchpoints"
        " where source_object = 'opportunity' group by all",
        published=True,
    )
    assert dict(rows) == accounts["touchpoints_from_opportunities_without_history"]
    assert sum(dict(rows).values()) > accounts["opportunities_without_history"] > 0
    created = sample_run.scalar(
        "select count(*) from marts.fct_touchpoints where source_record_id like '%:created'",
        published=True,
    )
    assert created == accounts["opportunities_without_history"]


def test_opportunities_without_a_contact_still_count_for_their_account(sample_run, accounts):
    without_contact = sample_run.scalar(
        "select count(*) from staging.stg_crm__opportunities as o"
        " where o.contact_id is null and not exists (select 1"
        "  from staging.stg_crm__opportunity_contact_roles as r"
        "  where r.opportunity_id_15 = o.opportunity_id_15 and r.is_primary)"
    )
    assert without_contact == accounts["opportunities_without_contact"] > 0
    total, with_account = sample_run.query(
        "select count(*), count(account_id) from marts.fct_touchpoints"
        " where source_object in ('opportunity_history', 'opportunity') and customer_id is null",
        published=True,
    )[0]
    assert total == with_account == accounts["opportunity_touchpoints_without_customer"] > 0


def test_opportunities_with_several_contact_roles(sample_run, accounts):
    """Several roles on one opportunity make one touchpoint per stage (for the primary
    contact's customer): the customer-side truths (touchpoint counts, funnel) hold with them,
    and the roles themselves are all loaded."""
    several = sample_run.scalar(
        "select count(*) from (select opportunity_id_15"
        " from staging.stg_crm__opportunity_contact_roles group by 1 having count(*) > 1)"
    )
    assert several == accounts["opportunities_with_several_contact_roles"] > 0
    by_primary_role = sample_run.query(
        "select count(*) filter (where t.customer_id is not null),"
        " count(*) filter (where t.customer_id is null)"
        " from marts.fct_touchpoints as t"
        " inner join staging.stg_crm__opportunity_stage_changes as s"
        "  on t.source_record_id = s.opportunity_stage_change_id"
        " inner join staging.stg_crm__opportunities as o"
        "  on s.opportunity_id_15 = o.opportunity_id_15"
        " where o.contact_id is null and exists (select 1"
        "  from staging.stg_crm__opportunity_contact_roles as r"
        "  where r.opportunity_id_15 = o.opportunity_id_15 and r.is_primary)"
    )[0]
    assert by_primary_role[0] > 0 and by_primary_role[1] == 0
