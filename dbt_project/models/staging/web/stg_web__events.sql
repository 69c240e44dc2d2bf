-- Stored, not a view like the other staging models: removing duplicate lines groups and
-- hashes every event, and three models read the result. Incremental by export day
-- (macros/incremental.sql): a run rebuilds only the days whose raw rows changed.
-- GA4 nests its data in structs; to the linter `device.category` looks like a column
-- qualified with a table name, so its rule on consistent references is off for this file.
-- noqa: disable=RF03
{{ config_incremental_by_partition(
    "source('web', 'web_events')", partition_expression="ga4_partition_date('event_date')"
) }}

{%- set ga4_columns = [
    'event_date', 'event_timestamp', 'event_name', 'event_params',
    'event_previous_timestamp', 'event_value_in_usd', 'event_bundle_sequence_id',
    'user_id', 'user_pseudo_id', 'user_first_touch_timestamp', 'user_properties',
    'privacy_info', 'device', 'geo', 'traffic_source', 'collected_traffic_source',
    'stream_id', 'platform', 'ecommerce', 'items',
] %}

{#- The columns that copies of an event share and different events rarely do. -#}
{%- set event_key = ['user_pseudo_id', 'event_timestamp', 'event_name'] %}

{#- One 64-bit hash of an event's export day and key columns: grouped on to find the keys that
    more than one raw row of a day has. -#}
{%- set day_and_key_hash = hash64(
    ga4_partition_date('event_date') ~ ', ' ~ named_struct(event_key)
) %}

{#- The raw table is named in each CTE that reads it rather than through one import CTE:
    DuckDB materializes a CTE that several others read, which would hold the whole raw table
    (every GA4 column) in memory. -#}
{%- set raw_events = source('web', 'web_events') %}

with

-- The raw rows of each export day, as a signature: a day is built again when it changes.
raw_partitions as (

    select
        {{ ga4_partition_date('event_date') }} as partition_key,
        {{ partition_signature('_load_id') }} as partition_signature
    from {{ raw_events }}
    group by {{ ga4_partition_date('event_date') }}

),

partitions_to_build as (

    {{ partitions_to_build('raw_partitions') }}

),

-- Each load of the days to build as a small number, so that one integer locates a raw row:
-- load_number * 2^40 + _source_row (a file has fewer than 2^40 lines). Loads are numbered in
-- the order of their _loaded_at, then file (both the same on every row of a load: a load is
-- one delivered file), so the least locator is the first loaded copy.
load_numbers as (

    select
        _load_id,
        row_number() over (
            order by min(_loaded_at), min(_source_file), _load_id
        ) as load_number
    from {{ raw_events }}
    where
        {{ ga4_partition_date('event_date') }} in (
            select partitions_to_build.partition_key from partitions_to_build
        )
    group by _load_id

),

-- GA4 exports can hold the same line twice: identical content (all export columns; the
-- lineage columns differ between copies by nature) is one event, and it keeps the lineage of
-- its first loaded copy (the least _loaded_at, then file, then row: the least locator).
-- Copies share their key columns, and nearly every key belongs to one raw row of its day, so
-- only the rows of keys that a day has more than once are compared. No step over all rows
-- holds their content or joins them to anything large: the rows are read twice, first for
-- the repeated keys (two narrow columns grouped), then kept unless they are a later copy (a
-- small set). Grouping every row on its content and joining all rows back to their first
-- copies made DuckDB spill the whole raw content (more than 47 GB at 100M GA4 events).
repeated_keys as (

    select {{ day_and_key_hash }} as day_and_key_hash
    from {{ raw_events }}
    where
        {{ ga4_partition_date('event_date') }} in (
            select partitions_to_build.partition_key from partitions_to_build
        )
    group by {{ day_and_key_hash }}
    having count(*) > 1

),

-- The raw rows of those keys (a hash collision only adds rows), with a hash of their content.
rows_of_repeated_keys as (

    select
        {{ ga4_partition_date('raw_events.event_date') }} as partition_key,
        {{ hash64(named_struct(event_key)) }} as key_hash,
        {{ hash64(named_struct(ga4_columns)) }} as content_hash,
        load_numbers.load_number * 1099511627776 + raw_events._source_row as locator
    from {{ raw_events }} as raw_events
    inner join load_numbers
        on raw_events._load_id = load_numbers._load_id
    where
        {{ ga4_partition_date('raw_events.event_date') }} in (
            select partitions_to_build.partition_key from partitions_to_build
        )
        and {{ day_and_key_hash }} in (
            select repeated_keys.day_and_key_hash from repeated_keys
        )

),

-- The first copy of each event among them; whether another event of its day has the same key
-- columns (its content differs). Odds that two rows sharing a key have equal hashes of
-- different content: 2^-64.
first_copies as (

    select
        min(rows_of_repeated_keys.locator) as first_copy_row,
        count(*) over (
            partition by rows_of_repeated_keys.partition_key, rows_of_repeated_keys.key_hash
        ) > 1 as shares_its_key
    from rows_of_repeated_keys
    group by
        rows_of_repeated_keys.partition_key,
        rows_of_repeated_keys.key_hash,
        rows_of_repeated_keys.content_hash

),

-- The rows left out: later copies of an event.
later_copies as (

    select rows_of_repeated_keys.locator
    from rows_of_repeated_keys
    where
        rows_of_repeated_keys.locator not in (
            select first_copies.first_copy_row from first_copies
        )

),

deduplicated as (

    select
        raw_events.*,
        -- The same id on every engine (content_id), unlike the cheaper engine hash: of the key
        -- columns as JSON, or of every column as JSON when another event of the day shares
        -- them (writing every column as JSON cost more than half of this model).
        case
            when
                load_numbers.load_number * 1099511627776 + raw_events._source_row in (
                    select first_copies.first_copy_row
                    from first_copies
                    where first_copies.shares_its_key
                )
                then {{ content_id(ga4_columns) }}
            else {{ content_id(event_key) }}
        end as event_id,
        partitions_to_build.partition_key as _partition_date,
        partitions_to_build.partition_signature as _partition_signature
    from {{ raw_events }} as raw_events
    inner join load_numbers
        on raw_events._load_id = load_numbers._load_id
    inner join partitions_to_build
        on {{ ga4_partition_date('raw_events.event_date') }} = partitions_to_build.partition_key
    where
        load_numbers.load_number * 1099511627776 + raw_events._source_row not in (
            select later_copies.locator from later_copies
        )

),

renamed as (

    select
        ----------  ids
        event_id,
        user_pseudo_id,
        user_id,
        {{ salesforce_id_15('user_id') }} as user_id_15,
        {{ text_to_integer(
            ga4_event_param('event_params', 'ga_session_id'), 'bigint'
        ) }} as ga_session_id,
        stream_id,

        ----------  text
        event_name,
        {{ ga4_event_param('event_params', 'page_location') }} as page_location,
        {{ ga4_event_param('event_params', 'page_title') }} as page_title,
        {{ ga4_event_param('event_params', 'page_referrer') }} as page_referrer,
        {{ nullif_placeholder(
            'coalesce(collected_traffic_source.manual_source, '
            ~ ga4_event_param('event_params', 'source') ~ ')'
        ) }} as traffic_source,
        {{ nullif_placeholder(
            'coalesce(collected_traffic_source.manual_medium, '
            ~ ga4_event_param('event_params', 'medium') ~ ')'
        ) }} as traffic_medium,
        {{ nullif_placeholder(
            'coalesce(collected_traffic_source.manual_campaign_name, '
            ~ ga4_event_param('event_params', 'campaign') ~ ')'
        ) }} as traffic_campaign,
        {{ nullif_placeholder('traffic_source.source') }} as first_touch_source,
        {{ nullif_placeholder('traffic_source.medium') }} as first_touch_medium,
        {{ nullif_placeholder('traffic_source.name') }} as first_touch_campaign,
        {{ nullif_placeholder('device.category') }} as device_category,
        {{ nullif_placeholder('device.operating_system') }} as device_operating_system,
        {{ nullif_placeholder('device.web_info.browser') }} as device_browser,
        {{ nullif_placeholder('geo.country') }} as geo_country,
        platform,
        ecommerce.transaction_id,

        ----------  numbers
        {{ text_to_integer(
            ga4_event_param('event_params', 'ga_session_number')
        ) }} as ga_session_number,
        {{ text_to_integer(
            ga4_event_param('event_params', 'engagement_time_msec'), 'bigint'
        ) }} as engagement_time_msec,
        {{ text_to_double('ecommerce.purchase_revenue') }} as revenue,
        {{ text_to_double('event_value_in_usd') }} as event_value_in_usd,

        ----------  booleans
        {{ to_boolean(ga4_event_param('event_params', 'session_engaged')) }} as is_session_engaged,

        ----------  dates and timestamps
        {{ parse_date('event_date', '%Y%m%d') }} as event_date,
        {{ epoch_microseconds_to_timestamp('event_timestamp') }} as event_at,

        ----------  values present but unreadable (NULL when read): what the cast_is_exact
        ----------  tests look for, recorded here so that they need not read every raw row again
        {{ unreadable_text(
            'text_to_integer', ga4_event_param('event_params', 'ga_session_id'), type='bigint'
        ) }} as _unreadable_ga_session_id,
        {{ unreadable_text(
            'text_to_integer', ga4_event_param('event_params', 'ga_session_number')
        ) }} as _unreadable_ga_session_number,
        {{ unreadable_text(
            'text_to_integer', ga4_event_param('event_params', 'engagement_time_msec'),
            type='bigint'
        ) }} as _unreadable_engagement_time_msec,
        {{ unreadable_text(
            'text_to_double', 'ecommerce.purchase_revenue'
        ) }} as _unreadable_revenue,
        {{ unreadable_text(
            'text_to_double', 'event_value_in_usd'
        ) }} as _unreadable_event_value_in_usd,
        {{ unreadable_text(
            'to_boolean', ga4_event_param('event_params', 'session_engaged')
        ) }} as _unreadable_is_session_engaged,
        {{ unreadable_text(
            'parse_date', 'event_date', format='%Y%m%d'
        ) }} as _unreadable_event_date,
        {{ unreadable_text(
            'epoch_microseconds_to_timestamp', 'event_timestamp'
        ) }} as _unreadable_event_at,

        ----------  lineage (of the first loaded copy)
        _load_id,
        _source_file,
        _source_row,
        _loaded_at,

        ----------  incremental partition
        _partition_date,
        _partition_signature,
        '{{ invocation_id }}' as _invocation_id

    from deduplicated

),

final as (

    select
        event_id,
        user_pseudo_id,
        user_id,
        user_id_15,
        ga_session_id,
        -- ga_session_id is the session's start second; unique only per user_pseudo_id
        user_pseudo_id || '-' || cast(ga_session_id as {{ dbt.type_string() }}) as session_id,
        stream_id,
        event_name,
        page_location,
        {{ url_path('page_location') }} as page_path,
        page_title,
        page_referrer,
        traffic_source,
        traffic_medium,
        traffic_campaign,
        first_touch_source,
        first_touch_medium,
        first_touch_campaign,
        device_category,
        device_operating_system,
        device_browser,
        geo_country,
        platform,
        transaction_id,
        ga_session_number,
        engagement_time_msec,
        revenue,
        event_value_in_usd,
        is_session_engaged,
        event_date,
        event_at,
        _unreadable_ga_session_id,
        _unreadable_ga_session_number,
        _unreadable_engagement_time_msec,
        _unreadable_revenue,
        _unreadable_event_value_in_usd,
        _unreadable_is_session_engaged,
        _unreadable_event_date,
        _unreadable_event_at,
        _load_id,
        _source_file,
        _source_row,
        _loaded_at,
        _partition_date,
        _partition_signature,
        _invocation_id
    from renamed

)

select * from final
