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
-#}
{%- set half_life_hours = var('cjm_attribution_half_life_days') * 24 -%}
{%- set models = [
    'first_touch', 'last_touch', 'linear', 'time_decay', 'position_based', 'markov',
] -%}

with

paths as (

    select * from {{ ref('int_attribution_paths') }}
    where is_conversion_path

),

removal_effects as (

    select * from {{ ref('int_attribution_markov_removal_effects') }}

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
        select
            *,
            -- `model` is the column name issue 7 gives
            '{{ model }}' as model,  -- noqa: RF04
            case
                when {{ model }}_total > 0 then {{ model }}_weight / {{ model }}_total
                else 1.0 / touches_in_path
            end as credit
        from path_totals
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
        cast(round(credit * conversion_revenue, 6) as double) as attributed_revenue
    from credited

)

select * from final
