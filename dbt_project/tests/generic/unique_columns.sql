{#-
    Several single-column keys of a model in one dbt test: fails with one row per (column,
    value) that occurs more than once, with its number of rows. `columns`: a list of column
    names, each unique on its own (NULLs are not counted, like dbt's `unique`). One node
    instead of one `unique` test per column; each branch reads only its column.
-#}
{% test unique_columns(model, columns) %}

{% for column in columns -%}
select
    '{{ column }}' as column_name,
    cast({{ column }} as {{ dbt.type_string() }}) as duplicated_value,
    count(*) as occurrences
from {{ model }}
where {{ column }} is not null
group by {{ column }}
having count(*) > 1
{% if not loop.last %}union all
{% endif %}
{%- endfor %}

{% endtest %}
