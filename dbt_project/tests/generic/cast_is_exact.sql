{#-
    "A test per cast": fails for every raw row whose value was present (not empty) but could
    not be read by the strict macro `cast` that the staging model uses for this column, i.e.
    for every value that staging would otherwise turn into NULL without saying so.

    Attached to the staging column; reads the raw table itself (`raw_relation`, usually
    `source(...)`), so a failure lists the export's file, row and value. `raw_value` is the raw
    column or SQL over it (GA4 parameters: "{{ ga4_event_param('event_params', 'key') }}").
    `format`, `time_zone`, `type` are passed to the macro (see read_text_as).

    `unreadable_column`: the model records such values itself, in that column (macro
    `unreadable_text` over the same `raw_value`, NULL when the value was read), beside the
    lineage of the row. The test then reads that column of the model's rows no passing build
    has tested (macro `untested_rows`) instead of the raw table: on a large incremental model
    (stg_web__events) extracting every raw value again cost more than building the model.
-#}
{% test cast_is_exact(
    model, column_name, raw_relation, raw_value, cast,
    format=none, time_zone=none, type=none, unreadable_column=none
) %}

{%- if unreadable_column is not none %}

select
    _source_file,
    _source_row,
    '{{ column_name }}' as staging_column,
    {{ unreadable_column }} as raw_value,
    '{{ cast }}' as read_with
from {{ model }}
where
    {{ unreadable_column }} is not null
    and {{ untested_rows(model) }}

{%- else %}

select
    _source_file,
    _source_row,
    '{{ column_name }}' as staging_column,
    cast({{ raw_value }} as {{ dbt.type_string() }}) as raw_value,
    '{{ cast }}' as read_with
from {{ raw_relation }}
where {{ unreadable_text(cast, raw_value, format, time_zone, type) }} is not null

{%- endif %}

{% endtest %}
