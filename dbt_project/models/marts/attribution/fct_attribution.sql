{#-
    Credit of every conversion to the touchpoints of its path (int_attribution_paths), in six
    models; each conversion's credits sum to 1 in each model, and its revenue is split by the
    same credits. n = touches in the path, k = position of the touch (1 = earliest):
      first_touch     1 for k = 1
      last_touch      1 for k = n
      linear          1 / n
      time_decay      0.5 ^ (hours before the conversion / (24 * half-life days)), normalised
      position_based  n = 1: 1; n = 2: 0.5 each; else 0.4 first, 0.4 last, 0.2 / (n - 2) between
      markov          the touchpoint's removal effect, normalised over the touches of the path
    A conversion without a touch in the lookback keeps one row (touch_position 0, channel
    'none') with credit 1 in every model.
    Incremental by partition (macros/incremental.sql): the credits of the first five models
    depend only on the path, so they are kept per partition of int_attribution_paths (a
    customer) and built again when that partition's paths were. The Markov credits depend on
    the removal effects, which every path changes: they form one partition of their own,
    '(markov)', built again when any conversion path or removal effect changed.
-#}
{%- set markov_partition = '(markov)' -%}
{{ config_incremental_by_partition(
    "ref('int_attribution_paths')", '_partition_key',
    partition_expression="'case when is_conversion_path then _partition_key end'",
    whole_input_partition=markov_partition,
) }}
{%- set half_life_hours = var('cjm_attribution_half_life_days') * 24 -%}
{%- set models = [
    'first_touch', 'last_touch', 'linear', 'time_decay', 'position_based', 'markov',
] -%}
{%- set markov_key = "'" ~ markov_partition ~ "'" -%}

with

removal_effects as (

    select * from {{ ref('int_attribution_markov_removal_effects') }}

),

-- A customer's conversion paths are built together upstream and share one signature; the
-- half-life changes the time_decay credits of every partition.
upstream_signatures as (

    {{ inherited_partition_signatures(
        ref('int_attribution_paths'), '_partition_key', 'is_conversion_path'
    ) }}

),

path_signatures as (

    select
        partition_key,
        partition_signature || '/{{ half_life_hours }}' as partition_signature
    from upstream_signatures

),

markov_signature as (

    select
        {{ markov_key }} as partition_key,
        {{ partition_signature('partition_signature') }}
        || '/' || (
            select
                {{ partition_signature(row_signature(['touchpoint_id', 'removal_effect'])) }}
            from removal_effects
        ) as partition_signature
    from path_signatures
    having count(*) > 0

),

subject_signatures as (

    select
        partition_key,
        partition_signature
    from path_signatures
    union all
    select
        partition_key,
        partition_signature
    from markov_signature

),

partitions_to_build as (

    {{ partitions_to_build('subject_signatures', '_partition_key') }}

),

-- The conversion paths to credit: those of the customers to build, and every one when the
-- Markov partition is to build (a path's weights need all its touches, which one partition
-- holds). rule_signature / markov_signature: the signature to store, NULL when not built.
paths as (

    select
        paths.*,
        customer_partition.partition_signature as rule_signature,
        markov_partition.partition_signature as markov_signature
    from {{ ref('int_attribution_paths') }} as paths
    left join partitions_to_build as customer_partition
        on paths._partition_key = customer_partition.partition_key
    left join partitions_to_build as markov_partition
        on markov_partition.partition_key = {{ markov_key }}
    where
        paths.is_conversion_path
        and (
            customer_partition.partition_key is not null
            or markov_partition.partition_key is not null
        )

),

weighted as (

    select
        paths.*,
        case
            when paths.touches_in_path = 0 or paths.touch_position = 1 then 1.0 else 0.0
        end as first_touch_weight,
        case
            when paths.touch_position = paths.touches_in_path then 1.0 else 0.0
        end as last_touch_weight,
        1.0 as linear_weight,
        case
            when paths.touches_in_path = 0 then 1.0
            else power(0.5, paths.hours_before_end / {{ half_life_hours }})
        end as time_decay_weight,
        case
            when paths.touches_in_path <= 1 then 1.0
            when paths.touches_in_path = 2 then 0.5
            when paths.touch_position in (1, paths.touches_in_path) then 0.4
            else 0.2 / (paths.touches_in_path - 2)
        end as position_based_weight,
        case
            when paths.touches_in_path = 0 then 1.0
            else coalesce(removal_effects.removal_effect, 0.0)
        end as markov_weight
    from paths
    left join removal_effects
        on paths.touchpoint_id = removal_effects.touchpoint_id

),

-- Each touch with the sum of every model's weights over its path: one window for all six
-- models, and each touch then gives one row per model without joining the paths again.
path_totals as (

    select
        *,
        {% for model in models -%}
            sum({{ model }}_weight) over (partition by path_id) as {{ model }}_total
            {%- if not loop.last %},{% endif %}
        {% endfor %}
    from weighted

),

-- The weights of a path normalised to credits that sum to 1 (Markov falls back to linear
-- in the unexpected case that no touch of the path has a removal effect).
credited as (

    {% for model in models -%}
        {%- set signature = 'markov_signature' if model == 'markov' else 'rule_signature' %}
        select
            *,
            -- `model` is the column name issue 7 gives
            '{{ model }}' as model,  -- noqa: RF04
            case
                when {{ model }}_total > 0 then {{ model }}_weight / {{ model }}_total
                else 1.0 / touches_in_path
            end as credit,
            {{ markov_key if model == 'markov' else '_partition_key' }}
                as credit_partition_key,
            {{ signature }} as credit_partition_signature
        from path_totals
        where {{ signature }} is not null
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        conversion_id,
        model,
        touch_position,
        touchpoint_occurrence_id,
        touchpoint_id,
        channel,
        conversion_type,
        customer_id,
        path_end_at as converted_at,
        touches_in_path,
        occurred_at as touchpoint_occurred_at,
        cast(hours_before_end as double) as hours_before_conversion,
        cast(round(credit, 12) as double) as credit,
        conversion_revenue,
        cast(round(credit * conversion_revenue, 6) as double) as attributed_revenue,
        credit_partition_key as _partition_key,
        credit_partition_signature as _partition_signature,
        '{{ invocation_id }}' as _invocation_id
    from credited

)

select * from final
