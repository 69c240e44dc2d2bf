{%- set period_grains = ['day', 'all'] -%}
{%- set top_values = 5 -%}

with

candidates as (

    select * from {{ ref('int_touchpoint_candidates_unioned') }}

),

touchpoint_occurrences as (

    select * from {{ ref('int_touchpoints_mapped') }}

),

survey_responses as (

    select * from {{ ref('stg_survey__responses') }}

),

survey_responses_mapped as (

    select * from {{ ref('int_survey_responses_mapped') }}

),

-- One row per source record the rules read, with the value an analyst would write a rule
-- for: a page view's path, else the record's only field (event name, stage, case origin),
-- a survey's embedded touchpoint, else its name.
records as (

    select
        source_system,
        source_record_id,
        min(occurred_at) as seen_at,
        coalesce(max(case when field = 'page_path' then field end), min(field)) as field,
        coalesce(max(case when field = 'page_path' then field_value end), min(field_value))
            as field_value
    from candidates
    group by source_system, source_record_id

    union all

    select
        'survey' as source_system,
        response_id as source_record_id,
        recorded_at as seen_at,
        case
            when embedded_touchpoint is not null then 'embedded.touchpoint' else 'survey_name'
        end as field,
        coalesce(embedded_touchpoint, survey_name) as field_value
    from survey_responses

),

mapped_records as (

    select
        source_system,
        source_record_id
    from touchpoint_occurrences

    union all

    select
        'survey' as source_system,
        response_id as source_record_id
    from survey_responses_mapped

),

flagged as (

    select
        records.*,
        mapped_records.source_record_id is not null as is_mapped
    from records
    left join mapped_records
        on
            records.source_system = mapped_records.source_system
            and records.source_record_id = mapped_records.source_record_id

),

periods as (

    {{ rows_per_period('flagged', 'seen_at', period_grains) }}

),

counted as (

    select
        source_system,
        period_grain,
        period_start,
        count(*) as records_seen,
        count(case when is_mapped then 1 end) as records_mapped
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
        count(*) as records,
        row_number() over (
            partition by source_system, period_grain, period_start
            order by count(*) desc, field asc, field_value asc
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
