{#-
    Edges of the collapsed paths (int_attribution_path_steps_collapsed), ready for a Sankey
    chart: start -> first step, step -> next step, last step -> the outcome (contract_signed,
    checkout or drop_off). Per position in the path (from_step, 0 for start, so that the
    chart has no cycles) and over all positions (from_step NULL).
-#}
with

steps as (

    select * from {{ ref('int_attribution_path_steps_collapsed') }}

),

edges as (

    select
        path_id,
        customer_id,
        0 as from_step,
        'start' as from_node,
        touchpoint_id as to_node,
        cast(null as double) as hours_between_steps
    from steps
    where step_number = 1

    union all

    select
        path_id,
        customer_id,
        step_number as from_step,
        touchpoint_id as from_node,
        coalesce(next_touchpoint_id, path_outcome) as to_node,
        {{ hours_between('entered_at', 'next_entered_at') }} as hours_between_steps
    from steps

),

{% set grains = [('positioned', 'from_step'), ('all_positions', 'cast(null as integer)')] %}
grains as (

    {% for _, from_step in grains -%}
        select
            {{ from_step }} as from_step,
            from_node,
            to_node,
            path_id,
            customer_id,
            hours_between_steps
        from edges
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        cast(from_step as integer) as from_step,
        from_node,
        to_node,
        count(*) as transitions,
        count(distinct customer_id) as customers,
        cast({{ percentile_cont('hours_between_steps', 0.5) }} as double) as median_hours
    from grains
    group by from_step, from_node, to_node

)

select * from final
