{#-
    Fails for every group of rows (`group_by`, a list of columns) whose sum of the column
    differs from `expected` (a SQL expression over the group, for example `1` or
    `max(conversion_revenue)`) by more than `tolerance`. Groups where either side is NULL
    pass. Used for "every conversion's credits sum to 1 in every model".
-#}
{% test sums_per_group(model, column_name, group_by, expected, tolerance=0.000000001) %}

select
    {{ group_by | join(', ') }},
    sum({{ column_name }}) as actual_sum,
    {{ expected }} as expected_sum
from {{ model }}
group by {{ group_by | join(', ') }}
having abs(sum({{ column_name }}) - ({{ expected }})) > {{ tolerance }}

{% endtest %}
