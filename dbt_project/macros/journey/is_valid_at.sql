{#-
    True when a version of the journey map (a row with `valid_from` / `valid_to` dates, empty
    for an open end) is valid at the timestamp `at`: valid_from inclusive, valid_to exclusive,
    both at midnight UTC. All three arguments are SQL expressions.
-#}
{% macro is_valid_at(valid_from, valid_to, at) -%}
    ({{ valid_from }} is null or {{ at }} >= cast({{ valid_from }} as timestamp))
            and ({{ valid_to }} is null or {{ at }} < cast({{ valid_to }} as timestamp))
{%- endmacro %}

{#-
    True when a version (`valid_from` / `valid_to` dates, empty for an open end) is valid for
    the whole of a map version that starts on `map_valid_from` (a date, NULL for the beginning
    of time). Map versions are the periods between consecutive days on which any version of
    the journey map starts or ends, so a version valid on the first day of one is valid on all
    of its days. All arguments are SQL expressions.
-#}
{% macro covers_map_version(valid_from, valid_to, map_valid_from) -%}
    ({{ valid_from }} is null
            or ({{ map_valid_from }} is not null and {{ valid_from }} <= {{ map_valid_from }}))
        and ({{ valid_to }} is null
            or {{ map_valid_from }} is null
            or {{ valid_to }} > {{ map_valid_from }})
{%- endmacro %}
