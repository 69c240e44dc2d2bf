{#-
    Hash key over several columns (md5 through dbt's cross-database `hash` and `concat`).
    NULL is replaced by a marker so that (NULL, 'a') and ('', 'a') get different keys.
-#}
{% macro generate_surrogate_key(field_list) -%}
    {%- set fields = [] -%}
    {%- for field in field_list -%}
        {%- do fields.append(
            "coalesce(cast(" ~ field ~ " as " ~ dbt.type_string() ~ "), '_null_')"
        ) -%}
        {%- if not loop.last %}{%- do fields.append("'-'") -%}{% endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(fields)) }}
{%- endmacro %}
