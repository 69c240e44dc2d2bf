{#-
    Uniqueness of `column_name` in an incremental model, checked for the keys of the rows no
    passing build has tested yet (macro `untested_rows`) against the whole table, by key: only
    the key and `_invocation_id` columns are read, never the other columns. Fails for every
    such key that occurs more than once. Two rows that were both tested before cannot need
    checking again: when the later of them arrived its key was checked against the whole
    table, the earlier one included.

    Two plans, chosen when the test runs by counting the untested rows (one scan of
    `_invocation_id`, skipped when no row can have been tested yet): when they are a few (a day added), their distinct keys are looked up in
    the whole table; when they are most of it (a first run, a full refresh, a model without
    `_invocation_id`, Spark), every key is grouped once, as the plain `unique` test does. Looking
    up millions of new keys held a hash table of them beside the grouping, which ran out of a
    3 GB memory limit at a million customers.
-#}
{% test unique_new_keys(model, column_name) %}

{%- set untested = untested_rows(model) %}
{%- set mostly_untested = true %}
{%- if execute and tested_rows_recorded(model) %}
    {%- set counted = run_query(
        "select count(*) filter (where " ~ untested ~ ") as untested, count(*) as total"
        ~ " from " ~ model
    ) %}
    {%- set mostly_untested = counted.rows[0][0] * 2 > counted.rows[0][1] %}
{%- endif %}

{%- if mostly_untested %}

with

keys as (

    select
        {{ column_name }} as key_value,
        {{ untested }} as is_untested
    from {{ model }}
    where {{ column_name }} is not null

)

select
    key_value,
    count(*) as occurrences
from keys
group by key_value
having count(*) > 1 and bool_or(is_untested)

{%- else %}

with

new_keys as (

    select distinct {{ column_name }} as key_value
    from {{ model }}
    where
        {{ column_name }} is not null
        and {{ untested }}

)

select
    {{ column_name }} as key_value,
    count(*) as occurrences
from {{ model }}
where {{ column_name }} in (select new_keys.key_value from new_keys)
group by {{ column_name }}
having count(*) > 1

{%- endif %}

{% endtest %}
