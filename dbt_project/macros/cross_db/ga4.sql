{#-
    Value of the GA4 `event_params` entry with key `key`, as text: the first non-NULL of
    string_value, int_value, double_value, float_value (GA4 puts each parameter in one of
    them; our raw layer keeps them all as text). NULL when the key is absent.
-#}
{% macro ga4_event_param(params_column, key) -%}
    {{ return(adapter.dispatch('ga4_event_param', 'customer_journey')(params_column, key)) }}
{%- endmacro %}

{% macro default__ga4_event_param(params_column, key) -%}
    list_extract(
        list_transform(
            list_filter({{ params_column }}, lambda param: param.key = '{{ key }}'),
            lambda param: coalesce(
                param.value.string_value,
                param.value.int_value,
                param.value.double_value,
                param.value.float_value
            )
        ),
        1
    )
{%- endmacro %}

{% macro spark__ga4_event_param(params_column, key) -%}
    element_at(
        transform(
            filter({{ params_column }}, param -> param.key = '{{ key }}'),
            param -> coalesce(
                param.value.string_value,
                param.value.int_value,
                param.value.double_value,
                param.value.float_value
            )
        ),
        1
    )
{%- endmacro %}
