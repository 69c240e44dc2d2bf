-- One row per touchpoint, as BI tools key it: the version valid now (the current map version),
-- or for a touchpoint that is no longer (or not yet) valid its latest version.
-- dim_journey_map_versions keeps every version.
with

map_versions as (

    select * from {{ ref('dim_journey_map_versions') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by touchpoint_id
            order by is_current_map_version desc, map_valid_from desc nulls last
        ) as version_rank
    from map_versions

),

final as (

    select
        touchpoint_id,
        touchpoint_name,
        phase_id,
        journey_id,
        phase_order,
        touchpoint_order,
        channel,
        owner,
        is_moment_that_matters,
        has_revenue,
        description,
        touchpoint_valid_from as valid_from,
        touchpoint_valid_to as valid_to
    from ranked
    where version_rank = 1

)

select * from final
