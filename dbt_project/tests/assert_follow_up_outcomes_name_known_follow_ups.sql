{{ config(severity=var('cjm_warning_severity', 'warn')) }}
-- An outcome file names a follow-up the warehouse never handed out (a typo in the ticketing
-- tool, an outcome meant for another warehouse): the outcome closes nothing. Warns with each
-- such outcome, its file and row.
with

outcomes as (

    select * from {{ ref('stg_followups__outcomes') }}

),

follow_ups as (

    select * from {{ ref('fct_detractor_follow_ups') }}

)

select
    outcomes.follow_up_id,
    outcomes._source_file,
    outcomes._source_row
from outcomes
left join follow_ups
    on outcomes.follow_up_id = follow_ups.follow_up_id
where follow_ups.follow_up_id is null
