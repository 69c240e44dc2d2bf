-- Phases of each journey must be numbered 1, 2, ..., n at any time: the funnel and
-- hours_to_next_phase compare a phase with the phase whose order is one higher, so a gap would
-- silently end the journey early. The seed has versions (valid_from inclusive, valid_to
-- exclusive, empty for an open end); the map is checked on every day a version starts or
-- ends. Fails with every journey and day whose phase_order is not 1..n (together with the
-- test that no two versions valid at once share a journey_id and phase_order).
with

phases as (

    select * from {{ ref('phases') }}

),

-- The days the map of phases can change; NULL stands for the beginning of time.
change_days as (

    select distinct
        journey_id,
        valid_from as changed_on
    from phases
    union
    select distinct
        journey_id,
        valid_to as changed_on
    from phases
    where valid_to is not null

),

valid_phases as (

    select
        change_days.journey_id,
        change_days.changed_on,
        phases.phase_order
    from change_days
    inner join phases
        on
            change_days.journey_id = phases.journey_id
            and (
                phases.valid_from is null
                or change_days.changed_on >= phases.valid_from
            )
            and (
                phases.valid_to is null
                or coalesce(change_days.changed_on, cast('0001-01-01' as date))
                < phases.valid_to
            )

),

journey_orders as (

    select
        journey_id,
        changed_on,
        min(phase_order) as first_phase_order,
        max(phase_order) as last_phase_order,
        count(*) as phases
    from valid_phases
    group by journey_id, changed_on

)

select * from journey_orders
where first_phase_order <> 1 or last_phase_order <> phases
