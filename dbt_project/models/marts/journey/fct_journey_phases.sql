with

phase_visits as (

    select * from {{ ref('fct_journey_phase_visits') }}

),

-- The first-entry view of the phase visits: one row per customer and phase, entered with the
-- first visit, "reached the next phase" when the next phase was entered after that entry.
phase_totals as (

    select
        customer_id,
        journey_id,
        phase_id,
        max(exited_at) as exited_at,
        sum(touchpoints_in_visit) as touchpoints_in_phase
    from phase_visits
    group by customer_id, journey_id, phase_id

),

final as (

    select
        {{ generate_surrogate_key(['phase_visits.customer_id', 'phase_visits.phase_id']) }}
            as journey_phase_id,
        phase_visits.customer_id,
        phase_visits.journey_id,
        phase_visits.phase_id,
        phase_visits.phase_order,
        phase_visits.phase_valid_from,
        phase_visits.entered_at,
        phase_totals.exited_at,
        phase_visits.next_phase_id,
        phase_visits.next_phase_entered_at,
        phase_visits.has_reached_next_phase,
        phase_visits.hours_to_next_phase,
        cast(phase_totals.touchpoints_in_phase as bigint) as touchpoints_in_phase
    from phase_visits
    inner join phase_totals
        on
            phase_visits.customer_id = phase_totals.customer_id
            and phase_visits.journey_id = phase_totals.journey_id
            and phase_visits.phase_id = phase_totals.phase_id
    where phase_visits.visit_number = 1

)

select * from final
