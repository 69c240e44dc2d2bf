-- One row per journey, as BI tools key it: the version valid now, or for a journey that is no
-- longer (or not yet) valid its latest version; phases counts the phases of the current map.
with

journeys as (

    select * from {{ ref('journeys') }}

),

phases_versioned as (

    select * from {{ ref('int_phases_versioned') }}

),

ranked as (

    select
        journey_id,
        journey_name,
        description,
        valid_from,
        valid_to,
        row_number() over (
            partition by journey_id
            order by
                {{ is_valid_at(
                    'valid_from',
                    'valid_to',
                    'cast(' ~ dbt.current_timestamp() ~ ' as timestamp)',
                ) }} desc,
                valid_from desc nulls last
        ) as version_rank
    from journeys

),

phase_counts as (

    select
        journey_id,
        count(*) as phases
    from phases_versioned
    where is_current_map_version
    group by journey_id

),

final as (

    select
        ranked.journey_id,
        ranked.journey_name,
        ranked.description,
        ranked.valid_from,
        ranked.valid_to,
        coalesce(phase_counts.phases, cast(0 as bigint)) as phases
    from ranked
    left join phase_counts
        on ranked.journey_id = phase_counts.journey_id
    where ranked.version_rank = 1

)

select * from final
