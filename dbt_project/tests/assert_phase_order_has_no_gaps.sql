-- Phases of each journey must be numbered 1, 2, ..., n: the funnel and hours_to_next_phase
-- compare a phase with the phase whose order is one higher, so a gap would silently end the
-- journey early. Fails with every journey whose phase_order is not 1..n (together with the
-- unique (journey_id, phase_order) test on the seed).
with

phases as (

    select * from {{ ref('phases') }}

),

journey_orders as (

    select
        journey_id,
        min(phase_order) as first_phase_order,
        max(phase_order) as last_phase_order,
        count(*) as phases
    from phases
    group by journey_id

)

select * from journey_orders
where first_phase_order <> 1 or last_phase_order <> phases
