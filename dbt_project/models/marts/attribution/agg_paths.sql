{#-
    The touchpoint paths to each conversion type and to drop-off, repeated steps collapsed,
    most frequent first (int_attribution_paths: the lookback before a conversion, or before
    a non-converting customer's last touch). A conversion without a touch is the path 'none'.
-#}
with

paths as (

    select * from {{ ref('int_attribution_paths') }}

),

steps as (

    select * from {{ ref('int_attribution_path_steps_collapsed') }}

),

touched_paths as (

    select
        path_id,
        max(customer_id) as customer_id,
        max(path_outcome) as path_outcome,
        {{ dbt.listagg('touchpoint_id', "' > '", 'order by step_number') }} as touchpoint_path,
        max(steps_in_path) as steps,
        max(case when step_number = 1 then touchpoint_id end) as first_touchpoint_id,
        max(case when step_number = steps_in_path then touchpoint_id end) as last_touchpoint_id
    from steps
    group by path_id

),

untouched_paths as (

    select
        path_id,
        customer_id,
        conversion_type as path_outcome,
        'none' as touchpoint_path,
        0 as steps,
        cast(null as {{ dbt.type_string() }}) as first_touchpoint_id,
        cast(null as {{ dbt.type_string() }}) as last_touchpoint_id
    from paths
    where touch_position = 0

),

all_paths as (

    select * from touched_paths
    union all
    select * from untouched_paths

),

counted as (

    select
        path_outcome,
        touchpoint_path,
        max(steps) as steps,
        max(first_touchpoint_id) as first_touchpoint_id,
        max(last_touchpoint_id) as last_touchpoint_id,
        count(*) as paths,
        count(distinct customer_id) as customers
    from all_paths
    group by path_outcome, touchpoint_path

),

final as (

    select
        path_outcome,
        cast(
            row_number() over (
                partition by path_outcome order by paths desc, touchpoint_path asc
            ) as integer
        ) as path_rank,
        touchpoint_path,
        cast(steps as integer) as steps,
        first_touchpoint_id,
        last_touchpoint_id,
        paths,
        customers,
        cast(paths as double) / sum(paths) over (partition by path_outcome) as share_of_outcome
    from counted

)

select * from final
