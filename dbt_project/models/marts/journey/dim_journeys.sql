with

journeys as (

    select * from {{ ref('journeys') }}

),

phases as (

    select * from {{ ref('phases') }}

),

phase_counts as (

    select
        journey_id,
        count(*) as phases
    from phases
    group by journey_id

),

final as (

    select
        journeys.journey_id,
        journeys.journey_name,
        journeys.description,
        coalesce(phase_counts.phases, cast(0 as bigint)) as phases
    from journeys
    left join phase_counts
        on journeys.journey_id = phase_counts.journey_id

)

select * from final
