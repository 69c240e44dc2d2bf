-- The closed loop for churn risk: a customer in the high band on the latest day who has not
-- churned and has no open follow-up (fct_detractor_follow_ups) gets one follow-up per month,
-- handed to the ticketing tool with the detractor follow-ups (orchestration/outbox.py).
with

churn_risk as (

    select * from {{ ref('fct_customer_churn_risk') }}

),

service_levels as (

    select * from {{ ref('follow_up_service_levels') }}

),

churn_service_level as (

    select max(hours_to_follow_up) as hours_to_follow_up
    from service_levels
    where trigger_reason = 'churn_risk' and touchpoint_id = '*'

),

due as (

    select
        *,
        cast({{ dbt.dateadd('day', 1, 'churn_risk.as_of_date') }} as timestamp) as scored_at
    from churn_risk
    where
        is_latest
        and risk_band = 'high'
        and not is_churned
        and not has_open_follow_up

),

final as (

    select
        'fu_churn_' || due.customer_id || '_'
        || substring(cast(due.as_of_date as {{ dbt.type_string() }}), 1, 7) as follow_up_id,
        cast(null as {{ dbt.type_string() }}) as survey_response_id,
        due.customer_id,
        cast(null as {{ dbt.type_string() }}) as touchpoint_id,
        due.phase_id,
        coalesce(due.owner, 'Customer Experience') as owner,
        'churn_risk' as trigger_reason,
        cast(null as integer) as nps_score,
        cast(null as integer) as csat_score,
        'churn risk ' || cast(round(due.risk_score, 2) as {{ dbt.type_string() }})
        || ': ' || due.top_reasons as comment,  -- noqa: RF04
        due.risk_score,
        due.as_of_date,
        due.scored_at as responded_at,
        churn_service_level.hours_to_follow_up,
        {{ dbt.dateadd(
            'hour', 'coalesce(churn_service_level.hours_to_follow_up, 72)', 'due.scored_at'
        ) }} as due_at
    from due
    cross join churn_service_level

)

select * from final
