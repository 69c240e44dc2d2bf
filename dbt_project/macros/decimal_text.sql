{#-
    A raw number's text with a decimal point, whatever the file's decimal separator.

    Raw keeps numbers as exported. German Excel writes `500000,0` (and `1.234,5` with thousands
    separators) in semicolon-delimited files; ingestion records the file's separator in the
    raw column `_decimal_separator` ('.' or ',', see
    orchestration/ingestion/readers/csv_records.py: decimal_separator). For a ',' file, a value
    that is a well-formed decimal-comma number becomes `500000.0` / `1234.5`; every other value
    (and every value of a '.' file) is returned unchanged, so the strict read around it
    (text_to_double) refuses what is not a number instead of guessing.
-#}
{% macro decimal_text(column, separator_column='_decimal_separator') -%}
    {%- set decimal_comma_pattern -%}
        [+-]?([0-9]+|[0-9]{1,3}(\.[0-9]{3})+)(,[0-9]+)?
    {%- endset -%}
    case
        when
            {{ separator_column }} = ','
            and {{ regex_full_match('trim(' ~ column ~ ')', decimal_comma_pattern) }}
            then replace(replace(trim({{ column }}), '.', ''), ',', '.')
        else {{ column }}
    end
{%- endmacro %}
