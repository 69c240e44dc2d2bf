-- Versions of one rule (seed touchpoint_rules, one row per rule_id and valid_from) must not
-- overlap: a record would otherwise be mapped by two versions of the same rule. Fails with
-- every pair of versions valid on a common day (empty dates are open ends).
with

rules as (

    select * from {{ ref('touchpoint_rules') }}

),

overlapping as (

    select
        earlier.rule_id,
        earlier.valid_from,
        earlier.valid_to,
        later.valid_from as later_valid_from,
        later.valid_to as later_valid_to
    from rules as earlier
    inner join rules as later
        on
            earlier.rule_id = later.rule_id
            and coalesce(earlier.valid_from, cast('0001-01-01' as date))
            <= coalesce(later.valid_from, cast('0001-01-01' as date))
            and not (
                earlier.valid_from is not distinct from later.valid_from
                and earlier.valid_to is not distinct from later.valid_to
            )
    where
        earlier.valid_to is null
        or later.valid_from is null
        or earlier.valid_to > later.valid_from

)

select * from overlapping
