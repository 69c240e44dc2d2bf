-- Incremental by partition (macros/incremental.sql), the partitions of the candidates (a web
-- export day, a CRM record's day). A partition is counted again when its candidates changed or
-- the mapping built it again (a changed rule maps every partition again).
{{ config_incremental_by_partition("ref('int_touchpoint_candidates_unioned')") }}

{#- The candidates and the mapped occurrences are named in each CTE that reads them rather
    than through an import CTE: DuckDB materializes a CTE that several others read. -#}
{%- set candidates = ref('int_touchpoint_candidates_unioned') %}
{%- set touchpoints_mapped = ref('int_touchpoints_mapped') %}

with

candidate_partitions as (

    {{ partition_signatures(candidates, '_row_signature') }}

),

mapped_partitions as (

    {{ partition_signatures(touchpoints_mapped, '_invocation_id') }}

),

input_partitions as (

    select
        candidate_partitions.partition_key,
        candidate_partitions.partition_signature
        || '/'
        || coalesce(mapped_partitions.partition_signature, '') as partition_signature
    from candidate_partitions
    left join mapped_partitions
        on candidate_partitions.partition_key = mapped_partitions.partition_key

),

partitions_to_build as (

    {{ partitions_to_build('input_partitions') }}

),

-- One row per source record the rules read, with the value an analyst would write a rule
-- for: a page view's path, else the record's only field (event name, stage, case origin).
records as (

    select
        source_system,
        source_record_id,
        _partition_date,
        occurred_at as seen_at,
        field,
        field_value
    from {{ candidates }}
    where
        is_record_value
    {%- if is_incremental() %}
        and _partition_date in (
            select partitions_to_build.partition_key from partitions_to_build
        )
    {%- endif %}

),

mapped_records as (

    select
        source_system,
        source_record_id
    from {{ touchpoints_mapped }}
    {%- if is_incremental() %}
    where _partition_date in (select partitions_to_build.partition_key from partitions_to_build)
    {%- endif %}

),

counted as (

    select
        records._partition_date,
        records.source_system,
        cast(records.seen_at as date) as seen_on,
        records.field,
        records.field_value,
        mapped_records.source_record_id is not null as is_mapped,
        count(*) as records
    from records
    left join mapped_records
        on
            records.source_system = mapped_records.source_system
            and records.source_record_id = mapped_records.source_record_id
    group by
        records._partition_date,
        records.source_system,
        cast(records.seen_at as date),
        records.field,
        records.field_value,
        mapped_records.source_record_id is not null

),

final as (

    select
        counted.source_system,
        counted.seen_on,
        counted.field,
        counted.field_value,
        counted.is_mapped,
        counted.records,
        counted._partition_date,
        partitions_to_build.partition_signature as _partition_signature,
        '{{ invocation_id }}' as _invocation_id
    from counted
    inner join partitions_to_build
        on counted._partition_date = partitions_to_build.partition_key

)

select * from final
