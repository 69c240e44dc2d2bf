{%- set period_grains = ['day', 'week', 'month', 'all'] -%}

with

responses as (

    select * from {{ ref('fct_survey_responses') }}

),

valid_responses as (

    select * from responses
    where is_valid_response and nps_category is not null

),

-- Each response counts once in every scope it belongs to: overall, and the journey, phase,
-- touchpoint and channel of the touchpoint it rates (when it rates one).
scoped as (

    select
        'overall' as scope_type,
        'all' as scope_id,
        responded_at,
        nps_category
    from valid_responses

    union all

    select
        'journey' as scope_type,
        journey_id as scope_id,
        responded_at,
        nps_category
    from valid_responses
    where journey_id is not null

    union all

    select
        'phase' as scope_type,
        phase_id as scope_id,
        responded_at,
        nps_category
    from valid_responses
    where phase_id is not null

    union all

    select
        'touchpoint' as scope_type,
        touchpoint_id as scope_id,
        responded_at,
        nps_category
    from valid_responses
    where touchpoint_id is not null

    union all

    select
        'channel' as scope_type,
        channel as scope_id,
        responded_at,
        nps_category
    from valid_responses
    where channel is not null

),

-- ... and once per period grain; the grain 'all' has no period (period_start NULL).
periods as (

    {{ rows_per_period('scoped', 'responded_at', period_grains) }}

),

counted as (

    select
        period_grain,
        period_start,
        scope_type,
        scope_id,
        count(case when nps_category = 'promoter' then 1 end) as promoters,
        count(case when nps_category = 'passive' then 1 end) as passives,
        count(case when nps_category = 'detractor' then 1 end) as detractors,
        count(*) as responses
    from periods
    group by period_grain, period_start, scope_type, scope_id

),

final as (

    select
        period_grain,
        period_start,
        scope_type,
        scope_id,
        responses,
        promoters,
        passives,
        detractors,
        {{ nps('promoters', 'detractors', 'responses') }} as nps,
        {{ nps_adjusted_wald_bound('promoters', 'detractors', 'responses', 'low') }}
            as nps_ci_low,
        {{ nps_adjusted_wald_bound('promoters', 'detractors', 'responses', 'high') }}
            as nps_ci_high
    from counted

)

select * from final
