{#-
    Converters and the others per conversion goal (seed `conversion_goals`), and per
    touchpoint, channel and persona how many of each group were exposed to it. Every customer
    is in the population of every goal. A customer converts at the first occurrence of any
    touchpoint of the goal (the decision point). Only exposures before the decision point
    count: for a converter, touchpoint occurrences strictly before the conversion; for the
    others, every occurrence (they never reached a decision point). A persona is the
    customer's persona (always "before"). Values nobody was exposed to have no row.
-#}
with

customers as (

    select * from {{ ref('dim_customers') }}

),

touchpoints as (

    select * from {{ ref('fct_touchpoints') }}

),

goals as (

    select * from {{ ref('conversion_goals') }}

),

goal_ids as (

    select distinct conversion_id from goals

),

conversions as (

    select
        goals.conversion_id,
        touchpoints.customer_id,
        min(touchpoints.occurred_at) as converted_at
    from goals
    inner join touchpoints
        on goals.touchpoint_id = touchpoints.touchpoint_id
    where touchpoints.customer_id is not null
    group by goals.conversion_id, touchpoints.customer_id

),

outcomes as (

    select
        'conversion' as analysis_type,
        goal_ids.conversion_id as analysis_id,
        customers.customer_id,
        customers.persona_id,
        conversions.converted_at,
        conversions.converted_at is not null as is_converter
    from goal_ids
    cross join customers
    left join conversions
        on
            goal_ids.conversion_id = conversions.conversion_id
            and customers.customer_id = conversions.customer_id

),

touchpoints_before as (

    select
        outcomes.analysis_type,
        outcomes.analysis_id,
        outcomes.customer_id,
        outcomes.is_converter,
        touchpoints.touchpoint_id,
        touchpoints.channel
    from outcomes
    inner join touchpoints
        on outcomes.customer_id = touchpoints.customer_id
    where
        outcomes.converted_at is null
        or touchpoints.occurred_at < outcomes.converted_at

),

-- One row per customer and value they were exposed to.
exposures as (

    select distinct
        analysis_type,
        analysis_id,
        customer_id,
        is_converter,
        'touchpoint' as dimension,
        touchpoint_id as dimension_value
    from touchpoints_before

    union all by name

    select distinct
        analysis_type,
        analysis_id,
        customer_id,
        is_converter,
        'channel' as dimension,
        channel as dimension_value
    from touchpoints_before

    union all by name

    select
        analysis_type,
        analysis_id,
        customer_id,
        is_converter,
        'persona' as dimension,
        persona_id as dimension_value
    from outcomes
    where persona_id is not null

),

group_sizes as (

    select
        analysis_type,
        analysis_id,
        count(case when is_converter then 1 end) as converters,
        count(case when not is_converter then 1 end) as non_converters
    from outcomes
    group by analysis_type, analysis_id

),

exposed as (

    select
        analysis_type,
        analysis_id,
        dimension,
        dimension_value,
        count(case when is_converter then 1 end) as converters_exposed,
        count(case when not is_converter then 1 end) as non_converters_exposed
    from exposures
    group by analysis_type, analysis_id, dimension, dimension_value

),

final as (

    select
        exposed.analysis_type,
        exposed.analysis_id,
        exposed.dimension,
        exposed.dimension_value,
        group_sizes.converters,
        group_sizes.non_converters,
        exposed.converters_exposed,
        exposed.non_converters_exposed
    from exposed
    inner join group_sizes
        on
            exposed.analysis_type = group_sizes.analysis_type
            and exposed.analysis_id = group_sizes.analysis_id

)

select * from final
