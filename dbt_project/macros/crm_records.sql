{#-
    The current version of each CRM record in a staging model.

    Exports deliver the same record more than once: under its 15- and its 18-character id, or
    in two files. The copy loaded last wins. A record deleted at the source arrives as a row with
    IsDeleted = true; it is left out *after* picking the latest copy, so an earlier copy cannot
    take the deleted record's place. A record that is merely missing from a shorter export is not
    deleted here: the loader holds such a file until `cjm accept`.

    `relation`: the CTE with the renamed columns, `is_deleted` and the lineage columns;
    `key`: the column that identifies a record (the 15-character id).
-#}
{% macro latest_live_copy(relation, key) -%}
    select * from ({{ latest_loaded_copy(relation, key) }})
    where is_deleted is not true
{%- endmacro %}


{#-
    One row per `key` (a column or a comma-separated list) of `relation`: the copy loaded last
    (latest `_loaded_at`, then the later file name and row), as every staging model picks the
    current version of a record that several loads delivered.
-#}
{% macro latest_loaded_copy(relation, key) -%}
    select * from {{ relation }}
    qualify row_number() over (
        partition by {{ key }}
        order by _loaded_at desc, _source_file desc, _source_row desc
    ) = 1
{%- endmacro %}
