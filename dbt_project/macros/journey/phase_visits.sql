{#-
    Phase visits of a journey subject (a customer, or an account): one row per entry into a
    phase, from the subject's touchpoint occurrences in time order (ties broken by id). A visit
    is a run of occurrences in one phase; "reached the next phase" means entered it in a later
    visit; each visit takes the phase as the map version valid when it began had it
    (`phases`: int_phases_versioned). `subject` is the key column of fct_touchpoints that
    names the subject (customer_id, account_id); occurrences without one are left out.
    fct_journey_phase_visits and int_account_phase_visits_sequenced are this macro, both
    incremental by subject: the model's config names the subject as unique_key.
-#}
{% macro journey_phase_visits(touchpoints, phases, subject) %}
with

phases_versioned as (

    select * from {{ phases }}

),

{#- Incremental by subject (macros/incremental.sql): a run rebuilds the subjects whose
    touchpoint occurrences changed (the columns read here), and every subject when the map's
    phases did. The touchpoints are named in each CTE that reads them (DuckDB would hold an
    import CTE read twice in memory). #}
phases_signature as (

    select
        {{ partition_signature(row_signature([
            'phase_id', 'map_valid_from', 'map_valid_to', 'phase_order', 'phase_valid_from',
            'next_phase_id',
        ])) }} as phases_signature
    from phases_versioned

),

touchpoint_signatures as (

    {{ subject_signatures(
        touchpoints, subject,
        ['touchpoint_occurrence_id', 'journey_id', 'phase_id', 'occurred_at'],
        'touchpoints_signature',
    ) }}

),

subject_signatures as (

    select
        touchpoint_signatures.partition_key,
        touchpoint_signatures.touchpoints_signature
        || '/' || phases_signature.phases_signature as partition_signature
    from touchpoint_signatures
    cross join phases_signature

),

partitions_to_build as (

    {{ partitions_to_build('subject_signatures', subject) }}

),

touchpoint_occurrences as (

    {{ rows_to_build(touchpoints, subject) }}

),

-- Each customer's touchpoint occurrences in time order within a journey (ties broken by id).
ordered as (

    select
        {{ subject }},
        journey_id,
        phase_id,
        occurred_at,
        lag(phase_id) over (
            partition by {{ subject }}, journey_id
            order by occurred_at asc, touchpoint_occurrence_id asc
        ) as previous_phase_id,
        row_number() over (
            partition by {{ subject }}, journey_id
            order by occurred_at asc, touchpoint_occurrence_id asc
        ) as occurrence_number
    from touchpoint_occurrences
    where {{ subject }} is not null

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
            partition by {{ subject }}, journey_id
            order by occurrence_number asc
            rows between unbounded preceding and current row
        ) as bigint) as visit_sequence
    from flagged

),

visits as (

    select
        {{ subject }},
        journey_id,
        phase_id,
        visit_sequence,
        min(occurred_at) as entered_at,
        max(occurred_at) as exited_at,
        count(*) as touchpoints_in_visit,
        max(case when is_visit_start = 1 then previous_phase_id end) as previous_phase_id
    from sequenced
    group by {{ subject }}, journey_id, phase_id, visit_sequence

),

numbered as (

    select
        *,
        cast(row_number() over (
            partition by {{ subject }}, journey_id, phase_id
            order by visit_sequence asc
        ) as bigint) as visit_number
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
        numbered_in_map.{{ subject }},
        numbered_in_map.journey_id,
        numbered_in_map.visit_sequence,
        min(next_visits.entered_at) as next_phase_entered_at
    from numbered_in_map
    inner join numbered as next_visits
        on
            numbered_in_map.{{ subject }} = next_visits.{{ subject }}
            and numbered_in_map.journey_id = next_visits.journey_id
            and numbered_in_map.next_phase_id = next_visits.phase_id
            and numbered_in_map.visit_sequence < next_visits.visit_sequence
    group by
        numbered_in_map.{{ subject }},
        numbered_in_map.journey_id,
        numbered_in_map.visit_sequence

),

final as (

    select
        {{ generate_surrogate_key([
            'numbered_in_map.' ~ subject,
            'numbered_in_map.journey_id',
            'numbered_in_map.visit_sequence',
        ]) }} as journey_phase_visit_id,
        numbered_in_map.{{ subject }},
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
        ) }} as hours_to_next_phase,
        partitions_to_build.partition_signature as _partition_signature,
        '{{ invocation_id }}' as _invocation_id
    from numbered_in_map
    left join next_entries
        on
            numbered_in_map.{{ subject }} = next_entries.{{ subject }}
            and numbered_in_map.journey_id = next_entries.journey_id
            and numbered_in_map.visit_sequence = next_entries.visit_sequence
    left join partitions_to_build
        on numbered_in_map.{{ subject }} = partitions_to_build.partition_key

)

select * from final
{% endmacro %}


{#-
    The first-entry view of the phase visits: one row per subject and phase, entered with the
    first visit (whose next-phase entry it keeps), exited with the last occurrence of any
    visit. fct_journey_phases and fct_account_journey_phases are this macro, both incremental
    by subject like the visits they read: the model's config names the subject as unique_key.
-#}
{% macro journey_phases_first_entry(phase_visits, subject) %}
with

{#- Incremental by subject (macros/incremental.sql): a subject's visits are rebuilt together
    and carry the signature they were built from, so a run rebuilds the subjects whose visits
    it rebuilt (or whose signature differs from the one stored here). #}
subject_signatures as (

    {{ inherited_partition_signatures(phase_visits, subject) }}

),

partitions_to_build as (

    {{ partitions_to_build('subject_signatures', subject) }}

),

phase_visits as (

    {{ rows_to_build(phase_visits, subject) }}

),

-- The first-entry view of the phase visits: one row per customer and phase, entered with the
-- first visit, "reached the next phase" when the next phase was entered after that entry.
phase_totals as (

    select
        {{ subject }},
        journey_id,
        phase_id,
        max(exited_at) as exited_at,
        sum(touchpoints_in_visit) as touchpoints_in_phase
    from phase_visits
    group by {{ subject }}, journey_id, phase_id

),

final as (

    select
        {{ generate_surrogate_key(['phase_visits.' ~ subject, 'phase_visits.phase_id']) }}
            as journey_phase_id,
        phase_visits.{{ subject }},
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
        cast(phase_totals.touchpoints_in_phase as bigint) as touchpoints_in_phase,
        partitions_to_build.partition_signature as _partition_signature,
        '{{ invocation_id }}' as _invocation_id
    from phase_visits
    inner join phase_totals
        on
            phase_visits.{{ subject }} = phase_totals.{{ subject }}
            and phase_visits.journey_id = phase_totals.journey_id
            and phase_visits.phase_id = phase_totals.phase_id
    inner join partitions_to_build
        on phase_visits.{{ subject }} = partitions_to_build.partition_key
    where phase_visits.visit_number = 1

)

select * from final
{% endmacro %}
