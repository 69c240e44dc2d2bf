{#- How each survey KPI of seed kpi_targets reads agg_survey_metrics. -#}
{%- set survey_kpis = {'nps': 'nps', 'csat': 'top_box_share', 'ces': 'mean'} -%}

with

targets as (

    select * from {{ ref('kpi_targets') }}

),

survey_metrics as (

    select * from {{ ref('agg_survey_metrics') }}

),

journey_phases as (

    select * from {{ ref('fct_journey_phases') }}

),

metric_settings as (

    select * from {{ ref('metric_settings') }}

),

-- Survey KPIs: NPS, CSAT as the share of top-box answers (%), CES as the mean answer.
survey_actuals as (

    {% for kpi, statistic in survey_kpis.items() %}
        select
            '{{ kpi }}' as kpi,
            scope_type,
            scope_id,
            period_grain,
            period_start,
            value as actual,
            ci_low,
            ci_high,
            n
        from survey_metrics
        where metric = '{{ kpi }}' and statistic = '{{ statistic }}'
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

-- Hours to the next phase in order, for the distribution-free interval of the median: the
-- values at ranks floor(n/2 - 0.98 sqrt(n)) and ceil(1 + n/2 + 0.98 sqrt(n)) (Conover).
ranked_hours as (

    select
        phase_id,
        hours_to_next_phase,
        row_number() over (
            partition by phase_id order by hours_to_next_phase
        ) as hours_rank,
        count(*) over (partition by phase_id) as hours_n
    from journey_phases
    where hours_to_next_phase is not null

),

median_intervals as (

    select
        phase_id,
        max(
            case
                when hours_rank = greatest(1, floor(hours_n / 2.0 - 0.98 * sqrt(hours_n)))
                    then hours_to_next_phase
            end
        ) as median_hours_ci_low,
        max(
            case
                when hours_rank = least(hours_n, ceil(1 + hours_n / 2.0 + 0.98 * sqrt(hours_n)))
                    then hours_to_next_phase
            end
        ) as median_hours_ci_high
    from ranked_hours
    group by phase_id

),

phase_counts as (

    select
        journey_phases.phase_id,
        count(*) as customers_entered,
        count(case when journey_phases.has_reached_next_phase then 1 end)
            as customers_reached_next,
        count(journey_phases.hours_to_next_phase) as customers_with_hours,
        {{ percentile_cont('journey_phases.hours_to_next_phase', 0.5) }} as median_hours,
        max(median_intervals.median_hours_ci_low) as median_hours_ci_low,
        max(median_intervals.median_hours_ci_high) as median_hours_ci_high,
        bool_or(journey_phases.next_phase_id is not null) as has_next_phase
    from journey_phases
    left join median_intervals
        on journey_phases.phase_id = median_intervals.phase_id
    group by journey_phases.phase_id

),

-- Funnel KPIs over all time, per phase (as agg_phase_funnel): conversion with its Wilson
-- interval, median hours with the order-statistic interval.
funnel_actuals as (

    select
        'conversion_to_next' as kpi,
        'phase' as scope_type,
        phase_id as scope_id,
        'all' as period_grain,
        cast(null as date) as period_start,
        cast(customers_reached_next as double) / cast(customers_entered as double) as actual,
        {{ wilson_bound('customers_reached_next', 'customers_entered', 'low') }} as ci_low,
        {{ wilson_bound('customers_reached_next', 'customers_entered', 'high') }} as ci_high,
        customers_entered as n
    from phase_counts
    where has_next_phase

    union all

    select
        'median_hours_to_next' as kpi,
        'phase' as scope_type,
        phase_id as scope_id,
        'all' as period_grain,
        cast(null as date) as period_start,
        median_hours as actual,
        median_hours_ci_low as ci_low,
        median_hours_ci_high as ci_high,
        customers_with_hours as n
    from phase_counts
    where customers_with_hours > 0

),

actuals as (

    select * from survey_actuals
    union all
    select * from funnel_actuals

),

-- A target applies to the periods that start within its validity; the grain `all` (no
-- period) takes the targets still valid today.
matched as (

    select
        targets.kpi,
        targets.scope_type,
        targets.scope_id,
        targets.period_grain,
        actuals.period_start,
        targets.target,
        targets.direction,
        actuals.actual,
        actuals.ci_low,
        actuals.ci_high,
        actuals.n,
        metric_settings.min_reportable_n,
        targets.owner,
        targets.valid_from,
        targets.valid_to
    from targets
    inner join actuals
        on
            targets.kpi = actuals.kpi
            and targets.scope_type = actuals.scope_type
            and targets.scope_id = actuals.scope_id
            and targets.period_grain = actuals.period_grain
    left join metric_settings
        on targets.kpi = metric_settings.metric
    where
        case
            when actuals.period_start is null
                then targets.valid_to is null or targets.valid_to >= current_date
            else
                actuals.period_start >= targets.valid_from
                and (targets.valid_to is null or actuals.period_start <= targets.valid_to)
        end

),

-- on_track: the actual meets the target. off_track: the whole interval misses it (not noise).
-- at_risk: the actual misses it but the interval still reaches it.
final as (

    select
        kpi,
        scope_type,
        scope_id,
        period_grain,
        period_start,
        target,
        direction,
        actual,
        ci_low,
        ci_high,
        n,
        min_reportable_n,
        owner,
        valid_from,
        valid_to,
        actual - target as gap,
        coalesce(n >= min_reportable_n, false) as is_reportable,
        case
            when not coalesce(n >= min_reportable_n, false) then 'insufficient_data'
            when direction = 'higher_is_better' and actual >= target then 'on_track'
            when direction = 'lower_is_better' and actual <= target then 'on_track'
            when direction = 'higher_is_better' and ci_high < target then 'off_track'
            when direction = 'lower_is_better' and ci_low > target then 'off_track'
            else 'at_risk'
        end as status
    from matched

)

select * from final
