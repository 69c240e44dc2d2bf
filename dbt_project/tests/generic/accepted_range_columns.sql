{#-
    The accepted ranges of several columns of a model in one dbt test: fails with one row per
    (column, value) outside its range, with the number of rows holding it. `columns`: a mapping
    column name -> {min_value, max_value, inclusive} as for `accepted_range` (either bound may
    be left out; `inclusive` defaults to true). NULLs pass. One node instead of one
    `accepted_range` test per column; each branch reads only its column.
-#}
{% test accepted_range_columns(model, columns) %}

{% for column, bounds in columns.items() -%}
    {%- set inclusive = bounds.get('inclusive', true) -%}
select
    '{{ column }}' as column_name,
    cast({{ column }} as {{ dbt.type_string() }}) as value_out_of_range,
    count(*) as rows_with_value
from {{ model }}
where
    {{ column }} is not null
    and not (
        1 = 1
        {%- if bounds.get('min_value') is not none %}
            and {{ column }} {{ '>=' if inclusive else '>' }} {{ bounds['min_value'] }}
        {%- endif %}
        {%- if bounds.get('max_value') is not none %}
            and {{ column }} {{ '<=' if inclusive else '<' }} {{ bounds['max_value'] }}
        {%- endif %}
    )
group by {{ column }}
{% if not loop.last %}union all
{% endif %}
{%- endfor %}

{% endtest %}
