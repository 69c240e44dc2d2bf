{#-
    Uniqueness of `column_name` in an incremental model, checked for the keys of the rows no
    passing build has tested yet (macro `untested_rows`) against the whole table, by key: only
    the key and `_invocation_id` columns are read, never the other columns. Fails for every
    such key that occurs more than once. Two rows that were both tested before cannot need
    checking again: when the later of them arrived its key was checked against the whole
    table, the earlier one included. On a first run, a full refresh or a model without
    `_invocation_id` every key is new, and this is a plain `unique` test.
-#}
{% test unique_new_keys(model, column_name) %}

with

new_keys as (

    select distinct {{ column_name }} as key_value
    from {{ model }}
    where
        {{ column_name }} is not null
        and {{ untested_rows(model) }}

)

select
    {{ column_name }} as key_value,
    count(*) as occurrences
from {{ model }}
where {{ column_name }} in (select new_keys.key_value from new_keys)
group by {{ column_name }}
having count(*) > 1

{% endtest %}
