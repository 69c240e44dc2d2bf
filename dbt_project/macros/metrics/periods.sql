{#-
    Every row of `relation` once per period grain in `grains` ('day', 'week', 'month',
    'quarter', 'all'), with `period_grain` and `period_start` (the first day of the period of
    `time_column`, weeks from Monday; NULL for 'all') in front of the relation's columns.
    The metric marts aggregate the result by period.
-#}
{% macro rows_per_period(relation, time_column, grains) -%}
    {% for grain in grains %}
        select
            '{{ grain }}' as period_grain,
            {% if grain == 'all' -%}
                cast(null as date)
            {%- else -%}
                cast({{ dbt.date_trunc(grain, time_column) }} as date)
            {%- endif %} as period_start,
            {{ relation }}.*
        from {{ relation }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
{%- endmacro %}
