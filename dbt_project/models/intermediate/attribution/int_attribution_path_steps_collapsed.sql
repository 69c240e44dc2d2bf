{#-
    The paths of int_attribution_paths with repeated steps collapsed: a run of touches of one
    touchpoint (a, a, b) is one step (a, b), entered at the run's first touch. The outcome of a
    path is its conversion type (contract_signed, checkout) or drop_off. A conversion without
    touches has no step here.
    Incremental by the partition of int_attribution_paths (a customer): a path is collapsed on
    its own, so a run collapses again the customers whose paths it built again.
-#}
{{ config_incremental_by_partition(
    "ref('int_attribution_paths')", '_partition_key',
    partition_expression="'case when touch_position > 0 then _partition_key end'",
) }}

with

-- A customer's paths are built together upstream and share one signature.
path_signatures as (

    {{ inherited_partition_signatures(
        ref('int_attribution_paths'), '_partition_key', 'touch_position > 0'
    ) }}

),

partitions_to_build as (

    {{ partitions_to_build('path_signatures', '_partition_key') }}

),

paths as (

    select
        paths.*,
        partitions_to_build.partition_signature as built_signature
    from {{ ref('int_attribution_paths') }} as paths
    inner join partitions_to_build
        on paths._partition_key = partitions_to_build.partition_key
    where paths.touch_position > 0

),

runs as (

    select
        path_id,
        customer_id,
        path_end_at,
        touchpoint_id,
        touch_position,
        occurred_at,
        _partition_key,
        built_signature,
        coalesce(conversion_type, 'drop_off') as path_outcome,
        lag(touchpoint_id) over (
            partition by path_id order by touch_position
        ) as previous_touchpoint_id
    from paths

),

collapsed as (

    select
        path_id,
        customer_id,
        path_outcome,
        path_end_at,
        touchpoint_id,
        occurred_at,
        _partition_key,
        built_signature,
        row_number() over (partition by path_id order by touch_position) as step_number
    from runs
    where previous_touchpoint_id is null or previous_touchpoint_id <> touchpoint_id

),

final as (

    select
        path_id,
        customer_id,
        path_outcome,
        path_end_at,
        cast(step_number as integer) as step_number,
        cast(count(*) over (partition by path_id) as integer) as steps_in_path,
        touchpoint_id,
        occurred_at as entered_at,
        lead(touchpoint_id) over (
            partition by path_id order by step_number
        ) as next_touchpoint_id,
        coalesce(
            lead(occurred_at) over (partition by path_id order by step_number), path_end_at
        ) as next_entered_at,
        _partition_key,
        built_signature as _partition_signature,
        '{{ invocation_id }}' as _invocation_id
    from collapsed

)

select * from final
