{#-
    True when a version of the journey map (a row with `valid_from` / `valid_to` dates, empty
    for an open end) is valid at the timestamp `at`: valid_from inclusive, valid_to exclusive,
    both at midnight UTC. All three arguments are SQL expressions.
-#}
{% macro is_valid_at(valid_from, valid_to, at) -%}
    ({{ valid_from }} is null or {{ at }} >= cast({{ valid_from }} as timestamp))
            and ({{ valid_to }} is null or {{ at }} < cast({{ valid_to }} as timestamp))
{%- endmacro %}
