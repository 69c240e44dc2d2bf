{#-
    Engine-specific timestamp handling. Each macro dispatches, so another engine (dbt-spark is
    the planned scale-out target) only needs a `<adapter>__` version; the DuckDB SQL is the
    default. All results are TIMESTAMP values in UTC without a time zone.
-#}

{#-
    Microseconds since the Unix epoch (GA4 `event_timestamp`, text or integer) to UTC; NULL
    when the value is not a whole number (strict_casts.sql) or lies beyond the timestamp range.
-#}
{% macro epoch_microseconds_to_timestamp(column) -%}
    {{ return(adapter.dispatch('epoch_microseconds_to_timestamp', 'customer_journey')(column)) }}
{%- endmacro %}

{% macro default__epoch_microseconds_to_timestamp(column) -%}
    try(make_timestamp({{ text_to_integer(column, 'bigint') }}))
{%- endmacro %}

{% macro spark__epoch_microseconds_to_timestamp(column) -%}
    case
        when {{ text_to_integer(column, 'bigint') }}
            between -62135596800000000 and 253402300799999999
            then cast(timestamp_micros({{ text_to_integer(column, 'bigint') }}) as timestamp_ntz)
    end
{%- endmacro %}


{#-
    Local wall-clock time ('YYYY-MM-DD[ HH:MM[:SS[.f]]]', text or TIMESTAMP) in the IANA zone
    `time_zone` (column or literal) to UTC. A value that names its own offset ('Z', '+0000',
    '+01:00') is converted with that offset instead; anything else gives NULL (strict_casts.sql).
-#}
{% macro local_to_utc_timestamp(column, time_zone) -%}
    {{ return(adapter.dispatch('local_to_utc_timestamp', 'customer_journey')(column, time_zone)) }}
{%- endmacro %}

{% macro default__local_to_utc_timestamp(column, time_zone) -%}
    case
        when regexp_full_match(
            {{ trimmed_text(column) }},
            '{{ strict_pattern("datetime") ~ strict_pattern("zone") }}'
        )
            then timezone('UTC', try_cast({{ trimmed_text(column) }} as timestamptz))
        when regexp_full_match({{ trimmed_text(column) }}, '{{ strict_pattern("datetime") }}')
            then timezone(
                'UTC', timezone({{ time_zone }}, try_cast({{ trimmed_text(column) }} as timestamp))
            )
    end
{%- endmacro %}

{#- Spark: text with an offset is read as an instant (timestamp_ltz, shown in the session's
    UTC), text without one as wall-clock time in `time_zone`; the result has no time zone. -#}
{% macro spark__local_to_utc_timestamp(column, time_zone) -%}
    case
        when {{ regex_full_match(trimmed_text(column), strict_pattern("datetime") ~ strict_pattern("zone")) }}
            then cast(try_cast({{ trimmed_text(column) }} as timestamp_ltz) as timestamp_ntz)
        when {{ regex_full_match(trimmed_text(column), strict_pattern("datetime")) }}
            then cast(
                to_utc_timestamp(try_cast({{ trimmed_text(column) }} as timestamp_ntz), {{ time_zone }})
                as timestamp_ntz
            )
    end
{%- endmacro %}


{#-
    ISO 8601 text with an offset or `Z` (Salesforce `2006-06-15T20:47:07.000Z`, `+0000`) to
    UTC; without an offset the value is taken as UTC. Anything else gives NULL (strict_casts.sql).
-#}
{% macro iso_timestamp_to_utc(column) -%}
    {{ return(adapter.dispatch('iso_timestamp_to_utc', 'customer_journey')(column)) }}
{%- endmacro %}

{% macro default__iso_timestamp_to_utc(column) -%}
    case
        when regexp_full_match(
            {{ trimmed_text(column) }},
            '{{ strict_pattern("datetime") ~ "(" ~ strict_pattern("zone") ~ ")?" }}'
        )
            then timezone('UTC', try_cast({{ trimmed_text(column) }} as timestamptz))
    end
{%- endmacro %}

{% macro spark__iso_timestamp_to_utc(column) -%}
    case
        when {{ regex_full_match(
            trimmed_text(column),
            strict_pattern("datetime") ~ "(" ~ strict_pattern("zone") ~ ")?"
        ) }}
            then cast(try_cast({{ trimmed_text(column) }} as timestamp_ltz) as timestamp_ntz)
    end
{%- endmacro %}


{#-
    Date text in a strftime `format` (GA4 `event_date` is '%Y%m%d') to DATE; NULL unless the
    whole text has exactly that shape (%Y four digits, %m and %d two) and is a real date.
-#}
{% macro parse_date(column, format) -%}
    {{ return(adapter.dispatch('parse_date', 'customer_journey')(column, format)) }}
{%- endmacro %}

{% macro default__parse_date(column, format) -%}
    {%- set shape = format | replace('%Y', '[0-9]{4}') | replace('%m', '[0-9]{2}')
        | replace('%d', '[0-9]{2}') -%}
    case
        when regexp_full_match({{ trimmed_text(column) }}, '{{ shape }}')
            then cast(try_strptime({{ trimmed_text(column) }}, '{{ format }}') as date)
    end
{%- endmacro %}

{#- Spark: the strftime format as a Spark datetime pattern (%Y -> yyyy, %m -> MM, %d -> dd). -#}
{% macro spark__parse_date(column, format) -%}
    {%- set shape = format | replace('%Y', '[0-9]{4}') | replace('%m', '[0-9]{2}')
        | replace('%d', '[0-9]{2}') -%}
    {%- set pattern = format | replace('%Y', 'yyyy') | replace('%m', 'MM') | replace('%d', 'dd') -%}
    case
        when {{ regex_full_match(trimmed_text(column), shape) }}
            then to_date({{ trimmed_text(column) }}, '{{ pattern }}')
    end
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

{% macro spark__seconds_between(start_column, end_column) -%}
    (cast(timestampdiff(MICROSECOND, {{ start_column }}, {{ end_column }}) as double) / 1000000.0)
{%- endmacro %}


{#- Hours from `start_column` to `end_column` as DOUBLE: seconds / 3600.0. -#}
{% macro hours_between(start_column, end_column) -%}
    ({{ seconds_between(start_column, end_column) }} / 3600.0)
{%- endmacro %}
