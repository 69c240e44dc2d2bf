-- Incremental by partition (macros/incremental.sql): a session belongs to the export day of
-- its first event. int_web_events_sessionized builds every day of a session whose events
-- changed again, so the session's first day is among them: a day's sessions are built again
-- when the events or the touchpoints of that day were (their invocation changed).
{{ config_incremental_by_partition("ref('int_web_events_sessionized')") }}

{#- The events and touchpoints are named in each CTE that reads them rather than through an
    import CTE: DuckDB materializes a CTE that several others read, which would hold them. -#}
{%- set events = ref('int_web_events_sessionized') %}
{%- set touchpoints_mapped = ref('int_touchpoints_mapped') %}

with

-- A day's signature: the invocations that built its events and its web touchpoints.
event_partitions as (

    {{ partition_signatures(events, '_invocation_id') }}

),

touchpoint_partitions as (

    {{ partition_signatures(
        touchpoints_mapped, '_invocation_id', "source_system = 'web' and session_id is not null"
    ) }}

),

input_partitions as (

    select
        event_partitions.partition_key,
        event_partitions.partition_signature
        || '/'
        || coalesce(touchpoint_partitions.partition_signature, '') as partition_signature
    from event_partitions
    left join touchpoint_partitions
        on event_partitions.partition_key = touchpoint_partitions.partition_key

),

partitions_to_build as (

    {{ partitions_to_build('input_partitions') }}

),
{%- if is_incremental() %}

-- The sessions that start on a day to build.
sessions_to_build as (

    select session_id
    from {{ events }}
    where
        event_number_in_session = 1
        and _partition_date in (select partitions_to_build.partition_key from partitions_to_build)

),
{%- endif %}

session_touchpoints as (

    select
        session_id,
        count(*) as touchpoint_occurrences
    from {{ touchpoints_mapped }}
    where
        source_system = 'web'
        and session_id is not null
    {%- if is_incremental() %}
        and session_id in (select sessions_to_build.session_id from sessions_to_build)
    {%- endif %}
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
        max(case when event_number_in_session = 1 then geo_country end) as geo_country,
        max(case when event_number_in_session = 1 then _partition_date end) as _partition_date
    from {{ events }}
    where
        session_id is not null
    {%- if is_incremental() %}
        and session_id in (select sessions_to_build.session_id from sessions_to_build)
    {%- endif %}
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
        coalesce(session_touchpoints.touchpoint_occurrences, 0) as touchpoint_occurrences,
        sessions._partition_date,
        partitions_to_build.partition_signature as _partition_signature,
        '{{ invocation_id }}' as _invocation_id
    from sessions
    inner join partitions_to_build
        on sessions._partition_date = partitions_to_build.partition_key
    left join session_touchpoints
        on sessions.session_id = session_touchpoints.session_id

)

select * from final
