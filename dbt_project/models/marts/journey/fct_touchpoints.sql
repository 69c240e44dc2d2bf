with

touchpoints_mapped as (

    select * from {{ ref('int_touchpoints_mapped') }}

),

touchpoints as (

    select * from {{ ref('dim_touchpoints') }}

),

final as (

    select
        touchpoints_mapped.touchpoint_occurrence_id,
        touchpoints_mapped.customer_id,
        touchpoints_mapped.touchpoint_id,
        touchpoints.phase_id,
        touchpoints.journey_id,
        touchpoints.channel,
        touchpoints_mapped.source_system,
        touchpoints_mapped.source_object,
        touchpoints_mapped.source_record_id,
        touchpoints_mapped.rule_id,
        touchpoints_mapped.rule_valid_from,
        touchpoints_mapped.occurred_at,
        touchpoints_mapped.session_id,
        -- only touchpoints flagged has_revenue carry money, so no amount counts twice
        case
            when touchpoints.has_revenue then touchpoints_mapped.source_revenue
        end as revenue
    from touchpoints_mapped
    inner join touchpoints
        on touchpoints_mapped.touchpoint_id = touchpoints.touchpoint_id

)

select * from final
