-- Churn risk per customer who bought and as-of date (every month end with data, and the latest
-- day with data). Features read only what happened before the end of the as-of date; the
-- score is the logistic model of seed churn_model_coefficients, the bands and the churn
-- definition come from seed churn_settings.
{%- set features = [
    'has_detractor_answer',
    'has_repeated_support_cases',
    'has_open_support_case',
    'has_negative_comment',
    'is_web_inactive',
] %}

with

customers as (

    select * from {{ ref('dim_customers') }}

),

touchpoints as (

    select * from {{ ref('fct_touchpoints') }}

),

touchpoint_map as (

    select * from {{ ref('dim_touchpoints') }}

),

responses as (

    select * from {{ ref('fct_survey_responses') }}

),

comments as (

    select * from {{ ref('fct_survey_comments') }}

),

sessions as (

    select * from {{ ref('fct_web_sessions') }}

),

crm_records as (

    select * from {{ ref('int_crm_churn_records') }}

),

follow_ups as (

    select * from {{ ref('fct_detractor_follow_ups') }}

),

churn_settings as (

    select * from {{ ref('churn_settings') }}

),

coefficients as (

    select * from {{ ref('churn_model_coefficients') }}

),

settings as (

    select
        cast(max(case
            when setting = 'inactivity_days' then nullif(value, '')
        end) as integer) as inactivity_days,
        cast(coalesce(max(case
            when setting = 'inactive_web_days' then nullif(value, '')
        end), '21') as integer) as inactive_web_days,
        cast(coalesce(max(case
            when setting = 'repeated_cases_min' then nullif(value, '')
        end), '2') as integer) as repeated_cases_min,
        cast(coalesce(max(case
            when setting = 'medium_band_min' then nullif(value, '')
        end), '0.2') as double) as medium_band_min,
        cast(coalesce(max(case
            when setting = 'high_band_min' then nullif(value, '')
        end), '0.4') as double) as high_band_min
    from churn_settings

),

known_touchpoints as (

    select
        touchpoints.customer_id,
        touchpoints.occurred_at,
        touchpoints.touchpoint_occurrence_id,
        touchpoints.phase_id,
        touchpoint_map.owner,
        touchpoint_map.has_revenue
    from touchpoints
    inner join touchpoint_map
        on touchpoints.touchpoint_id = touchpoint_map.touchpoint_id
    inner join customers
        on touchpoints.customer_id = customers.customer_id
    where customers.is_known_contact

),

-- Month ends before the latest day with data, and the latest day itself.
latest_day as (

    select cast(max(occurred_at) as date) as latest_date from touchpoints

),

month_ends as (

    select distinct
        cast({{ dbt.dateadd(
            'day', -1, dbt.dateadd('month', 1, dbt.date_trunc('month', 'occurred_at'))
        ) }} as date) as as_of_date
    from touchpoints

),

as_of_dates as (

    select month_ends.as_of_date
    from month_ends
    cross join latest_day
    where month_ends.as_of_date < latest_day.latest_date

    union all

    select latest_date as as_of_date from latest_day

),

purchases as (

    select
        customer_id,
        min(occurred_at) as first_purchased_at
    from known_touchpoints
    where has_revenue
    group by customer_id

),

-- Customers who had bought by the end of the as-of date; as_of_at is the midnight after it.
grid as (

    select
        purchases.customer_id,
        purchases.first_purchased_at,
        as_of_dates.as_of_date,
        cast({{ dbt.dateadd('day', 1, 'as_of_dates.as_of_date') }} as timestamp) as as_of_at
    from purchases
    cross join as_of_dates
    where purchases.first_purchased_at < {{ dbt.dateadd('day', 1, 'as_of_dates.as_of_date') }}

),

answers as (

    select
        grid.customer_id,
        grid.as_of_date,
        max(case when responses.nps_category = 'detractor' then 1 else 0 end) = 1
            as has_detractor_answer
    from grid
    inner join responses
        on
            grid.customer_id = responses.customer_id
            and grid.as_of_at > responses.responded_at
            and responses.is_valid_response
    group by grid.customer_id, grid.as_of_date

),

negative_comments as (

    select
        grid.customer_id,
        grid.as_of_date,
        true as has_negative_comment
    from grid
    inner join comments
        on
            grid.customer_id = comments.customer_id
            and grid.as_of_at > comments.responded_at
            and comments.sentiment_label = 'negative'
    group by grid.customer_id, grid.as_of_date

),

