{#- Metrics that raise alerts (metric, statistic of agg_survey_metrics), scopes and grains. -#}
{%- set alert_metrics = [('nps', 'nps'), ('csat', 'top_box_share')] -%}

with

survey_metrics as (

    select * from {{ ref('agg_survey_metrics') }}

),

targets_vs_actuals as (

    select * from {{ ref('agg_kpi_target_vs_actual') }}

),

touchpoints as (

    select * from {{ ref('dim_touchpoints') }}

),

watched as (

    select * from survey_metrics
    where
        scope_type in ('touchpoint', 'phase')
        and period_grain in ('week', 'month')
        and (
            {% for metric, statistic in alert_metrics %}
                (metric = '{{ metric }}' and statistic = '{{ statistic }}')
                {% if not loop.last %}or{% endif %}
            {% endfor %}
        )

),

-- The latest period of each grain that has answers.
latest_periods as (

    select
        period_grain,
        max(period_start) as period_start
    from survey_metrics
    where period_grain in ('week', 'month')
    group by period_grain

),

latest as (

    select watched.*
    from watched
    inner join latest_periods
        on
            watched.period_grain = latest_periods.period_grain
            and watched.period_start = latest_periods.period_start

),

-- Below target: the target status is off_track, i.e. the whole interval misses the target.
below_target as (

    select
        'below_target' as alert_kind,
        latest.metric,
        latest.statistic,
        latest.scope_type,
        latest.scope_id,
        latest.period_grain,
        latest.period_start,
        latest.value,
        latest.ci_low,
        latest.ci_high,
        latest.n,
        targets_vs_actuals.target as compared_value,
        latest.value - targets_vs_actuals.target as difference,
        cast(null as double) as difference_ci_low,
        cast(null as double) as difference_ci_high,
        targets_vs_actuals.owner as target_owner
    from latest
    inner join targets_vs_actuals
        on
            latest.metric = targets_vs_actuals.kpi
            and latest.scope_type = targets_vs_actuals.scope_type
            and latest.scope_id = targets_vs_actuals.scope_id
            and latest.period_grain = targets_vs_actuals.period_grain
            and latest.period_start = targets_vs_actuals.period_start
    where targets_vs_actuals.status = 'off_track'

),

-- Below the previous period: the 95% interval of the difference (two independent periods)
-- lies below zero, and both periods have enough answers to be reported.
compared_with_previous as (

    select
        latest.*,
        previous.value as previous_value,
        previous.is_reportable as previous_is_reportable,
        latest.value - previous.value as difference,
        sqrt(power(latest.std_error, 2) + power(previous.std_error, 2)) as difference_std_error
    from latest
    inner join watched as previous
        on
            latest.metric = previous.metric
            and latest.statistic = previous.statistic
            and latest.scope_type = previous.scope_type
            and latest.scope_id = previous.scope_id
            and latest.period_grain = previous.period_grain
            and previous.period_start = case
                when latest.period_grain = 'week'
                    then cast({{ dbt.dateadd('day', -7, 'latest.period_start') }} as date)
                else cast({{ dbt.dateadd('month', -1, 'latest.period_start') }} as date)
            end

),

below_previous as (

    select
        'below_previous_period' as alert_kind,
        metric,
        statistic,
        scope_type,
        scope_id,
        period_grain,
        period_start,
        value,
        ci_low,
        ci_high,
        n,
        previous_value as compared_value,
        difference,
        difference - 1.96 * difference_std_error as difference_ci_low,
        difference + 1.96 * difference_std_error as difference_ci_high,
        cast(null as {{ dbt.type_string() }}) as target_owner
    from compared_with_previous
    where difference + 1.96 * difference_std_error < 0 and is_reportable and previous_is_reportable

),

alerts as (

    select * from below_target
    union all
    select * from below_previous

),

final as (

    select
        {{ generate_surrogate_key([
            'alerts.alert_kind', 'alerts.metric', 'alerts.scope_type', 'alerts.scope_id',
            'alerts.period_grain', 'alerts.period_start'
        ]) }} as alert_id,
        alerts.alert_kind,
        alerts.metric,
        alerts.statistic,
        alerts.scope_type,
        alerts.scope_id,
        alerts.period_grain,
        alerts.period_start,
        alerts.value,
        alerts.ci_low,
        alerts.ci_high,
        alerts.n,
        alerts.compared_value,
        alerts.difference,
        alerts.difference_ci_low,
        alerts.difference_ci_high,
        coalesce(touchpoints.owner, alerts.target_owner) as owner,
        alerts.metric || ' of ' || alerts.scope_type || ' ' || alerts.scope_id
        || ' in the ' || alerts.period_grain || ' from '
        || cast(alerts.period_start as {{ dbt.type_string() }}) || ' is '
        || cast(round(alerts.value, 1) as {{ dbt.type_string() }})
        || case
            when alerts.alert_kind = 'below_target' then ', below its target of '
            else ', significantly below the previous ' || alerts.period_grain || ' ('
        end
        || cast(round(alerts.compared_value, 1) as {{ dbt.type_string() }})
        || case when alerts.alert_kind = 'below_target' then '' else ')' end
        || ' (n = ' || cast(alerts.n as {{ dbt.type_string() }}) || ')' as message
    from alerts
    left join touchpoints
        on alerts.scope_type = 'touchpoint' and alerts.scope_id = touchpoints.touchpoint_id

)

select * from final
