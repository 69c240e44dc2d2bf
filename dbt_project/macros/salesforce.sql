{#-
    Salesforce record ids come with 15 characters (case-sensitive) or 18 characters (the 15
    plus a 3-character checksum of the letter case). A 15-character id and the 18-character
    id that starts with it are the same record.
-#}

{#-
    Join key: the first 15 characters of a 15- or 18-character id; any other non-empty value
    unchanged (HubSpot's numeric record ids load into the same tables and join the same way);
    NULL for NULL and ''.
-#}
{% macro salesforce_id_15(column) -%}
    case
        when length({{ column }}) in (15, 18)
            then substring({{ column }}, 1, 15)
        else nullif({{ column }}, '')
    end
{%- endmacro %}


{#-
    The 18-character form: 18-character ids unchanged, 15-character ids extended by their
    checksum (for each block of 5 characters, a bit per upper-case letter, read as an index
    into A-Z0-5). Values of any other length are returned unchanged.
-#}
{% macro salesforce_id_18(column) -%}
    case
        when length({{ column }}) = 15
            then {{ column }}
            {%- for block in range(3) %}
            || substring(
                'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345',
                1
                {%- for position in range(5) %}
                + case
                    when substring({{ column }}, {{ block * 5 + position + 1 }}, 1)
                        between 'A' and 'Z'
                        then {{ 2 ** position }}
                    else 0
                end
                {%- endfor %},
                1
            )
            {%- endfor %}
        else {{ column }}
    end
{%- endmacro %}
