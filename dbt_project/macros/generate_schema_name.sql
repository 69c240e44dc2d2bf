{#-
    Use the folder's schema (`staging`, `intermediate`, `marts`, `journey_map`) exactly as
    configured, instead of dbt's default `<target_schema>_<custom_schema>`. Models without a
    configured schema land in the target schema.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
