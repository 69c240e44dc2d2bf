with

phases as (

    select * from {{ ref('dim_phases') }}

),

journey_phases as (

    select * from {{ ref('fct_journey_phases') }}

),

phase_customers as (

    select
        phase_id,
        count(*) as customers_entered,
        count(case when has_reached_next_phase then 1 end) as customers_reached_next,
        {{ percentile_cont('hours_to_next_phase', 0.5) }} as median_hours_to_next,
        {{ percentile_cont('hours_to_next_phase', 0.9) }} as p90_hours_to_next
    from journey_phases
    group by phase_id

),

-- Every phase of the map appears, also when no customer entered it.
phase_funnel as (

    select
        phases.journey_id,
        phases.phase_id,
        phases.phase_name,
        phases.phase_order,
        phases.is_last_phase,
        phase_customers.median_hours_to_next,
        phase_customers.p90_hours_to_next,
        coalesce(phase_customers.customers_entered, 0) as customers_entered,
        coalesce(phase_customers.customers_reached_next, 0) as customers_reached_next
    from phases
    left join phase_customers
        on phases.phase_id = phase_customers.phase_id

),

with_first_phase as (

    select
        *,
        first_value(customers_entered) over (
            partition by journey_id
            order by phase_order asc
            rows between unbounded preceding and unbounded following
        ) as customers_entered_first_phase
    from phase_funnel

),

final as (

    select
        journey_id,
        phase_id,
        phase_name,
        phase_order,
        cast(customers_entered as bigint) as customers_entered,
        cast(customers_reached_next as bigint) as customers_reached_next,
        cast(median_hours_to_next as double) as median_hours_to_next,
        cast(p90_hours_to_next as double) as p90_hours_to_next,
        case
            when not is_last_phase and customers_entered > 0
                then cast(customers_reached_next as double) / cast(customers_entered as double)
        end as conversion_to_next,
        case
            when customers_entered_first_phase > 0
                then
                    cast(customers_entered as double)
                    / cast(customers_entered_first_phase as double)
        end as conversion_from_first
    from with_first_phase

)

select * from final
