{#-
    The emotion lane of the journey map: per journey, metric and period, the touchpoints in
    journey order (phase_order, then touchpoint_order) with their value, n and 95% interval,
    and the dips. NPS and CSAT come from agg_survey_metrics (one home per formula); the mean
    comment sentiment from fct_survey_comments with the same t interval agg_survey_metrics
    uses for means. A touchpoint is compared with its neighbours: the previous and the next
    touchpoint of the journey that have a value for the same metric and period.
-#}
{%- set period_grains = ['week', 'month', 'quarter', 'all'] -%}

with

survey_metrics as (

    select * from {{ ref('agg_survey_metrics') }}

),

comments as (

    select * from {{ ref('fct_survey_comments') }}

),

touchpoints as (

    select * from {{ ref('dim_touchpoints') }}

),

metric_settings as (

    select * from {{ ref('metric_settings') }}

),

nps_and_csat as (

    select
        case when statistic = 'nps' then 'nps' else 'csat' end as metric,
        scope_id as touchpoint_id,
        period_grain,
        period_start,
        n,
        value,
        ci_low,
        ci_high,
        std_error,
        is_reportable
    from survey_metrics
    where
        scope_type = 'touchpoint'
        and statistic in ('nps', 'top_box_share')
        -- the grains of the curve: every grain of agg_survey_metrics but day
        and period_grain != 'day'

),

scored_comments as (

    select
        touchpoint_id,
        responded_at,
        sentiment_score
    from comments
    where touchpoint_id is not null and sentiment_score is not null

),

comment_periods as (

    {{ rows_per_period('scored_comments', 'responded_at', period_grains) }}

),

-- Sums of the scores as decimals (6 places), so that the result does not depend on the order
-- in which parallel threads add (a float average can differ in the last bit between runs).
sentiment_sums as (

    select
        touchpoint_id,
        period_grain,
        period_start,
        count(*) as n,
        sum(cast(sentiment_score as decimal(18, 6))) as score_sum,
        sum(
            cast(sentiment_score as decimal(18, 6)) * cast(sentiment_score as decimal(18, 6))
        ) as score_square_sum
    from comment_periods
    group by touchpoint_id, period_grain, period_start

),

sentiment_moments as (

    select
        touchpoint_id,
        period_grain,
        period_start,
        n,
        cast(score_sum as double) / cast(n as double) as score_mean,
        {{ stddev_from_sums('score_sum', 'score_square_sum', 'n') }} as score_stddev
    from sentiment_sums

),

sentiment as (

    select
        'sentiment' as metric,
        sentiment_moments.touchpoint_id,
        sentiment_moments.period_grain,
        sentiment_moments.period_start,
        sentiment_moments.n,
        cast(sentiment_moments.score_mean as double) as value,
        {{ mean_t_bound('sentiment_moments.score_mean', 'sentiment_moments.score_stddev',
            'sentiment_moments.n', 'low') }} as ci_low,
        {{ mean_t_bound('sentiment_moments.score_mean', 'sentiment_moments.score_stddev',
            'sentiment_moments.n', 'high') }} as ci_high,
        sentiment_moments.score_stddev / sqrt(cast(sentiment_moments.n as double))
            as std_error,
        coalesce(sentiment_moments.n >= metric_settings.min_reportable_n, false)
            as is_reportable
    from sentiment_moments
    left join metric_settings
        on metric_settings.metric = 'sentiment'

),

points as (

    select * from nps_and_csat
    union all
    select * from sentiment

),

-- Journey order; a touchpoint's neighbours are the adjacent points of the same curve.
ordered as (

    select
        points.*,
        touchpoints.journey_id,
        touchpoints.phase_id,
        touchpoints.phase_order,
        touchpoints.touchpoint_order,
        cast(row_number() over (
            partition by
                touchpoints.journey_id, points.metric, points.period_grain, points.period_start
            order by
                touchpoints.phase_order, touchpoints.touchpoint_order, points.touchpoint_id
        ) as bigint) as curve_position
    from points
    inner join touchpoints
        on points.touchpoint_id = touchpoints.touchpoint_id

),

neighboured as (

    select
        *,
        lag(touchpoint_id) over curve as previous_touchpoint_id,
        lag(value) over curve as previous_value,
        lag(std_error) over curve as previous_std_error,
        lead(touchpoint_id) over curve as next_touchpoint_id,
        lead(value) over curve as next_value,
        lead(std_error) over curve as next_std_error
    from ordered
    window curve as (
        partition by journey_id, metric, period_grain, period_start
        order by curve_position
    )

),

-- z of "this point is below its neighbour": the difference over the standard error of two
-- independent estimates.
tested as (

    select
        *,
        (previous_value - value)
        / nullif(sqrt(previous_std_error * previous_std_error + std_error * std_error), 0)
            as z_below_previous,
        (next_value - value)
        / nullif(sqrt(next_std_error * next_std_error + std_error * std_error), 0)
            as z_below_next
    from neighboured

),

final as (

    select
        journey_id,
        metric,
        period_grain,
        period_start,
        curve_position,
        touchpoint_id,
        phase_id,
        phase_order,
        touchpoint_order,
        n,
        value,
        ci_low,
        ci_high,
        std_error,
        is_reportable,
        previous_touchpoint_id,
        previous_value,
        next_touchpoint_id,
        next_value,
        z_below_previous,
        z_below_next,
        coalesce(z_below_previous > 1.96 and z_below_next > 1.96, false) as is_dip
    from tested

)

select * from final
