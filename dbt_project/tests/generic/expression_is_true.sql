{#-
    Fails for every row where `expression` is false. With `column_name` (a column-level test),
    the expression is appended to the column name, for example `>= 0`.
    Rows where the expression is NULL pass, like a CHECK constraint.
    Our own version of the dbt_utils test, since dbt packages cannot be installed here.
-#}
{% test expression_is_true(model, expression, column_name=None) %}

select *
from {{ model }}
where not (
    {%- if column_name %} {{ column_name }}{% endif %} {{ expression }}
)

{% endtest %}
