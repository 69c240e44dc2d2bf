with

events as (

    select * from {{ ref('int_web_events_sessionized') }}

),

touchpoints_mapped as (

    select * from {{ ref('int_touchpoints_mapped') }}

),

session_touchpoints as (

    select
        session_id,
        count(*) as touchpoint_occurrences
    from touchpoints_mapped
    where source_system = 'web' and session_id is not null
    group by session_id

),

sessions as (

    select
        session_id,
        user_pseudo_id,
        customer_id,
        ga_session_id,
        cast(
            sum(case when event_name = 'page_view' then 1 else 0 end) as bigint
        ) as page_views,
        cast(
            sum(case when event_name = 'purchase' then 1 else 0 end) as bigint
        ) as purchases,
        cast(sum(case when event_name = 'purchase' then revenue end) as double) as revenue,
        cast(coalesce(sum(engagement_time_msec), 0) as bigint) as engagement_time_msec,
        count(*) as events,
        min(ga_session_number) as ga_session_number,
        min(event_at) as session_started_at,
        max(event_at) as session_ended_at,
        coalesce(max(case when is_session_engaged then 1 else 0 end) = 1, false) as is_engaged,
        max(case when page_view_number_in_session = 1 then page_path end) as landing_page_path,
        max(case when event_number_in_session = 1 then traffic_source end) as traffic_source,
        max(case when event_number_in_session = 1 then traffic_medium end) as traffic_medium,
        max(case when event_number_in_session = 1 then traffic_campaign end) as traffic_campaign,
        max(case when event_number_in_session = 1 then device_category end) as device_category,
        max(case when event_number_in_session = 1 then geo_country end) as geo_country
    from events
    where session_id is not null
    group by session_id, user_pseudo_id, customer_id, ga_session_id

),

final as (

    select
        sessions.session_id,
        sessions.user_pseudo_id,
        sessions.customer_id,
        sessions.ga_session_id,
        sessions.ga_session_number,
        sessions.session_started_at,
        sessions.session_ended_at,
        {{ seconds_between('sessions.session_started_at', 'sessions.session_ended_at') }}
            as session_duration_seconds,
        sessions.events,
        sessions.page_views,
        sessions.engagement_time_msec,
        sessions.is_engaged,
        sessions.landing_page_path,
        sessions.traffic_source,
        sessions.traffic_medium,
        sessions.traffic_campaign,
        sessions.device_category,
        sessions.geo_country,
        sessions.purchases,
        sessions.revenue,
        coalesce(session_touchpoints.touchpoint_occurrences, 0) as touchpoint_occurrences
    from sessions
    left join session_touchpoints
        on sessions.session_id = session_touchpoints.session_id

)

select * from final
