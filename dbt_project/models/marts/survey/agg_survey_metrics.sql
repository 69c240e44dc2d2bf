{#- Scope types and the fct_survey_responses column that holds each scope's id. -#}
{%- set scopes = {
    'overall': "'all'",
    'journey': 'journey_id',
    'phase': 'phase_id',
    'touchpoint': 'touchpoint_id',
    'channel': 'channel',
    'persona': 'persona_id',
    'survey': 'survey_name',
} -%}
{%- set period_grains = ['day', 'week', 'month', 'quarter', 'all'] -%}

with

responses as (

    select * from {{ ref('fct_survey_responses') }}

),

question_answers as (

    select * from {{ ref('stg_survey__question_answers') }}

),

metric_settings as (

    select * from {{ ref('metric_settings') }}

),

valid_responses as (

    select * from responses
    where is_valid_response

),

-- One row per valid response and metric it answered: NPS from the NPS question, CSAT and CES
-- from the questions the seed `survey_questions` names (with their scale).
observations as (

    select
        survey_response_id,
        'nps' as metric,
        nps_score as score,
        nps_category,
        cast(null as boolean) as is_top_box,
        0 as scale_min,
        10 as scale_max,
        true as higher_is_better
    from valid_responses
    where nps_category is not null

    union all

    select
        valid_responses.survey_response_id,
        question_answers.metric,
        question_answers.score,
        cast(null as {{ dbt.type_string() }}) as nps_category,
        question_answers.score >= question_answers.top_box_min as is_top_box,
        question_answers.scale_min,
        question_answers.scale_max,
        question_answers.higher_is_better
    from valid_responses
    inner join question_answers
        on valid_responses.survey_response_id = question_answers.response_id
    where question_answers.score is not null

),

-- Each observation counts once in every scope its response belongs to ...
scoped as (

    {% for scope_type, scope_column in scopes.items() %}
        select
            '{{ scope_type }}' as scope_type,
            cast({{ scope_column }} as {{ dbt.type_string() }}) as scope_id,
            valid_responses.responded_at,
            observations.*
        from observations
        inner join valid_responses
            on observations.survey_response_id = valid_responses.survey_response_id
        where {{ scope_column }} is not null
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

-- ... and once per period grain; the grain 'all' has no period (period_start NULL).
periods as (

    {{ rows_per_period('scoped', 'responded_at', period_grains) }}

),

counted as (

    select
        metric,
        scope_type,
        scope_id,
        period_grain,
        period_start,
        count(*) as n,
        count(case when nps_category = 'promoter' then 1 end) as promoters,
        count(case when nps_category = 'detractor' then 1 end) as detractors,
        count(case when is_top_box then 1 end) as top_box,
        -- from whole-number sums, so that the result does not depend on the order in which
        -- parallel threads add (a float average can differ in the last bit between runs)
        sum(score) as score_sum,
        sum(score * score) as score_square_sum,
        min(scale_min) as scale_min,
        max(scale_max) as scale_max,
        bool_and(higher_is_better) as higher_is_better
    from periods
    group by metric, scope_type, scope_id, period_grain, period_start

),

moments as (

    select
        *,
        cast(score_sum as double) / cast(n as double) as score_mean,
        {{ stddev_from_sums('score_sum', 'score_square_sum', 'n') }} as score_stddev
    from counted

),

-- The statistics: NPS with the adjusted-Wald interval; CSAT as the share of top-box answers
-- (in %, Wilson interval) and as a mean; CES as a mean (t intervals).
statistics as (

    select
        *,
        'nps' as statistic,
        {{ nps('promoters', 'detractors', 'n') }} as value,
        {{ nps_adjusted_wald_bound('promoters', 'detractors', 'n', 'low') }} as ci_low,
        {{ nps_adjusted_wald_bound('promoters', 'detractors', 'n', 'high') }} as ci_high,
        sqrt({{ nps_variance('promoters', 'detractors', 'n') }} / cast(n as double))
            as std_error,
        'adjusted_wald' as interval_method
    from moments
    where metric = 'nps'

    union all

    select
        *,
        'top_box_share' as statistic,
        100.0 * cast(top_box as double) / cast(n as double) as value,
        100.0 * {{ wilson_bound('top_box', 'n', 'low') }} as ci_low,
        100.0 * {{ wilson_bound('top_box', 'n', 'high') }} as ci_high,
        100.0 * sqrt(
            cast(top_box as double) / cast(n as double)
            * (1.0 - cast(top_box as double) / cast(n as double))
            / cast(n as double)
        ) as std_error,
        'wilson' as interval_method
    from moments
    where metric = 'csat'

    union all

    select
        *,
        'mean' as statistic,
        score_mean as value,
        {{ mean_t_bound('score_mean', 'score_stddev', 'n', 'low') }} as ci_low,
        {{ mean_t_bound('score_mean', 'score_stddev', 'n', 'high') }} as ci_high,
        score_stddev / sqrt(cast(n as double)) as std_error,
        't' as interval_method
    from moments
    where metric in ('csat', 'ces')

),

final as (

    select
        statistics.metric,
        statistics.statistic,
        statistics.scope_type,
        statistics.scope_id,
        statistics.period_grain,
        statistics.period_start,
        statistics.n,
        statistics.value,
        statistics.ci_low,
        statistics.ci_high,
        statistics.std_error,
        statistics.interval_method,
        statistics.scale_min,
        statistics.scale_max,
        statistics.higher_is_better,
        metric_settings.min_reportable_n,
        coalesce(statistics.n >= metric_settings.min_reportable_n, false) as is_reportable
    from statistics
    left join metric_settings
        on statistics.metric = metric_settings.metric

)

select * from final
