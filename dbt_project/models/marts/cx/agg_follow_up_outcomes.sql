{#- Groupings: per owner and touchpoint, per owner, and overall ('all' where not grouped). -#}
{%- set groupings = [
    ('owner', "coalesce(touchpoint_id, 'none')"),
    ('owner', "'all'"),
    ("'all'", "'all'"),
] -%}

with

follow_ups as (

    select * from {{ ref('fct_detractor_follow_ups') }}

),

grouped as (

    {% for owner_expression, touchpoint_expression in groupings %}
        select
            {{ owner_expression }} as owner,
            {{ touchpoint_expression }} as touchpoint_id,
            count(*) as follow_ups,
            count(case when is_closed then 1 end) as closed,
            count(case when status = 'unreachable' then 1 end) as unreachable,
            count(case when status in ('open', 'in_progress') then 1 end) as still_open,
            count(case when is_closed_within_service_level then 1 end)
                as closed_within_service_level,
            {{ percentile_cont('hours_to_close', 0.5) }} as median_hours_to_close,
            count(nps_score_after) as answers_after,
            count(case when nps_score_after >= 9 then 1 end) as promoters_after,
            count(case when nps_score_after <= 6 then 1 end) as detractors_after
        from follow_ups
        group by {{ owner_expression }}, {{ touchpoint_expression }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        owner,
        touchpoint_id,
        follow_ups,
        closed,
        unreachable,
        still_open,
        closed_within_service_level,
        median_hours_to_close,
        answers_after,
        cast(closed as double) / cast(follow_ups as double) as closed_share,
        cast(closed_within_service_level as double)
        / cast(follow_ups as double) as closed_within_service_level_share,
        {{ nps('promoters_after', 'detractors_after', 'answers_after') }} as nps_after,
        {{ nps_adjusted_wald_bound(
            'promoters_after', 'detractors_after', 'answers_after', 'low'
        ) }} as nps_after_ci_low,
        {{ nps_adjusted_wald_bound(
            'promoters_after', 'detractors_after', 'answers_after', 'high'
        ) }} as nps_after_ci_high
    from grouped

)

select * from final
