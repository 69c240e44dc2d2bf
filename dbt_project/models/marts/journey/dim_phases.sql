with

phases as (

    select * from {{ ref('phases') }}

),

final as (

    select
        phases.phase_id,
        phases.journey_id,
        phases.phase_name,
        phases.phase_order,
        next_phases.phase_id as next_phase_id,
        phases.phase_order = min(phases.phase_order) over (
            partition by phases.journey_id
        ) as is_first_phase,
        next_phases.phase_id is null as is_last_phase
    from phases
    left join phases as next_phases
        on
            phases.journey_id = next_phases.journey_id
            and phases.phase_order + 1 = next_phases.phase_order

)

select * from final
