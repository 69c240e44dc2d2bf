{#-
    Personal data stays in staging and intermediate: fails with every text value in a mart
    that looks like an e-mail address. Free text written by respondents (the survey comment)
    is not checked. A new mart must be added to `marts` below.
-#}
{{ config(meta={'dagster': {'ref': {'name': 'dim_customers'}}}) }}
{#- attached to dim_customers so Dagster shows it as an asset check (it reads every mart) -#}

{%- set marts = [
    'dim_customers', 'dim_journeys', 'dim_phases', 'dim_touchpoints', 'fct_touchpoints',
    'fct_web_sessions', 'fct_survey_responses', 'fct_journey_phases', 'agg_nps',
    'agg_phase_funnel',
] -%}
{%- set free_text_columns = ['fct_survey_responses.comment'] -%}

{% for mart in marts -%}
-- depends_on: {{ ref(mart) }}
{% endfor %}

{%- set checks = [] -%}
{%- if execute -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.name in marts -%}
            {%- for column in node.columns.values() -%}
                {%- if column.data_type | lower in ('varchar', 'string', 'text')
                    and (node.name ~ '.' ~ column.name) not in free_text_columns -%}
                    {%- do checks.append({
                        'model': node.name, 'column': column.name, 'relation': ref(node.name)
                    }) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif %}

{% for check in checks -%}
select
    '{{ check.model }}' as model_name,
    '{{ check.column }}' as column_name,
    cast({{ check.column }} as {{ dbt.type_string() }}) as column_value
from {{ check.relation }}
where {{ check.column }} like '%_@_%._%'
{% if not loop.last %}union all{% endif %}
{% else -%}
select
    cast(null as {{ dbt.type_string() }}) as model_name,
    cast(null as {{ dbt.type_string() }}) as column_name,
    cast(null as {{ dbt.type_string() }}) as column_value
where 1 = 0
{% endfor %}
