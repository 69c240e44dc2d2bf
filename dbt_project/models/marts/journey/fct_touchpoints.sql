with

touchpoints_mapped as (

    select * from {{ ref('int_touchpoints_mapped') }}

),

map_versions as (

    select * from {{ ref('dim_journey_map_versions') }}

),

contacts as (

    select * from {{ ref('int_contacts_deduplicated') }}

),

-- A known customer's account is its master contact's.
customer_accounts as (

    select
        customer_id,
        account_id
    from contacts
    where is_master_contact

),

final as (

    select
        touchpoints_mapped.touchpoint_occurrence_id,
        touchpoints_mapped.customer_id,
        touchpoints_mapped.touchpoint_id,
        map_versions.phase_id,
        map_versions.journey_id,
        map_versions.channel,
        touchpoints_mapped.source_system,
        touchpoints_mapped.source_object,
        touchpoints_mapped.source_record_id,
        touchpoints_mapped.rule_id,
        touchpoints_mapped.rule_valid_from,
        map_versions.touchpoint_valid_from,
        map_versions.phase_valid_from,
        touchpoints_mapped.occurred_at,
        touchpoints_mapped.session_id,
        -- only touchpoints flagged has_revenue carry money, so no amount counts twice
        case
            when map_versions.has_revenue then touchpoints_mapped.source_revenue
        end as revenue,
        -- the record's own account (an opportunity's, a case's), else the customer's
        coalesce(touchpoints_mapped.record_account_id, customer_accounts.account_id)
            as account_id
    from touchpoints_mapped
    -- the map version valid when the record occurred; a touchpoint without a version then
    -- leaves phase_id NULL, which the not-null test stops
    left join map_versions
        on
            touchpoints_mapped.touchpoint_id = map_versions.touchpoint_id
            and {{ is_valid_at(
                'map_versions.map_valid_from',
                'map_versions.map_valid_to',
                'touchpoints_mapped.occurred_at',
            ) }}
    left join customer_accounts
        on touchpoints_mapped.customer_id = customer_accounts.customer_id

)

select * from final
