{#- The events are named in each CTE that reads them rather than through one import CTE:
    DuckDB materializes a CTE that several others read, which would hold every event. -#}
{%- set events = ref('stg_web__events') %}

with

contacts as (

    select * from {{ ref('int_contacts_deduplicated') }}

),

web_users as (

    select
        user_pseudo_id,
        min(event_at) as first_event_at,
        max(event_at) as last_event_at,
        count(*) as events
    from {{ events }}
    where user_pseudo_id is not null
    group by user_pseudo_id

),

-- A browser whose events carry a user_id belongs to that user; with several user_ids, the
-- one on its earliest such event wins.
first_user_ids as (

    select
        user_pseudo_id,
        user_id,
        user_id_15,
        row_number() over (
            partition by user_pseudo_id
            order by event_at asc, user_id asc
        ) as user_id_rank
    from {{ events }}
    where user_pseudo_id is not null and user_id is not null

),

final as (

    select
        web_users.user_pseudo_id,
        first_user_ids.user_id,
        contacts.contact_id as matched_contact_id,
        web_users.first_event_at,
        web_users.last_event_at,
        web_users.events,
        coalesce(
            contacts.customer_id, 'anon-' || web_users.user_pseudo_id
        ) as customer_id,
        contacts.customer_id is not null as is_stitched
    from web_users
    left join first_user_ids
        on
            web_users.user_pseudo_id = first_user_ids.user_pseudo_id
            and first_user_ids.user_id_rank = 1
    left join contacts
        on first_user_ids.user_id_15 = contacts.contact_id_15

)

select * from final
