{%- set period_grains = ['day', 'all'] -%}
{%- set top_values = 5 -%}

with

-- Web and CRM records counted per day, field value and whether a rule mapped them
-- (incremental by partition).
candidate_values as (

    select * from {{ ref('int_candidate_values_counted') }}

),

survey_responses as (

    select * from {{ ref('stg_survey__responses') }}

),

survey_responses_mapped as (

    select * from {{ ref('int_survey_responses_mapped') }}

),

-- A survey response's value is its embedded touchpoint, else its survey's name.
survey_records as (

    select
        survey_responses.response_id,
        cast(survey_responses.recorded_at as date) as seen_on,
        case
            when survey_responses.embedded_touchpoint is not null then 'embedded.touchpoint'
            else 'survey_name'
        end as field,
        coalesce(survey_responses.embedded_touchpoint, survey_responses.survey_name)
            as field_value,
        survey_responses_mapped.response_id is not null as is_mapped
    from survey_responses
    left join survey_responses_mapped
        on survey_responses.response_id = survey_responses_mapped.response_id

),

-- Records per source, day, field value and mapped or not.
flagged as (

    select
        source_system,
        seen_on,
        field,
        field_value,
        is_mapped,
        records
    from candidate_values

    union all

    select
        'survey' as source_system,
        seen_on,
        field,
        field_value,
        is_mapped,
        count(*) as records
    from survey_records
    group by seen_on, field, field_value, is_mapped

),

periods as (

    {{ rows_per_period('flagged', 'seen_on', period_grains) }}

),

counted as (

    select
        source_system,
        period_grain,
        period_start,
        cast(sum(records) as bigint) as records_seen,
        cast(sum(case when is_mapped then records else 0 end) as bigint) as records_mapped
    from periods
    group by source_system, period_grain, period_start

),

unmapped_values as (

    select
        source_system,
        period_grain,
        period_start,
        field,
        field_value,
        sum(records) as records,
        row_number() over (
            partition by source_system, period_grain, period_start
            order by sum(records) desc, field asc, field_value asc
        ) as value_rank
    from periods
    where not is_mapped
    group by source_system, period_grain, period_start, field, field_value

),

top_unmapped as (

    select
        source_system,
        period_grain,
        period_start,
        {{ dbt.listagg(
            "field || '=' || coalesce(field_value, '(empty)')"
            ~ " || ' (' || cast(records as " ~ dbt.type_string() ~ ") || ')'",
            "'; '",
            "order by value_rank"
        ) }} as top_unmapped_values
    from unmapped_values
    where value_rank <= {{ top_values }}
    group by source_system, period_grain, period_start

),

final as (

    select
        counted.source_system,
        counted.period_grain,
        counted.period_start,
        counted.records_seen,
        counted.records_mapped,
        top_unmapped.top_unmapped_values,
        counted.records_seen - counted.records_mapped as records_unmapped,
        cast(counted.records_mapped as double) / cast(counted.records_seen as double)
            as mapped_share
    from counted
    left join top_unmapped
        on
            counted.source_system = top_unmapped.source_system
            and counted.period_grain = top_unmapped.period_grain
            and counted.period_start is not distinct from top_unmapped.period_start

)

select * from final
