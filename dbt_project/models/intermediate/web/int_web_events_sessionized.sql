-- Incremental by export day (macros/incremental.sql). A day is built again when its events
-- changed in stg_web__events or a browser with events that day now belongs to another customer
-- (a late login, a merged contact); the other days of the sessions on such a day come with
-- it, because an event's position in its session depends on the whole session.
{{ config_incremental_by_partition("ref('stg_web__events')") }}

{#- stg_web__events is named in each CTE that reads it rather than through one import CTE:
    DuckDB materializes a CTE that several others read, which would hold every event in
    memory. -#}
{%- set staged_events = ref('stg_web__events') %}

with

web_users as (

    select * from {{ ref('int_web_users_stitched') }}

),
{%- if is_incremental() %}

-- An incremental run builds the days whose events changed or whose browsers changed customer,
-- and every day of the sessions on those days.
event_partitions as (

    select distinct
        _partition_date as partition_key,
        _partition_signature as partition_signature
    from {{ staged_events }}

),

-- Browsers whose customer is not the one their built rows carry.
built_web_users as (

    select distinct
        user_pseudo_id,
        customer_id
    from {{ this }}

),

web_users_changed as (

    select built_web_users.user_pseudo_id
    from built_web_users
    left join web_users
        on built_web_users.user_pseudo_id = web_users.user_pseudo_id
    where built_web_users.customer_id is distinct from web_users.customer_id

),

changed_partitions as (

    select partition_key
    from ({{ partitions_to_build('event_partitions') }}) as changed
    union
    select distinct built._partition_date as partition_key
    from {{ this }} as built
    inner join web_users_changed
        on built.user_pseudo_id = web_users_changed.user_pseudo_id

),

sessions_on_changed_partitions as (

    select distinct staged_events.session_id
    from {{ staged_events }} as staged_events
    inner join changed_partitions
        on staged_events._partition_date = changed_partitions.partition_key
    where staged_events.session_id is not null

),

partitions_to_build as (

    select changed_partitions.partition_key
    from changed_partitions
    union
    select distinct staged_events._partition_date as partition_key
    from {{ staged_events }} as staged_events
    inner join sessions_on_changed_partitions
        on staged_events.session_id = sessions_on_changed_partitions.session_id

),

sessions_to_build as (

    select distinct staged_events.session_id
    from {{ staged_events }} as staged_events
    inner join partitions_to_build
        on staged_events._partition_date = partitions_to_build.partition_key
    where staged_events.session_id is not null

),
{%- endif %}

-- Each event's position in its session, sorted on the four columns the order needs and joined
-- back by event_id: sorting whole events (23 columns) spilled tens of GB at 100M events.
-- Page views are numbered in the same order as all events (event_name is the same for all of
-- them), so one window (one sort) gives both numbers.
positions_in_session as (

    select
        event_id,
        row_number() over session_order as event_number_in_session,
        case
            when event_name = 'page_view'
                then count(case when event_name = 'page_view' then 1 end) over session_order
        end as page_view_number_in_session
    from {{ staged_events }}
    where
        session_id is not null
    {%- if is_incremental() %}
        -- the days to build, with every other event of their sessions (numbered with them,
        -- left out of the result when their own day is not built)
        and (
            _partition_date in (select partitions_to_build.partition_key from partitions_to_build)
            or session_id in (select sessions_to_build.session_id from sessions_to_build)
        )
    {%- endif %}
    window session_order as (
        partition by session_id
        order by event_at asc, event_name asc, event_id asc
        rows between unbounded preceding and current row
    )

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
        events._partition_date,
        events._partition_signature,
        positions_in_session.event_number_in_session,
        positions_in_session.page_view_number_in_session
    from {{ staged_events }} as events
    left join positions_in_session
        on events.event_id = positions_in_session.event_id
    left join web_users
        on events.user_pseudo_id = web_users.user_pseudo_id
    {%- if is_incremental() %}
    -- only the days to build: the other events of their sessions were needed for the numbers
    where events._partition_date in (
        select partitions_to_build.partition_key from partitions_to_build
    )
    {%- endif %}

),

final as (

    select
        *,
        '{{ invocation_id }}' as _invocation_id
    from sessionized

)

select * from final
