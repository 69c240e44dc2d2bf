{#-
    The accepted values of several columns of a model in one dbt test: fails with one row per
    (column, value) outside its list, with the number of rows holding it. `columns`: a mapping
    column name -> list of accepted text values. NULLs pass (a `not_null_columns` test covers
    them). One node instead of one `accepted_values` test per column: each branch reads only its
    column, so the model's columns are still read once.
-#}
{% test accepted_values_columns(model, columns) %}

{% for column, values in columns.items() -%}
select
    '{{ column }}' as column_name,
    cast({{ column }} as {{ dbt.type_string() }}) as unexpected_value,
    count(*) as rows_with_value
from {{ model }}
where
    {{ column }} is not null
    and cast({{ column }} as {{ dbt.type_string() }}) not in (
        {%- for value in values %}
        '{{ value | replace("'", "''") }}'{{ "," if not loop.last }}
        {%- endfor %}
    )
group by {{ column }}
{% if not loop.last %}union all
{% endif %}
{%- endfor %}

{% endtest %}
