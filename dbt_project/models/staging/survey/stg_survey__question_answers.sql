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
-- a row naming the survey wins over '*' for the same metric. Chosen once per survey present
-- (a few rows) rather than per response: at a million customers, ranking every response's
-- candidate questions took most of this model's time. The raw table is named here rather than
-- read through `source` (DuckDB would hold an import CTE read twice in memory).
questions_per_survey as (

    select
        surveys.survey_name,
        survey_questions.question_key,
        survey_questions.metric,
        survey_questions.scale_min,
        survey_questions.scale_max,
        survey_questions.top_box_min,
        survey_questions.higher_is_better
    from (
        select distinct survey_name from {{ source('survey', 'survey_responses') }}
    ) as surveys
    inner join survey_questions
        on
            surveys.survey_name = survey_questions.survey_name
            or survey_questions.survey_name = '*'
    qualify row_number() over (
        partition by surveys.survey_name, survey_questions.metric
        order by case when survey_questions.survey_name = '*' then 1 else 0 end
    ) = 1

),

questions_per_response as (

    select
        source.response_id,
        source.survey_name,
        questions_per_survey.question_key,
        questions_per_survey.metric,
        questions_per_survey.scale_min,
        questions_per_survey.scale_max,
        questions_per_survey.top_box_min,
        questions_per_survey.higher_is_better,
        {{ json_extract_text_at('source.answers_json', 'questions_per_survey.question_key') }}
            as answer_text,
        source._load_id,
        source._source_file,
        source._source_row,
        source._loaded_at
    from source
    inner join questions_per_survey
        on source.survey_name = questions_per_survey.survey_name

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

),

-- The answer of the response's latest load (as stg_survey__responses keeps it); a question the
-- latest copy leaves empty (or does not have) is not answered.
latest as (

    {{ latest_loaded_copy('renamed', 'response_id, metric') }}

)

select * from latest
where nullif(trim(answer_text), '') is not null
