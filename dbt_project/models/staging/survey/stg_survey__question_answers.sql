-- Stored, not a view like the other staging models: every answer is read out of its response's
-- JSON, and two models and three data tests read the result (as a view each of them extracted
-- the answers again: at a million customers about 6 s each).
{{ config(materialized='table') }}

with

source as (

    select * from {{ source('survey', 'survey_responses') }}

),

survey_questions as (

    select * from {{ ref('survey_questions') }}

),

-- A question row of the seed applies to the survey it names; '*' applies to every survey, and
-- a row naming the survey wins over '*' for the same metric.
questions_per_response as (

    select
        source.response_id,
        source.survey_name,
        survey_questions.question_key,
        survey_questions.metric,
        survey_questions.scale_min,
        survey_questions.scale_max,
        survey_questions.top_box_min,
        survey_questions.higher_is_better,
        {{ json_extract_text_at('source.answers_json', 'survey_questions.question_key') }}
            as answer_text,
        source._load_id,
        source._source_file,
        source._source_row,
        source._loaded_at,
        row_number() over (
            partition by
                source.response_id,
                source._load_id,
                source._source_row,
                survey_questions.metric
            order by case when survey_questions.survey_name = '*' then 1 else 0 end
        ) as question_rank
    from source
    inner join survey_questions
        on
            source.survey_name = survey_questions.survey_name
            or survey_questions.survey_name = '*'

),

renamed as (

    select
        ----------  ids
        response_id,
        survey_name,
        question_key,
        metric,

        ----------  text
        answer_text,

        ----------  numbers (whole numbers only: '4.5' is NULL here and fails cast_is_exact)
        {{ text_to_integer('answer_text') }} as score,
        scale_min,
        scale_max,
        top_box_min,

        ----------  booleans
        higher_is_better,

        ----------  lineage
        _load_id,
        _source_file,
        _source_row,
        _loaded_at

    from questions_per_response
    where question_rank = 1

),

-- The answer of the response's latest load (as stg_survey__responses keeps it); a question the
-- latest copy leaves empty (or does not have) is not answered.
latest as (

    {{ latest_loaded_copy('renamed', 'response_id, metric') }}

)

select * from latest
where nullif(trim(answer_text), '') is not null
