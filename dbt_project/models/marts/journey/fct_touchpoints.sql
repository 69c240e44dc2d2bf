-- Incremental by partition (macros/incremental.sql), the partitions of int_touchpoints_mapped
-- (a web export day, a CRM record's day). A partition is built again when the mapping rebuilt
-- it, when one of its customers now belongs to another account, or when the journey map
-- changed (every partition then).
{{ config_incremental_by_partition("ref('int_touchpoints_mapped')") }}

{#- The mapped touchpoints are named in each CTE that reads them rather than through one import
    CTE: DuckDB materializes a CTE that several others read, which would hold every
    occurrence. -#}
{%- set touchpoints_mapped = ref('int_touchpoints_mapped') %}

with

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

-- Every partition's signature covers the map versions, so that editing the map builds every
-- partition again.
map_signature as (

    select
        {{ partition_signature(row_signature([
            'journey_id', 'phase_id', 'phase_valid_from', 'map_valid_from', 'map_valid_to',
            'touchpoint_id', 'touchpoint_valid_from', 'channel', 'has_revenue',
        ])) }} as map_signature
    from map_versions

),

-- Each occurrence's partition, the mapping that built it (its invocation) and the account its
-- customer has now.
occurrence_accounts as (

    select
        touchpoints_mapped._partition_date,
        touchpoints_mapped._invocation_id,
        touchpoints_mapped.customer_id,
        customer_accounts.account_id
    from {{ touchpoints_mapped }} as touchpoints_mapped
    left join customer_accounts
        on touchpoints_mapped.customer_id = customer_accounts.customer_id

),

-- A partition's signature: the mapping that built it, its customers' accounts and the map.
mapped_partitions as (

    select
        occurrence_accounts._partition_date as partition_key,
        {{ partition_signature('occurrence_accounts._invocation_id') }}
        || '/'
        || {{ partition_signature(row_signature(['customer_id', 'account_id'])) }}
        || '/'
        || min(map_signature.map_signature) as partition_signature
    from occurrence_accounts
    cross join map_signature
    group by occurrence_accounts._partition_date

),

partitions_to_build as (

    {{ partitions_to_build('mapped_partitions') }}

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
            as account_id,
        touchpoints_mapped._partition_date,
        partitions_to_build.partition_signature as _partition_signature,
        '{{ invocation_id }}' as _invocation_id
    from {{ touchpoints_mapped }} as touchpoints_mapped
    inner join partitions_to_build
        on touchpoints_mapped._partition_date = partitions_to_build.partition_key
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
