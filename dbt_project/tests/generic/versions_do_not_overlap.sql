{#-
    Versions of the journey map (a seed with `valid_from` / `valid_to` dates, one row per
    version, empty dates open ends) must not overlap per `key_columns`: fails with every pair
    of rows that share the key and are valid on a common day. With the seed's id as the key,
    an id has at most one version at any time; with (journey_id, phase_order) or
    (phase_id, touchpoint_order), no two versions valid at once share a position.
-#}
{% test versions_do_not_overlap(model, key_columns) %}

with

versions as (

    select
        {{ key_columns | join(',\n        ') }},
        valid_from,
        valid_to,
        row_number() over (
            order by {{ key_columns | join(', ') }}, valid_from, valid_to
        ) as version_number
    from {{ model }}

),

overlapping as (

    select
        {% for column in key_columns -%}
            earlier.{{ column }},
        {% endfor -%}
        earlier.valid_from,
        earlier.valid_to,
        later.valid_from as later_valid_from,
        later.valid_to as later_valid_to
    from versions as earlier
    inner join versions as later
        on
            {% for column in key_columns -%}
                earlier.{{ column }} = later.{{ column }}
                and
            {% endfor -%}
            earlier.version_number < later.version_number
    where
        coalesce(earlier.valid_from, cast('0001-01-01' as date))
        < coalesce(later.valid_to, cast('9999-12-31' as date))
        and coalesce(later.valid_from, cast('0001-01-01' as date))
        < coalesce(earlier.valid_to, cast('9999-12-31' as date))

)

select * from overlapping

{% endtest %}
