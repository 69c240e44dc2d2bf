{#-
    The touchpoint paths attribution and the path marts read: one path per conversion (the
    customer's touchpoints in the lookback before it) and one per customer who never
    converted (their touchpoints in the lookback before their last one, ending in drop-off).
    Conversions are occurrences of the touchpoints of var `cjm_conversion_touchpoints`; they
    are never steps of a path. A conversion without any touchpoint before it (or without a
    customer) keeps one row with touch_position 0, so that its credit and revenue stay
    accounted for.
    Incremental by customer (macros/incremental.sql): a customer's paths are built again when
    their touchpoints changed, every path when the lookback or the conversion touchpoints did.
    Conversions without a customer form one partition of their own.
-#}
{{ config_incremental_by_partition(
    "ref('fct_touchpoints')", '_partition_key',
    partition_expression="attribution_path_partition('customer_id')",
) }}
{%- set lookback_days = var('cjm_attribution_lookback_days') -%}
{%- set conversion_list -%}
    ('{{ var("cjm_conversion_touchpoints") | join("', '") }}')
{%- endset -%}

with

-- The partitions (customers) whose touchpoints or settings changed.
touchpoint_signatures as (

    {{ subject_signatures(
        ref('fct_touchpoints'), attribution_path_partition('customer_id'),
        ['touchpoint_occurrence_id', 'touchpoint_id', 'channel', 'occurred_at', 'revenue'],
        'touchpoints_signature',
    ) }}

),

subject_signatures as (

    select
        partition_key,
        touchpoints_signature
        || '/{{ lookback_days }}/{{ var("cjm_conversion_touchpoints") | join(",") }}'
            as partition_signature
    from touchpoint_signatures

),

partitions_to_build as (

    {{ partitions_to_build('subject_signatures', '_partition_key') }}

),

touchpoints as (

    select * from {{ ref('fct_touchpoints') }}
    {%- if is_incremental() %}
        where {{ attribution_path_partition('customer_id') }} in (
            select partition_key from partitions_to_build
        )
    {%- endif %}

),

conversions as (

    select
        touchpoint_occurrence_id as conversion_id,
        touchpoint_id as conversion_type,
        customer_id,
        occurred_at as converted_at,
        revenue as conversion_revenue
    from touchpoints
    where touchpoint_id in {{ conversion_list }}

),

-- Steps of paths: touchpoints of a known or anonymous customer that are not conversions.
touches as (

    select
        touchpoint_occurrence_id,
        customer_id,
        touchpoint_id,
        channel,
        occurred_at
    from touchpoints
    where
        touchpoint_id not in {{ conversion_list }}
        and customer_id is not null

),

converting_steps as (

    select
        conversions.conversion_id as path_id,
        true as is_conversion_path,
        conversions.conversion_id,
        conversions.conversion_type,
        conversions.customer_id,
        conversions.converted_at as path_end_at,
        conversions.conversion_revenue,
        touches.touchpoint_occurrence_id,
        touches.touchpoint_id,
        touches.channel,
        touches.occurred_at
    from conversions
    inner join touches
        on
            conversions.customer_id = touches.customer_id
            and conversions.converted_at > touches.occurred_at
            and {{ dbt.dateadd('day', -lookback_days, 'conversions.converted_at') }}
            <= touches.occurred_at

),

converted_customers as (

    select distinct customer_id
    from conversions
    where customer_id is not null

),

dropped_customers as (

    select
        touches.customer_id,
        max(touches.occurred_at) as path_end_at
    from touches
    left join converted_customers
        on touches.customer_id = converted_customers.customer_id
    where converted_customers.customer_id is null
    group by touches.customer_id

),

dropping_steps as (

    select
        dropped_customers.customer_id as path_id,
        false as is_conversion_path,
        cast(null as {{ dbt.type_string() }}) as conversion_id,
        cast(null as {{ dbt.type_string() }}) as conversion_type,
        dropped_customers.customer_id,
        dropped_customers.path_end_at,
        cast(null as double) as conversion_revenue,
        touches.touchpoint_occurrence_id,
        touches.touchpoint_id,
        touches.channel,
        touches.occurred_at
    from dropped_customers
    inner join touches
        on
            dropped_customers.customer_id = touches.customer_id
            and {{ dbt.dateadd('day', -lookback_days, 'dropped_customers.path_end_at') }}
            <= touches.occurred_at

),

steps as (

    select * from converting_steps
    union all
    select * from dropping_steps

),

numbered_steps as (

    select
        path_id,
        is_conversion_path,
        conversion_id,
        conversion_type,
        customer_id,
        path_end_at,
        conversion_revenue,
        touchpoint_occurrence_id,
        touchpoint_id,
        channel,
        occurred_at,
        row_number() over (
            partition by path_id order by occurred_at, touchpoint_occurrence_id
        ) as touch_position,
        count(*) over (partition by path_id) as touches_in_path
    from steps

),

touched_conversions as (

    select distinct conversion_id
    from converting_steps

),

untouched_conversions as (

    select
        conversions.conversion_id as path_id,
        true as is_conversion_path,
        conversions.conversion_id,
        conversions.conversion_type,
        conversions.customer_id,
        conversions.converted_at as path_end_at,
        conversions.conversion_revenue,
        cast(null as {{ dbt.type_string() }}) as touchpoint_occurrence_id,
        cast(null as {{ dbt.type_string() }}) as touchpoint_id,
        'none' as channel,
        cast(null as timestamp) as occurred_at,
        cast(0 as bigint) as touch_position,
        cast(0 as bigint) as touches_in_path
    from conversions
    left join touched_conversions
        on conversions.conversion_id = touched_conversions.conversion_id
    where touched_conversions.conversion_id is null

),

unioned as (

    select * from numbered_steps
    union all
    select * from untouched_conversions

),

final as (

    select
        unioned.path_id,
        unioned.is_conversion_path,
        unioned.conversion_id,
        unioned.conversion_type,
        unioned.customer_id,
        unioned.path_end_at,
        unioned.conversion_revenue,
        cast(unioned.touch_position as integer) as touch_position,
        cast(unioned.touches_in_path as integer) as touches_in_path,
        unioned.touchpoint_occurrence_id,
        unioned.touchpoint_id,
        unioned.channel,
        unioned.occurred_at,
        {{ hours_between('unioned.occurred_at', 'unioned.path_end_at') }} as hours_before_end,
        partitions_to_build.partition_key as _partition_key,
        partitions_to_build.partition_signature as _partition_signature,
        '{{ invocation_id }}' as _invocation_id
    from unioned
    inner join partitions_to_build
        on
            {{ attribution_path_partition('unioned.customer_id') }}
            = partitions_to_build.partition_key

)

select * from final
