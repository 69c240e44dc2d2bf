{#-
    Fails for every column in `columns` that holds a NULL, with the number of NULL rows: the
    not_null checks of a whole model in one scan (one test per column scanned the model once
    per column, and cost dbt a test node each).
-#}
{% test not_null_columns(model, columns) %}

with null_counts as (
    select
        {%- for column in columns %}
        sum(case when {{ column }} is null then 1 else 0 end) as nulls_{{ loop.index }}
        {{- "," if not loop.last }}
        {%- endfor %}
    from {{ model }}
)

{% for column in columns -%}
select
    '{{ column }}' as column_name,
    nulls_{{ loop.index }} as null_rows
from null_counts
where nulls_{{ loop.index }} > 0
{% if not loop.last %}union all
{% endif %}
{%- endfor %}

{% endtest %}
