{#-
    Engine-specific timestamp handling. Each macro dispatches, so another engine (dbt-spark is
    the planned scale-out target) only needs a `<adapter>__` version; the DuckDB SQL is the
    default. All results are TIMESTAMP values in UTC without a time zone.
-#}

{#- Microseconds since the Unix epoch (GA4 `event_timestamp`, text or integer) to UTC. -#}
{% macro epoch_microseconds_to_timestamp(column) -%}
    {{ return(adapter.dispatch('epoch_microseconds_to_timestamp', 'customer_journey')(column)) }}
{%- endmacro %}

{% macro default__epoch_microseconds_to_timestamp(column) -%}
    make_timestamp(cast({{ column }} as bigint))
{%- endmacro %}


{#- Local wall-clock time (TIMESTAMP) in the IANA zone `time_zone` (column or literal) to UTC. -#}
{% macro local_to_utc_timestamp(column, time_zone) -%}
    {{ return(adapter.dispatch('local_to_utc_timestamp', 'customer_journey')(column, time_zone)) }}
{%- endmacro %}

{% macro default__local_to_utc_timestamp(column, time_zone) -%}
    timezone('UTC', timezone({{ time_zone }}, cast({{ column }} as timestamp)))
{%- endmacro %}


{#- ISO 8601 text with an offset or `Z` (Salesforce `2006-06-15T20:47:07.000Z`) to UTC. -#}
{% macro iso_timestamp_to_utc(column) -%}
    {{ return(adapter.dispatch('iso_timestamp_to_utc', 'customer_journey')(column)) }}
{%- endmacro %}

{% macro default__iso_timestamp_to_utc(column) -%}
    timezone('UTC', cast({{ column }} as timestamptz))
{%- endmacro %}


{#- Date text in a strftime `format` (GA4 `event_date` is '%Y%m%d') to DATE. -#}
{% macro parse_date(column, format) -%}
    {{ return(adapter.dispatch('parse_date', 'customer_journey')(column, format)) }}
{%- endmacro %}

{% macro default__parse_date(column, format) -%}
    cast(strptime({{ column }}, '{{ format }}') as date)
{%- endmacro %}


{#-
    Seconds from `start_column` to `end_column` as DOUBLE with microsecond precision;
    negative when the end lies before the start.
-#}
{% macro seconds_between(start_column, end_column) -%}
    {{ return(adapter.dispatch('seconds_between', 'customer_journey')(start_column, end_column)) }}
{%- endmacro %}

{% macro default__seconds_between(start_column, end_column) -%}
    (cast(date_diff('microsecond', {{ start_column }}, {{ end_column }}) as double) / 1000000.0)
{%- endmacro %}


{#- Hours from `start_column` to `end_column` as DOUBLE: seconds / 3600.0. -#}
{% macro hours_between(start_column, end_column) -%}
    ({{ seconds_between(start_column, end_column) }} / 3600.0)
{%- endmacro %}
