{#-
    Converters and the others per conversion goal (seed `conversion_goals`) and per funnel
    (seed `funnels`), and per touchpoint, channel and persona how many of each group were
    exposed to it. A goal's population is every customer; a customer converts at the first
    occurrence of any touchpoint of the goal (the decision point). A funnel's population is
    the customers who entered it (closed mode: did step 1); converters reached its last step
    (within its windows), at the moment they did. Only exposures before the decision point
    count: for a converter, touchpoint occurrences strictly before converting; for the others,
    every occurrence, up to the end of the funnel's window_days after entering when it has
    one. The goal's or funnel's own touchpoints are not compared. A persona is the
    customer's persona. Values nobody was exposed to have no row.
-#}
{#- The customers, touchpoints and funnel steps are named in each CTE that reads them rather
    than through one import CTE: DuckDB materializes a CTE that several others read, which
    would hold every row of them. -#}
{%- set customers = ref('dim_customers') %}
{%- set touchpoints = ref('fct_touchpoints') %}
{%- set funnel_progress = ref('int_funnel_steps_reached') %}

with

goals as (

    select * from {{ ref('conversion_goals') }}

),

funnels as (

    select * from {{ ref('funnels') }}

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
    inner join {{ touchpoints }} as touchpoints
        on goals.touchpoint_id = touchpoints.touchpoint_id
    where touchpoints.customer_id is not null
    group by goals.conversion_id, touchpoints.customer_id

),

goal_outcomes as (

    select
        'conversion' as analysis_type,
        goal_ids.conversion_id as analysis_id,
        customers.customer_id,
        customers.persona_id,
        conversions.converted_at,
        conversions.converted_at is not null as is_converter
    from goal_ids
    cross join {{ customers }} as customers
    left join conversions
        on
            goal_ids.conversion_id = conversions.conversion_id
            and customers.customer_id = conversions.customer_id

),

funnel_ends as (

    select
        funnel_id,
        max(step_number) as last_step,
        max(window_days) as window_days
    from funnels
    group by funnel_id

),

funnel_outcomes as (

    select
        'funnel' as analysis_type,
        entries.funnel_id as analysis_id,
        entries.customer_id,
        customers.persona_id,
        completions.reached_at as converted_at,
        completions.reached_at is not null as is_converter,
        case
            when completions.reached_at is null and funnel_ends.window_days is not null
                then {{ dbt.dateadd('day', 'funnel_ends.window_days', 'entries.entered_at') }}
        end as observed_until
    from {{ funnel_progress }} as entries
    inner join {{ customers }} as customers
        on entries.customer_id = customers.customer_id
    inner join funnel_ends
        on entries.funnel_id = funnel_ends.funnel_id
    left join {{ funnel_progress }} as completions
        on
            entries.funnel_id = completions.funnel_id
            and entries.customer_id = completions.customer_id
            and completions.funnel_mode = 'closed'
            and funnel_ends.last_step = completions.step_number
    where entries.funnel_mode = 'closed' and entries.step_number = 1

),

outcomes as (

    select
        *,
        cast(null as timestamp) as observed_until
    from goal_outcomes

    union all

    select * from funnel_outcomes

),

-- The touchpoints that define a goal or a funnel are not compared.
own_touchpoints as (

    select
        'conversion' as analysis_type,
        conversion_id as analysis_id,
        touchpoint_id
    from goals

    union all

    select
        'funnel' as analysis_type,
        funnel_id as analysis_id,
        step_id as touchpoint_id
    from funnels
    where step_type = 'touchpoint'

),

-- Each customer's first occurrence of each touchpoint and of each channel: a customer was
-- exposed to a value before the decision point when its first occurrence was before it. One
-- row per customer and value, so nothing below needs a distinct over every occurrence.
first_touchpoints as (

    select
        customer_id,
        touchpoint_id,
        min(occurred_at) as first_occurred_at
    from {{ touchpoints }}
    where customer_id is not null
    group by customer_id, touchpoint_id

),

first_channels as (

    select
        customer_id,
        channel,
        min(occurred_at) as first_occurred_at
    from {{ touchpoints }}
    where customer_id is not null
    group by customer_id, channel

),

-- Up to when an outcome's exposures count: a converter's decision point, else the end of the
-- funnel's window (null: no end).
outcome_bounds as (

    select
        analysis_type,
        analysis_id,
        customer_id,
        is_converter,
        coalesce(converted_at, observed_until) as exposed_before
    from outcomes

),

-- One row per customer and value they were exposed to.
exposures as (

    select
        outcome_bounds.analysis_type,
        outcome_bounds.analysis_id,
        outcome_bounds.is_converter,
        'touchpoint' as dimension,
        first_touchpoints.touchpoint_id as dimension_value
    from outcome_bounds
    inner join first_touchpoints
        on outcome_bounds.customer_id = first_touchpoints.customer_id
    left join own_touchpoints
        on
            outcome_bounds.analysis_type = own_touchpoints.analysis_type
            and outcome_bounds.analysis_id = own_touchpoints.analysis_id
            and first_touchpoints.touchpoint_id = own_touchpoints.touchpoint_id
    where
        own_touchpoints.touchpoint_id is null
        and (
            outcome_bounds.exposed_before is null
            or first_touchpoints.first_occurred_at < outcome_bounds.exposed_before
        )

    union all

    select
        outcome_bounds.analysis_type,
        outcome_bounds.analysis_id,
        outcome_bounds.is_converter,
        'channel' as dimension,
        first_channels.channel as dimension_value
    from outcome_bounds
    inner join first_channels
        on outcome_bounds.customer_id = first_channels.customer_id
    where
        outcome_bounds.exposed_before is null
        or first_channels.first_occurred_at < outcome_bounds.exposed_before

    union all

    select
        analysis_type,
        analysis_id,
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
