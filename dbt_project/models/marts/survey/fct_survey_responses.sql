with

responses as (

    select * from {{ ref('stg_survey__responses') }}

),

responses_identified as (

    select * from {{ ref('int_survey_responses_identified') }}

),

responses_mapped as (

    select * from {{ ref('int_survey_responses_mapped') }}

),

map_versions as (

    select * from {{ ref('dim_journey_map_versions') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

question_answers as (

    select * from {{ ref('stg_survey__question_answers') }}

),

-- CSAT and CES answers of each response, from the questions seed `survey_questions` names.
rating_scores as (

    select
        response_id,
        max(case when metric = 'csat' then score end) as csat_score,
        max(case when metric = 'ces' then score end) as ces_score,
        bool_or(case when metric = 'csat' then score >= top_box_min end) as is_csat_top_box
    from question_answers
    group by response_id

),

-- Every response stays (previews and unfinished ones too); metrics use is_valid_response.
final as (

    select
        responses.response_id as survey_response_id,
        responses.survey_name,
        responses_identified.customer_id,
        responses_identified.identified_by,
        responses_mapped.touchpoint_id,
        map_versions.phase_id,
        map_versions.journey_id,
        map_versions.channel,
        responses_mapped.rule_id,
        responses_mapped.rule_valid_from,
        map_versions.touchpoint_valid_from,
        map_versions.phase_valid_from,
        responses.nps_score,
        responses.nps_category,
        rating_scores.csat_score,
        responses.comment,
        responses.recorded_at as responded_at,
        cast(responses.recorded_at as date) as responded_date,
        responses.started_at,
        responses.is_preview,
        responses.is_finished,
        responses.is_valid_response,
        responses.distribution_channel,
        responses.user_language,
        responses.source_timezone,
        rating_scores.ces_score,
        customers.persona_id,
        rating_scores.is_csat_top_box
    from responses
    left join responses_identified
        on responses.response_id = responses_identified.response_id
    left join responses_mapped
        on responses.response_id = responses_mapped.response_id
    -- the map version valid when the response was recorded
    left join map_versions
        on
            responses_mapped.touchpoint_id = map_versions.touchpoint_id
            and {{ is_valid_at(
                'map_versions.map_valid_from',
                'map_versions.map_valid_to',
                'responses.recorded_at',
            ) }}
    left join rating_scores
        on responses.response_id = rating_scores.response_id
    left join customers
        on responses_identified.customer_id = customers.customer_id

)

select * from final
