{#-
    True when a touchpoint rule matches a field value. `match_type` is 'equals' (exact,
    case-sensitive), 'prefix' or 'regex' (search; anchor the pattern with ^ and $). All three
    arguments are SQL expressions (usually columns of the rules seed and of the candidates).
    Regular expressions are engine-specific, hence `regex_matches`.
-#}
{% macro rule_matches(match_type, pattern, value) -%}
    case {{ match_type }}
        when 'equals' then {{ value }} = {{ pattern }}
        when 'prefix' then {{ starts_with(value, pattern) }}
        when 'regex' then {{ regex_matches(value, pattern) }}
        else false
    end
{%- endmacro %}