support_cases as (

    select
        grid.customer_id,
        grid.as_of_date,
        count(*) as support_cases,
        max(case
            when crm_records.closed_at is null or crm_records.closed_at >= grid.as_of_at
                then 1
            else 0
        end) = 1 as has_open_support_case
    from grid
    inner join crm_records
        on
            grid.customer_id = crm_records.customer_id
            and grid.as_of_at > crm_records.occurred_at
            and crm_records.record_kind = 'case'
            and not crm_records.is_churn_event
    group by grid.customer_id, grid.as_of_date

),

web_visits as (

    select
        grid.customer_id,
        grid.as_of_date,
        max(sessions.session_started_at) as last_web_visit_at
    from grid
    inner join sessions
        on
            grid.customer_id = sessions.customer_id
            and grid.as_of_at > sessions.session_started_at
    group by grid.customer_id, grid.as_of_date

),

-- The customer's latest touchpoint before the as-of date: where they stand and who owns it
-- (an aggregate per customer and date rather than numbering every touchpoint before it).
last_touchpoint_found as (

    select
        grid.customer_id,
        grid.as_of_date,
        {{ last_by(
            named_struct(['occurred_at', 'phase_id', 'owner']),
            ['known_touchpoints.occurred_at', 'known_touchpoints.touchpoint_occurrence_id'],
        ) }} as last_touchpoint
    from grid
    inner join known_touchpoints
        on
            grid.customer_id = known_touchpoints.customer_id
            and grid.as_of_at > known_touchpoints.occurred_at
    group by grid.customer_id, grid.as_of_date

),

last_touchpoints as (

    -- last_touchpoint is a struct: its fields are not table references (RF03)
    select
        customer_id,
        as_of_date,
        last_touchpoint.occurred_at as last_touchpoint_at,  -- noqa: RF03
        last_touchpoint.phase_id,  -- noqa: RF03
        last_touchpoint.owner  -- noqa: RF03
    from last_touchpoint_found

),

churn_events as (

    select
        grid.customer_id,
        grid.as_of_date,
        crm_records.occurred_at as churn_event_at,
        crm_records.churn_event_type
    from grid
    inner join crm_records
        on
            grid.customer_id = crm_records.customer_id
            and grid.as_of_at > crm_records.occurred_at
            and crm_records.is_churn_event
    qualify row_number() over (
        partition by grid.customer_id, grid.as_of_date
        order by crm_records.occurred_at, crm_records.record_id
    ) = 1

),

open_follow_ups as (

    select
        grid.customer_id,
        grid.as_of_date,
        true as has_open_follow_up
    from grid
    inner join follow_ups
        on
            grid.customer_id = follow_ups.customer_id
            and grid.as_of_at > follow_ups.responded_at
            and follow_ups.status in ('open', 'in_progress')
    group by grid.customer_id, grid.as_of_date

),

features as (

    select
        grid.customer_id,
        grid.as_of_date,
        grid.as_of_at,
        grid.first_purchased_at,
        customers.persona_id,
        last_touchpoints.phase_id,
        last_touchpoints.owner,
        last_touchpoints.last_touchpoint_at,
        coalesce(support_cases.support_cases, 0) as support_cases,
        {{ hours_between('web_visits.last_web_visit_at', 'grid.as_of_at') }} / 24.0
            as days_since_last_web_visit,
        coalesce(answers.has_detractor_answer, false) as has_detractor_answer,
        coalesce(support_cases.support_cases, 0) >= settings.repeated_cases_min
            as has_repeated_support_cases,
        coalesce(support_cases.has_open_support_case, false) as has_open_support_case,
        coalesce(negative_comments.has_negative_comment, false) as has_negative_comment,
        coalesce(
            {{ hours_between('web_visits.last_web_visit_at', 'grid.as_of_at') }}
            >= 24.0 * settings.inactive_web_days,
            true
        ) as is_web_inactive,
        coalesce(open_follow_ups.has_open_follow_up, false) as has_open_follow_up,
        churn_events.churn_event_at,
        churn_events.churn_event_type,
        case
            when
                settings.inactivity_days is not null
                and last_touchpoints.last_touchpoint_at
                < {{ dbt.dateadd('day', '-settings.inactivity_days', 'grid.as_of_at') }}
                then {{ dbt.dateadd(
                    'day', 'settings.inactivity_days', 'last_touchpoints.last_touchpoint_at'
                ) }}
        end as inactive_since_at,
        settings.medium_band_min,
        settings.high_band_min
    from grid
    cross join settings
    inner join customers
        on grid.customer_id = customers.customer_id
    left join answers
        on grid.customer_id = answers.customer_id and grid.as_of_date = answers.as_of_date
    left join negative_comments
        on
            grid.customer_id = negative_comments.customer_id
            and grid.as_of_date = negative_comments.as_of_date
    left join support_cases
        on
            grid.customer_id = support_cases.customer_id
            and grid.as_of_date = support_cases.as_of_date
    left join web_visits
        on grid.customer_id = web_visits.customer_id and grid.as_of_date = web_visits.as_of_date
    left join last_touchpoints
        on
            grid.customer_id = last_touchpoints.customer_id
            and grid.as_of_date = last_touchpoints.as_of_date
    left join churn_events
        on
            grid.customer_id = churn_events.customer_id
            and grid.as_of_date = churn_events.as_of_date
    left join open_follow_ups
        on
            grid.customer_id = open_follow_ups.customer_id
            and grid.as_of_date = open_follow_ups.as_of_date

),

