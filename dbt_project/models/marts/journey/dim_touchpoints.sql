with

touchpoints as (

    select * from {{ ref('touchpoints') }}

),

phases as (

    select * from {{ ref('phases') }}

),

final as (

    select
        touchpoints.touchpoint_id,
        touchpoints.touchpoint_name,
        touchpoints.phase_id,
        phases.journey_id,
        phases.phase_order,
        touchpoints.touchpoint_order,
        touchpoints.channel,
        touchpoints.owner,
        touchpoints.is_moment_that_matters,
        touchpoints.has_revenue,
        touchpoints.description
    from touchpoints
    inner join phases
        on touchpoints.phase_id = phases.phase_id

)

select * from final
