with

responses as (

    select * from {{ ref('fct_survey_responses') }}

),

touchpoints as (

    select * from {{ ref('dim_touchpoints') }}

),

service_levels as (

    select * from {{ ref('follow_up_service_levels') }}

),

outcomes as (

    select * from {{ ref('stg_followups__outcomes') }}

),

-- Every valid detractor answer, and every CSAT of 1-2 from a customer who is not a detractor.
unhappy as (

    select
        *,
        case
            when nps_category = 'detractor' then 'detractor'
            else 'low_csat'
        end as trigger_reason
    from responses
    where is_valid_response and (nps_category = 'detractor' or csat_score <= 2)

),

-- The service level of the touchpoint wins over the one for any touchpoint ('*').
with_service_level as (

    select
        unhappy.*,
        service_levels.hours_to_follow_up,
        row_number() over (
            partition by unhappy.survey_response_id
            order by case when service_levels.touchpoint_id = '*' then 1 else 0 end
        ) as service_level_rank
    from unhappy
    left join service_levels
        on
            unhappy.trigger_reason = service_levels.trigger_reason
            and (
                unhappy.touchpoint_id = service_levels.touchpoint_id
                or service_levels.touchpoint_id = '*'
            )

),

-- The customer's next valid NPS answer after the follow-up was closed.
later_answers as (

    select
        with_service_level.survey_response_id,
        later.nps_score as nps_score_after,
        later.responded_at as responded_after_at,
        row_number() over (
            partition by with_service_level.survey_response_id
            order by later.responded_at, later.survey_response_id
        ) as answer_rank
    from with_service_level
    inner join outcomes
        on 'fu_' || with_service_level.survey_response_id = outcomes.follow_up_id
    inner join responses as later
        on
            with_service_level.customer_id = later.customer_id
            and outcomes.closed_at < later.responded_at
            and later.is_valid_response
            and later.nps_score is not null
    where with_service_level.service_level_rank = 1

),

final as (

    select
        'fu_' || with_service_level.survey_response_id as follow_up_id,
        with_service_level.survey_response_id,
        with_service_level.customer_id,
        with_service_level.touchpoint_id,
        with_service_level.phase_id,
        with_service_level.journey_id,
        coalesce(touchpoints.owner, 'Customer Experience') as owner,
        with_service_level.trigger_reason,
        with_service_level.nps_score,
        with_service_level.csat_score,
        with_service_level.comment,
        with_service_level.responded_at,
        with_service_level.hours_to_follow_up,
        {{ dbt.dateadd(
            'hour', 'with_service_level.hours_to_follow_up', 'with_service_level.responded_at'
        ) }} as due_at,
        outcomes.resolution,
        outcomes.closed_at,
        later_answers.nps_score_after,
        later_answers.responded_after_at,
        coalesce(outcomes.status, 'open') as status,
        coalesce(outcomes.status, 'open') = 'closed' as is_closed,
        {{ hours_between('with_service_level.responded_at', 'outcomes.closed_at') }}
            as hours_to_close,
        coalesce(
            outcomes.status = 'closed'
            and {{ hours_between('with_service_level.responded_at', 'outcomes.closed_at') }}
            <= with_service_level.hours_to_follow_up,
            false
        ) as is_closed_within_service_level
    from with_service_level
    left join touchpoints
        on with_service_level.touchpoint_id = touchpoints.touchpoint_id
    left join outcomes
        on 'fu_' || with_service_level.survey_response_id = outcomes.follow_up_id
    left join later_answers
        on
            with_service_level.survey_response_id = later_answers.survey_response_id
            and later_answers.answer_rank = 1
    where with_service_level.service_level_rank = 1

)

select * from final
