-- Every case and every closed-lost opportunity of a known customer, flagged when it is a churn
-- event by the definition of seed churn_settings: a lost renewal (Type among
-- renewal_opportunity_types) or a cancellation case (Type or Reason contains
-- cancellation_case_pattern). Cases that are not churn events are the support cases the
-- churn-risk features count.
with

cases as (

    select * from {{ ref('stg_crm__cases') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

contacts as (

    select * from {{ ref('int_contacts_deduplicated') }}

),

churn_settings as (

    select * from {{ ref('churn_settings') }}

),

settings as (

    select
        coalesce(max(case
            when setting = 'lost_renewal_opportunity' then lower(value)
        end), 'true') = 'true' as counts_lost_renewals,
        '|' || coalesce(max(case
            when setting = 'renewal_opportunity_types' then lower(value)
        end), '') || '|' as renewal_types,
        coalesce(max(case
            when setting = 'cancellation_case' then lower(value)
        end), 'true') = 'true' as counts_cancellation_cases,
        coalesce(max(case
            when setting = 'cancellation_case_pattern' then lower(value)
        end), 'cancel') as cancellation_pattern
    from churn_settings

),

case_records as (

    select
        'case' as record_kind,
        cases.case_id as record_id,
        contacts.customer_id,
        cases.created_at as occurred_at,
        cases.closed_at,
        settings.counts_cancellation_cases
        and (
            lower(coalesce(cases.case_type, '')) like '%' || settings.cancellation_pattern || '%'
            or lower(coalesce(cases.case_reason, ''))
            like '%' || settings.cancellation_pattern || '%'
        ) as is_churn_event
    from cases
    cross join settings
    inner join contacts
        on cases.contact_id_15 = contacts.contact_id_15

),

lost_opportunities as (

    select
        'opportunity' as record_kind,
        opportunities.opportunity_id as record_id,
        contacts.customer_id,
        cast(opportunities.close_date as timestamp) as occurred_at,
        cast(opportunities.close_date as timestamp) as closed_at,
        settings.counts_lost_renewals
        and settings.renewal_types
        like '%|' || lower(opportunities.opportunity_type) || '|%' as is_churn_event
    from opportunities
    cross join settings
    inner join contacts
        on opportunities.contact_id_15 = contacts.contact_id_15
    where opportunities.stage_name = 'Closed Lost'

),

final as (

    select
        record_kind,
        record_id,
        customer_id,
        occurred_at,
        closed_at,
        coalesce(is_churn_event, false) as is_churn_event,
        case
            when coalesce(is_churn_event, false) and record_kind = 'case'
                then 'cancellation_case'
            when coalesce(is_churn_event, false) then 'lost_renewal'
        end as churn_event_type
    from case_records

    union all

    select
        record_kind,
        record_id,
        customer_id,
        occurred_at,
        closed_at,
        coalesce(is_churn_event, false) as is_churn_event,
        case when coalesce(is_churn_event, false) then 'lost_renewal' end as churn_event_type
    from lost_opportunities

)

select * from final
