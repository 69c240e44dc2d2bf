{#- Text 'true'/'false' (also 't'/'f', '1'/'0', 'yes'/'no', any case) to boolean; else NULL. -#}
{% macro to_boolean(column) -%}
    case
        when lower(trim({{ column }})) in ('true', 't', '1', 'yes', 'y') then true
        when lower(trim({{ column }})) in ('false', 'f', '0', 'no', 'n') then false
    end
{%- endmacro %}

{#- GA4 placeholders for an unknown value ('(not set)', '<Other>', '') become NULL. -#}
{% macro nullif_placeholder(column) -%}
    case
        when trim({{ column }}) not in ('', '(not set)', '<Other>') then {{ column }}
    end
{%- endmacro %}