-- One row per customer, as-of date and feature: what the feature adds to the log-odds.
contributions as (

    {%- for feature in features %}

        select
            features.customer_id,
            features.as_of_date,
            '{{ feature }}' as feature,
            coefficients.reason,
            case
                when features.{{ feature }} then coefficients.coefficient else 0.0
            end as contribution
        from features
        inner join coefficients
            on coefficients.feature = '{{ feature }}'
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

ranked_reasons as (

    select
        customer_id,
        as_of_date,
        reason,
        row_number() over (
            partition by customer_id, as_of_date
            order by contribution desc, feature asc
        ) as reason_rank
    from contributions
    where contribution > 0

),

log_odds as (

    select
        customer_id,
        as_of_date,
        -- summed exactly: a sum of doubles depends on the order rows arrive in, and a run must
        -- give the same scores as any other run on the same data
        cast(sum(cast(contribution as decimal(38, 12))) as double) as feature_log_odds
    from contributions
    group by customer_id, as_of_date

),

reasons as (

    select
        customer_id,
        as_of_date,
        max(case when reason_rank = 1 then reason end) as top_reason_1,
        max(case when reason_rank = 2 then reason end) as top_reason_2,
        max(case when reason_rank = 3 then reason end) as top_reason_3
    from ranked_reasons
    group by customer_id, as_of_date

),

intercept as (

    select coalesce(max(coefficient), 0.0) as intercept
    from coefficients
    where feature = 'intercept'

),

scored as (

    select
        features.*,
        cast(1.0 / (1.0 + exp(-(
            intercept.intercept + coalesce(log_odds.feature_log_odds, 0.0)
        ))) as double) as risk_score,
        reasons.top_reason_1,
        reasons.top_reason_2,
        reasons.top_reason_3
    from features
    cross join intercept
    left join log_odds
        on
            features.customer_id = log_odds.customer_id
            and features.as_of_date = log_odds.as_of_date
    left join reasons
        on
            features.customer_id = reasons.customer_id
            and features.as_of_date = reasons.as_of_date

),

final as (

    select
        scored.customer_id,
        scored.as_of_date,
        scored.persona_id,
        scored.phase_id,
        scored.owner,
        scored.first_purchased_at,
        scored.last_touchpoint_at,
        cast(scored.support_cases as bigint) as support_cases,
        cast(scored.days_since_last_web_visit as double) as days_since_last_web_visit,
        scored.has_detractor_answer,
        scored.has_repeated_support_cases,
        scored.has_open_support_case,
        scored.has_negative_comment,
        scored.is_web_inactive,
        scored.risk_score,
        scored.top_reason_1,
        scored.top_reason_2,
        scored.top_reason_3,
        scored.has_open_follow_up,
        scored.as_of_date = latest_day.latest_date as is_latest,
        case
            when scored.risk_score >= scored.high_band_min then 'high'
            when scored.risk_score >= scored.medium_band_min then 'medium'
            else 'low'
        end as risk_band,
        coalesce(
            concat_ws('; ', scored.top_reason_1, scored.top_reason_2, scored.top_reason_3), ''
        ) as top_reasons,
        coalesce(
            scored.churn_event_at is not null or scored.inactive_since_at is not null, false
        ) as is_churned,
        case
            when scored.churn_event_at is null then scored.inactive_since_at
            when scored.inactive_since_at is null then scored.churn_event_at
            else least(scored.churn_event_at, scored.inactive_since_at)
        end as churned_at,
        case
            when
                scored.churn_event_at is not null
                and (
                    scored.inactive_since_at is null
                    or scored.churn_event_at <= scored.inactive_since_at
                )
                then scored.churn_event_type
            when scored.inactive_since_at is not null then 'inactivity'
        end as churn_reason
    from scored
    cross join latest_day

)

select * from final
