{#-
    Fails for every combination of `combination_of_columns` that occurs more than once.
    NULLs compare equal here (GROUP BY semantics), so a NULL in a key column still has to be
    unique together with the other columns.
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

select
    {{ combination_of_columns | join(',\n    ') }},
    count(*) as occurrences
from {{ model }}
group by
    {{ combination_of_columns | join(',\n    ') }}
having count(*) > 1

{% endtest %}
