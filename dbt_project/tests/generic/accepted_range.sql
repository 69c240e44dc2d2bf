{#-
    Fails for every non-NULL value of `column_name` outside [min_value, max_value] (or the
    open interval when `inclusive` is false). Either bound may be left out.
-#}
{% test accepted_range(model, column_name, min_value=None, max_value=None, inclusive=True) %}

select *
from {{ model }}
where
    {{ column_name }} is not null
    and not (
        1 = 1
        {%- if min_value is not none %}
            and {{ column_name }} {{ '>=' if inclusive else '>' }} {{ min_value }}
        {%- endif %}
        {%- if max_value is not none %}
            and {{ column_name }} {{ '<=' if inclusive else '<' }} {{ max_value }}
        {%- endif %}
    )

{% endtest %}
