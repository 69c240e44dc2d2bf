with

touchpoint_occurrences as (

    select * from {{ ref('fct_touchpoints') }}

),

phases_versioned as (

    select * from {{ ref('int_phases_versioned') }}

),

-- Each customer's touchpoint occurrences in time order within a journey (ties broken by id).
ordered as (

    select
        customer_id,
        journey_id,
        phase_id,
        occurred_at,
        lag(phase_id) over (
            partition by customer_id, journey_id
            order by occurred_at asc, touchpoint_occurrence_id asc
        ) as previous_phase_id,
        row_number() over (
            partition by customer_id, journey_id
            order by occurred_at asc, touchpoint_occurrence_id asc
        ) as occurrence_number
    from touchpoint_occurrences
    where customer_id is not null

),

-- A visit starts with an occurrence whose previous one (in the journey) was in another phase.
flagged as (

    select
        *,
        case
            when previous_phase_id is null or previous_phase_id <> phase_id then 1 else 0
        end as is_visit_start
    from ordered

),

sequenced as (

    select
        *,
        cast(sum(is_visit_start) over (
            partition by customer_id, journey_id
            order by occurrence_number asc
            rows between unbounded preceding and current row
        ) as bigint) as visit_sequence
    from flagged

),

visits as (

    select
        customer_id,
        journey_id,
        phase_id,
        visit_sequence,
        min(occurred_at) as entered_at,
        max(occurred_at) as exited_at,
        count(*) as touchpoints_in_visit,
        max(case when is_visit_start = 1 then previous_phase_id end) as previous_phase_id
    from sequenced
    group by customer_id, journey_id, phase_id, visit_sequence

),

numbered as (

    select
        *,
        row_number() over (
            partition by customer_id, journey_id, phase_id
            order by visit_sequence asc
        ) as visit_number
    from visits

),

-- The phase as the map had it when the visit began: its order and next phase then.
numbered_in_map as (

    select
        numbered.*,
        phases_versioned.phase_order,
        phases_versioned.phase_valid_from,
        phases_versioned.next_phase_id
    from numbered
    left join phases_versioned
        on
            numbered.phase_id = phases_versioned.phase_id
            and {{ is_valid_at(
                'phases_versioned.map_valid_from',
                'phases_versioned.map_valid_to',
                'numbered.entered_at',
            ) }}

),

-- "Reached the next phase": entered it after entering this one (a later visit).
next_entries as (

    select
        numbered_in_map.customer_id,
        numbered_in_map.journey_id,
        numbered_in_map.visit_sequence,
        min(next_visits.entered_at) as next_phase_entered_at
    from numbered_in_map
    inner join numbered as next_visits
        on
            numbered_in_map.customer_id = next_visits.customer_id
            and numbered_in_map.journey_id = next_visits.journey_id
            and numbered_in_map.next_phase_id = next_visits.phase_id
            and numbered_in_map.visit_sequence < next_visits.visit_sequence
    group by
        numbered_in_map.customer_id,
        numbered_in_map.journey_id,
        numbered_in_map.visit_sequence

),

final as (

    select
        {{ generate_surrogate_key([
            'numbered_in_map.customer_id',
            'numbered_in_map.journey_id',
            'numbered_in_map.visit_sequence',
        ]) }} as journey_phase_visit_id,
        numbered_in_map.customer_id,
        numbered_in_map.journey_id,
        numbered_in_map.phase_id,
        numbered_in_map.phase_order,
        numbered_in_map.phase_valid_from,
        numbered_in_map.visit_number,
        numbered_in_map.visit_sequence,
        numbered_in_map.previous_phase_id,
        numbered_in_map.entered_at,
        numbered_in_map.exited_at,
        numbered_in_map.touchpoints_in_visit,
        numbered_in_map.next_phase_id,
        next_entries.next_phase_entered_at,
        numbered_in_map.visit_number > 1 as is_re_entry,
        next_entries.next_phase_entered_at is not null as has_reached_next_phase,
        {{ hours_between(
            'numbered_in_map.entered_at', 'next_entries.next_phase_entered_at'
        ) }} as hours_to_next_phase
    from numbered_in_map
    left join next_entries
        on
            numbered_in_map.customer_id = next_entries.customer_id
            and numbered_in_map.journey_id = next_entries.journey_id
            and numbered_in_map.visit_sequence = next_entries.visit_sequence

)

select * from final
