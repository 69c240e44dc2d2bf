with

events as (

    select * from {{ ref('stg_web__events') }}

),

web_users as (

    select * from {{ ref('int_web_users_stitched') }}

),

-- GA4 already assigns sessions (ga_session_id, keyed with user_pseudo_id); this model adds
-- the customer and each event's position in its session. Events without ga_session_id keep
-- session_id NULL and belong to no session.
sessionized as (

    select
        events.event_id,
        events.session_id,
        events.user_pseudo_id,
        web_users.customer_id,
        events.ga_session_id,
        events.ga_session_number,
        events.event_name,
        events.event_at,
        events.event_date,
        events.page_location,
        events.page_path,
        events.page_title,
        events.traffic_source,
        events.traffic_medium,
        events.traffic_campaign,
        events.device_category,
        events.geo_country,
        events.engagement_time_msec,
        events.is_session_engaged,
        events.transaction_id,
        events.revenue,
        case
            when events.session_id is not null
                then row_number() over (
                    partition by events.session_id
                    order by events.event_at asc, events.event_name asc, events.event_id asc
                )
        end as event_number_in_session,
        case
            when events.session_id is not null and events.event_name = 'page_view'
                then row_number() over (
                    partition by events.session_id, events.event_name = 'page_view'
                    order by events.event_at asc, events.event_id asc
                )
        end as page_view_number_in_session
    from events
    left join web_users
        on events.user_pseudo_id = web_users.user_pseudo_id

)

select * from sessionized
