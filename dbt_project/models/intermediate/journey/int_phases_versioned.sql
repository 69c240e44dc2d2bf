-- The journey map over time, phase by phase. A map version is a period between two
-- consecutive days on which a version of a journey, phase or touchpoint (seeds, valid_from /
-- valid_to) starts or ends; within it the whole map is constant. One row per map version and
-- phase valid in it, with the versions of the phase and its journey and the next phase then.
with

journeys as (

    select * from {{ ref('journeys') }}

),

phases as (

    select * from {{ ref('phases') }}

),

touchpoints as (

    select * from {{ ref('touchpoints') }}

),

change_days as (

    select valid_from as changed_on from journeys
    union
    select valid_to as changed_on from journeys
    union
    select valid_from as changed_on from phases
    union
    select valid_to as changed_on from phases
    union
    select valid_from as changed_on from touchpoints
    union
    select valid_to as changed_on from touchpoints

),

known_days as (

    select changed_on from change_days
    where changed_on is not null

),

-- The first map version starts at the beginning of time (NULL); the last one never ends.
map_versions as (

    select
        cast(null as date) as map_valid_from,
        min(changed_on) as map_valid_to
    from known_days
    union all
    select
        changed_on as map_valid_from,
        lead(changed_on) over (order by changed_on asc) as map_valid_to
    from known_days

),

phase_versions as (

    select
        map_versions.map_valid_from,
        map_versions.map_valid_to,
        journeys.journey_id,
        journeys.journey_name,
        journeys.valid_from as journey_valid_from,
        phases.phase_id,
        phases.phase_name,
        phases.phase_order,
        phases.valid_from as phase_valid_from,
        phases.valid_to as phase_valid_to
    from map_versions
    inner join phases
        on {{ covers_map_version(
            'phases.valid_from', 'phases.valid_to', 'map_versions.map_valid_from'
        ) }}
    inner join journeys
        on
            phases.journey_id = journeys.journey_id
            and {{ covers_map_version(
                'journeys.valid_from', 'journeys.valid_to', 'map_versions.map_valid_from'
            ) }}

),

final as (

    select
        phase_versions.*,
        next_phases.phase_id as next_phase_id,
        phase_versions.phase_order = min(phase_versions.phase_order) over (
            partition by phase_versions.map_valid_from, phase_versions.journey_id
        ) as is_first_phase,
        next_phases.phase_id is null as is_last_phase,
        {{ is_valid_at(
            'phase_versions.map_valid_from',
            'phase_versions.map_valid_to',
            'cast(' ~ dbt.current_timestamp() ~ ' as timestamp)',
        ) }} as is_current_map_version
    from phase_versions
    left join phase_versions as next_phases
        on
            phase_versions.map_valid_from is not distinct from next_phases.map_valid_from
            and phase_versions.journey_id = next_phases.journey_id
            and phase_versions.phase_order + 1 = next_phases.phase_order

)

select * from final
