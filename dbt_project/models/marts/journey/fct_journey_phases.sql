with

touchpoint_occurrences as (

    select * from {{ ref('fct_touchpoints') }}

),

phases as (

    select * from {{ ref('dim_phases') }}

),

-- A customer entered a phase with their first touchpoint occurrence in it.
phase_visits as (

    select
        customer_id,
        journey_id,
        phase_id,
        min(occurred_at) as entered_at,
        max(occurred_at) as exited_at,
        count(*) as touchpoints_in_phase
    from touchpoint_occurrences
    where customer_id is not null
    group by customer_id, journey_id, phase_id

),

final as (

    select
        {{ generate_surrogate_key(['phase_visits.customer_id', 'phase_visits.phase_id']) }}
            as journey_phase_id,
        phase_visits.customer_id,
        phase_visits.journey_id,
        phase_visits.phase_id,
        phases.phase_order,
        phase_visits.entered_at,
        phase_visits.exited_at,
        phases.next_phase_id,
        next_phase_visits.entered_at as next_phase_entered_at,
        next_phase_visits.entered_at is not null as has_reached_next_phase,
        {{ hours_between('phase_visits.entered_at', 'next_phase_visits.entered_at') }}
            as hours_to_next_phase,
        phase_visits.touchpoints_in_phase
    from phase_visits
    inner join phases
        on phase_visits.phase_id = phases.phase_id
    left join phase_visits as next_phase_visits
        on
            phase_visits.customer_id = next_phase_visits.customer_id
            and phases.next_phase_id = next_phase_visits.phase_id

)

select * from final
