{#- Continuous percentile (linear interpolation) of `column`, `fraction` in [0, 1]. -#}
{% macro percentile_cont(column, fraction) -%}
    {{ return(adapter.dispatch('percentile_cont', 'customer_journey')(column, fraction)) }}
{%- endmacro %}

{% macro default__percentile_cont(column, fraction) -%}
    quantile_cont({{ column }}, {{ fraction }})
{%- endmacro %}

{% macro spark__percentile_cont(column, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ column }})
{%- endmacro %}


{#-
    Aggregate: `value` of the group's row that comes first when ordered by `order_columns`
    (ascending, in turn; NULL values kept). An aggregate rather than numbering every row with
    row_number() and keeping the first: a hash aggregate, no sort.
-#}
{% macro first_by(value, order_columns) -%}
    {{ return(adapter.dispatch('first_by', 'customer_journey')(value, order_columns)) }}
{%- endmacro %}

{% macro default__first_by(value, order_columns) -%}
    arg_min_null({{ value }}, {{ named_struct(order_columns) }})
{%- endmacro %}

{#- Spark orders a NULL struct field first, DuckDB last: each field is preceded by whether it
    is NULL, so both engines pick the same row. -#}
{% macro spark__first_by(value, order_columns) -%}
    min_by({{ value }}, named_struct(
        {%- for column in order_columns %}
        'null_{{ loop.index }}', {{ column }} is null, 'value_{{ loop.index }}', {{ column }}
        {{- "," if not loop.last }}
        {%- endfor %}
    ))
{%- endmacro %}


{#-
    Aggregate: `value` of the group's row that comes last when ordered by `order_columns`
    (ascending, in turn; a NULL orders before any value), the row `row_number() over (order by
    ... desc nulls last) = 1` keeps. Each field is preceded by whether it is set, so that both
    engines order a NULL the same way (first).
-#}
{% macro last_by(value, order_columns) -%}
    {{ return(adapter.dispatch('last_by', 'customer_journey')(value, order_columns)) }}
{%- endmacro %}

{% macro default__last_by(value, order_columns) -%}
    arg_max_null({{ value }}, struct_pack(
        {%- for column in order_columns %}
        set_{{ loop.index }} := {{ column }} is not null, value_{{ loop.index }} := {{ column }}
        {{- "," if not loop.last }}
        {%- endfor %}
    ))
{%- endmacro %}

{% macro spark__last_by(value, order_columns) -%}
    max_by({{ value }}, named_struct(
        {%- for column in order_columns %}
        'set_{{ loop.index }}', {{ column }} is not null, 'value_{{ loop.index }}', {{ column }}
        {{- "," if not loop.last }}
        {%- endfor %}
    ))
{%- endmacro %}
