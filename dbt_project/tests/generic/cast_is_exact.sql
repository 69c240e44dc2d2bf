{#-
    "A test per cast": fails for every raw row whose value was present (not empty) but could
    not be read by the strict macro `cast` that the staging model uses for this column, i.e.
    for every value that staging would otherwise turn into NULL without saying so.

    Attached to the staging column; reads the raw table itself (`raw_relation`, usually
    `source(...)`), so a failure lists the export's file, row and value. `raw_value` is the raw
    column or SQL over it (GA4 parameters: "{{ ga4_event_param('event_params', 'key') }}").
    `format`, `time_zone`, `type` are passed to the macro (see read_text_as).

    On an incremental model, `raw_partition` (SQL over the raw row giving its partition, the
    model's `_partition_date`) limits the test to the raw rows of the partitions that hold rows
    no passing build has tested yet (macro `untested_rows`): a partition is rebuilt, and so
    tested again, whenever its raw rows change, and the raw rows of every other partition were
    tested by the build that wrote it.
-#}
{% test cast_is_exact(
    model, column_name, raw_relation, raw_value, cast,
    format=none, time_zone=none, type=none, raw_partition=none
) %}

select
    _source_file,
    _source_row,
    '{{ column_name }}' as staging_column,
    cast({{ raw_value }} as {{ dbt.type_string() }}) as raw_value,
    '{{ cast }}' as read_with
from {{ raw_relation }}
where
    {%- if raw_partition is not none %}
    -- a CASE, so that the value is read only in the untested partitions: as separate
    -- conditions the database may read every raw row's value before the partition filter
    case
        when {{ raw_partition }} in (
            select untested._partition_date
            from {{ model }} as untested
            where {{ untested_rows(model) }}
        )
            then
                nullif({{ trimmed_text(raw_value) }}, '') is not null
                and {{ read_text_as(cast, raw_value, format, time_zone, type) }} is null
        else false
    end
    {%- else %}
    nullif({{ trimmed_text(raw_value) }}, '') is not null
    and {{ read_text_as(cast, raw_value, format, time_zone, type) }} is null
    {%- endif %}

{% endtest %}
