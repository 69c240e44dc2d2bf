-- Every question of a metric in seed survey_questions uses the same scale and direction:
-- agg_survey_metrics averages answers across surveys, and a 1-5 CES next to a 1-7 CES would
-- give a mean that means nothing. Fails with every metric that mixes scales.
with

survey_questions as (

    select * from {{ ref('survey_questions') }}

),

scales as (

    select
        metric,
        count(distinct scale_min) as scale_mins,
        count(distinct scale_max) as scale_maxes,
        count(distinct top_box_min) as top_box_mins,
        count(distinct higher_is_better) as directions
    from survey_questions
    group by metric

)

select * from scales
where scale_mins > 1 or scale_maxes > 1 or top_box_mins > 1 or directions > 1
