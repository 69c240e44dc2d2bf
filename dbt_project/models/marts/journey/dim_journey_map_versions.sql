-- The journey map over time, one row per map version and touchpoint valid in it: the versions
-- of the touchpoint, its phase and its journey that were valid together (see
-- int_phases_versioned). Facts join it on touchpoint_id and the map version valid when they
-- occurred.
with

touchpoints as (

    select * from {{ ref('touchpoints') }}

),

phases_versioned as (

    select * from {{ ref('int_phases_versioned') }}

),

final as (

    select
        phases_versioned.map_valid_from,
        phases_versioned.map_valid_to,
        touchpoints.touchpoint_id,
        touchpoints.touchpoint_name,
        touchpoints.valid_from as touchpoint_valid_from,
        touchpoints.valid_to as touchpoint_valid_to,
        touchpoints.channel,
        touchpoints.owner,
        touchpoints.is_moment_that_matters,
        touchpoints.has_revenue,
        touchpoints.touchpoint_order,
        touchpoints.description,
        phases_versioned.phase_id,
        phases_versioned.phase_name,
        phases_versioned.phase_order,
        phases_versioned.phase_valid_from,
        phases_versioned.journey_id,
        phases_versioned.journey_valid_from,
        phases_versioned.is_current_map_version
    from touchpoints
    inner join phases_versioned
        on
            touchpoints.phase_id = phases_versioned.phase_id
            and {{ covers_map_version(
                'touchpoints.valid_from',
                'touchpoints.valid_to',
                'phases_versioned.map_valid_from',
            ) }}

)

select * from final
