{#-
    Strict reading of raw text into typed values. Raw tables keep every value as exported
    (text); staging reads them only through these macros (and those in timestamps.sql and
    cleaning.sql, which follow the same rule), never through a bare `cast`:

    - a value that is exactly a value of the type is read without changing it;
    - anything else (`7.5` as an integer, `0x10`, `1,5`, `inf`, `2023-1-5`, `2023121`) gives
      NULL, never a rounded or guessed value. DuckDB's own casts would read '7.5' as 8;
    - spaces around a value are ignored; a value of only spaces is empty (NULL).

    Every such read in staging has a `cast_is_exact` test (tests/generic/cast_is_exact.sql)
    that fails when raw held a non-empty value the macro could not read, so a NULL in staging
    always means "empty in the export". The Great Expectations suites use the same patterns
    (orchestration/quality/gx_suites.py) and quarantine such rows before dbt runs.
-#}

{#- Whole-text patterns (POSIX classes only, so they port to any regex engine). -#}
{% macro strict_pattern(kind) -%}
    {%- set date = '[0-9]{4}-[0-9]{2}-[0-9]{2}' -%}
    {%- set patterns = {
        'integer': '-?[0-9]+(\\.0+)?',
        'number': '[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?',
        'date': date,
        'datetime': date ~ '([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,9})?)?)?',
        'zone': ' ?(Z|[+-][0-9]{2}(:?[0-9]{2})?)',
    } -%}
    {{- return(patterns[kind]) -}}
{%- endmacro %}


{#- A text expression trimmed of surrounding spaces (any input type is first made text). -#}
{% macro trimmed_text(column) -%}
    trim(cast({{ column }} as {{ dbt.type_string() }}))
{%- endmacro %}


{#-
    A whole number of SQL type `type` (integer, bigint, smallint), or NULL: '8', ' 8 ', '-3'
    and '8.0' (a zero fraction loses nothing) are read; '7.5', '1e1', '+8', '0x10', 'abc'
    and numbers beyond the type's range are not.
-#}
{% macro text_to_integer(column, type='integer') -%}
    {{ return(adapter.dispatch('text_to_integer', 'customer_journey')(column, type)) }}
{%- endmacro %}

{% macro default__text_to_integer(column, type) -%}
    case
        when regexp_full_match({{ trimmed_text(column) }}, '{{ strict_pattern("integer") }}')
            then try_cast(regexp_extract({{ trimmed_text(column) }}, '^-?[0-9]+') as {{ type }})
    end
{%- endmacro %}

{% macro spark__text_to_integer(column, type) -%}
    case
        when {{ regex_full_match(trimmed_text(column), strict_pattern("integer")) }}
            then try_cast(regexp_extract({{ trimmed_text(column) }}, '^-?[0-9]+', 0) as {{ type }})
    end
{%- endmacro %}


{#-
    A finite decimal number as DOUBLE, or NULL: '500000.0', '-2.5', '.5', '1e3' are read;
    '1,5' (decimal comma), 'inf', 'nan', '1e400', '12 EUR' are not.
-#}
{% macro text_to_double(column) -%}
    {{ return(adapter.dispatch('text_to_double', 'customer_journey')(column)) }}
{%- endmacro %}

{% macro default__text_to_double(column) -%}
    case
        when
            regexp_full_match({{ trimmed_text(column) }}, '{{ strict_pattern("number") }}')
            and isfinite(try_cast({{ trimmed_text(column) }} as double))
            then try_cast({{ trimmed_text(column) }} as double)
    end
{%- endmacro %}

{% macro spark__text_to_double(column) -%}
    case
        when
            {{ regex_full_match(trimmed_text(column), strict_pattern("number")) }}
            and abs(try_cast({{ trimmed_text(column) }} as double)) < double('Infinity')
            then try_cast({{ trimmed_text(column) }} as double)
    end
{%- endmacro %}


{#-
    The raw text of `column` when it is present (not empty, not only spaces) and the strict
    macro `cast` cannot read it; otherwise NULL. What the `cast_is_exact` test looks for: in
    the raw table, or recorded by the staging model itself in an `_unreadable_<column>` column
    (stg_web__events), so that the test reads that one, almost always NULL, column instead of
    extracting every raw value again.
-#}
{% macro unreadable_text(cast, column, format=none, time_zone=none, type=none) -%}
    case
        when
            nullif({{ trimmed_text(column) }}, '') is not null
            and {{ read_text_as(cast, column, format, time_zone, type) }} is null
            then cast({{ column }} as {{ dbt.type_string() }})
    end
{%- endmacro %}


{#-
    The read (strict) macro named `cast`, applied to the SQL expression `column`: the same
    SQL a staging model uses, for the `cast_is_exact` test. `format` is parse_date's format,
    `time_zone` local_to_utc_timestamp's zone, `type` text_to_integer's type.
-#}
{% macro read_text_as(cast, column, format=none, time_zone=none, type=none) -%}
    {%- if cast == 'text_to_integer' -%}
        {{ text_to_integer(column, type or 'integer') }}
    {%- elif cast == 'text_to_double' -%}
        {{ text_to_double(column) }}
    {%- elif cast == 'parse_date' -%}
        {{ parse_date(column, format or '%Y-%m-%d') }}
    {%- elif cast == 'to_boolean' -%}
        {{ to_boolean(column) }}
    {%- elif cast == 'iso_timestamp_to_utc' -%}
        {{ iso_timestamp_to_utc(column) }}
    {%- elif cast == 'local_to_utc_timestamp' -%}
        {{ local_to_utc_timestamp(column, time_zone or "'UTC'") }}
    {%- elif cast == 'epoch_microseconds_to_timestamp' -%}
        {{ epoch_microseconds_to_timestamp(column) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("read_text_as: unknown cast macro '" ~ cast ~ "'") }}
    {%- endif -%}
{%- endmacro %}
