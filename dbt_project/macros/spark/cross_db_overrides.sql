{#-
    dbt's cross-database macros as dbt-spark 1.11 writes them differ from DuckDB's in ways the
    marts would show; these versions (found first: the root project leads dispatch) keep the
    results equal on both engines.
-#}


{#- dbt-spark goes through unix seconds, dropping the fraction of a second (a step reached
    0.4 s after the window would count as inside it); timestampadd keeps microseconds and the
    type of its input. -#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    timestampadd({{ datepart }}, {{ interval }}, {{ from_date_or_timestamp }})
{%- endmacro %}


{#- dbt-spark ignores the order (with a warning); Spark 4 orders listagg itself. -#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- if limit_num -%}
        {{ exceptions.raise_compiler_error('listagg: limit_num is not supported on Spark') }}
    {%- endif -%}
    listagg({{ measure }}, {{ delimiter_text }})
    {%- if order_by_clause %} within group ({{ order_by_clause }}){% endif %}
{%- endmacro %}
