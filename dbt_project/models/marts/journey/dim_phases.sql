-- One row per phase, as BI tools key it: the version valid now (the current map version), or
-- for a phase that is no longer (or not yet) valid its latest version, with the next phase of
-- that map version.
with

phases_versioned as (

    select * from {{ ref('int_phases_versioned') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by phase_id
            order by is_current_map_version desc, map_valid_from desc nulls last
        ) as version_rank
    from phases_versioned

),

final as (

    select
        phase_id,
        journey_id,
        phase_name,
        phase_order,
        next_phase_id,
        is_first_phase,
        is_last_phase,
        phase_valid_from as valid_from,
        phase_valid_to as valid_to
    from ranked
    where version_rank = 1

)

select * from final
