-- A view: it only reshapes its inputs (a table on Spark, which would compute it again for
-- every reference; macros/incremental.sql).
{{ config(materialized=view_or_spark_table(), file_format='parquet') }}
{#- The events are named in each CTE that reads them rather than through one import CTE:
    DuckDB materializes a CTE that several others read, which would hold every event. -#}
{%- set web_events = ref('int_web_events_sessionized') %}
{#- page_path is a field of page views only (other events repeat the page they fired on). #}
{%- set has_page_path = "event_name = 'page_view' and page_path is not null" %}

with

stage_changes as (

    select * from {{ ref('stg_crm__opportunity_stage_changes') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

cases as (

    select * from {{ ref('stg_crm__cases') }}

),

contacts as (

    select * from {{ ref('int_contacts_deduplicated') }}

),

contact_roles as (

    select * from {{ ref('stg_crm__opportunity_contact_roles') }}

),

-- An opportunity without ContactId takes the contact of its primary OpportunityContactRole
-- (the latest one if an export holds several). The other contact roles make no touchpoints: a
-- stage change is one touchpoint, of the opportunity's contact and of its account (the
-- account's journey sees it whether or not a contact is named).
primary_contact_roles as (

    select
        opportunity_id_15,
        contact_id_15
    from contact_roles
    where is_primary
    qualify row_number() over (
        partition by opportunity_id_15
        order by created_at desc nulls last, opportunity_contact_role_id desc
    ) = 1

),

-- One row per (record, field) that a touchpoint rule can read. Record attributes repeat on
-- every field row of the record. is_record_value marks the one row per record that holds the
-- value an analyst would write a rule for (a page view's path, else the record's only field):
-- int_candidate_values_counted counts those rows without grouping the records.
web_event_names as (

    select
        'web' as source_system,
        'web_event' as source_object,
        event_id as source_record_id,
        'event_name' as field,
        event_name as field_value,
        customer_id,
        event_at as occurred_at,
        session_id,
        revenue,
        cast(null as {{ dbt.type_string() }}) as account_id,
        _partition_date,
        _invocation_id as _row_signature,
        not coalesce({{ has_page_path }}, false) as is_record_value
    from {{ web_events }}

),

web_page_paths as (

    select
        'web' as source_system,
        'web_event' as source_object,
        event_id as source_record_id,
        'page_path' as field,
        page_path as field_value,
        customer_id,
        event_at as occurred_at,
        session_id,
        revenue,
        cast(null as {{ dbt.type_string() }}) as account_id,
        _partition_date,
        _invocation_id as _row_signature,
        true as is_record_value
    from {{ web_events }}
    where {{ has_page_path }}

),

opportunity_stages as (

    select
        'crm' as source_system,
        'opportunity_history' as source_object,
        stage_changes.opportunity_stage_change_id as source_record_id,
        'opportunity_stage' as field,
        stage_changes.stage_name as field_value,
        contacts.customer_id,
        stage_changes.changed_at as occurred_at,
        cast(null as {{ dbt.type_string() }}) as session_id,
        stage_changes.amount as revenue,
        opportunities.account_id
    from stage_changes
    left join opportunities
        on stage_changes.opportunity_id_15 = opportunities.opportunity_id_15
    left join primary_contact_roles
        on stage_changes.opportunity_id_15 = primary_contact_roles.opportunity_id_15
    left join contacts
        on
            coalesce(opportunities.contact_id_15, primary_contact_roles.contact_id_15)
            = contacts.contact_id_15

),

-- An opportunity without any OpportunityHistory row (say, migrated from another CRM) still
-- gives its created and closed stages from its own row: the first stage of the sales process
-- (var cjm_opportunity_first_stage) at CreatedDate, and its StageName at CloseDate (midnight
-- UTC, never before CreatedDate) when it is won or in a closed stage (var
-- cjm_closed_opportunity_stages). Their record ids are the opportunity's with `:created` /
-- `:closed`, so each is one touchpoint occurrence.
opportunities_with_history as (

    select distinct opportunity_id_15
    from stage_changes

),

opportunities_without_history as (

    select
        opportunities.*,
        coalesce(
            opportunities.is_won
            or opportunities.stage_name in (
                {%- for stage in var('cjm_closed_opportunity_stages') %}
                    '{{ stage }}'{{ ',' if not loop.last }}
                {%- endfor %}
            ),
            false
        ) as is_closed
    from opportunities
    left join opportunities_with_history
        on opportunities.opportunity_id_15 = opportunities_with_history.opportunity_id_15
    where opportunities_with_history.opportunity_id_15 is null

),

opportunity_row_stages as (

    select
        opportunity_id || ':created' as source_record_id,
        opportunity_id_15,
        contact_id_15,
        account_id,
        '{{ var("cjm_opportunity_first_stage") }}' as stage_name,
        created_at as occurred_at,
        amount
    from opportunities_without_history

    union all

    select
        opportunity_id || ':closed' as source_record_id,
        opportunity_id_15,
        contact_id_15,
        account_id,
        stage_name,
        case
            when cast(close_date as timestamp) > created_at or created_at is null
                then cast(close_date as timestamp)
            else created_at
        end as occurred_at,
        amount
    from opportunities_without_history
    where is_closed and close_date is not null

),

opportunity_row_candidates as (

    select
        'crm' as source_system,
        'opportunity' as source_object,
        opportunity_row_stages.source_record_id,
        'opportunity_stage' as field,
        opportunity_row_stages.stage_name as field_value,
        contacts.customer_id,
        opportunity_row_stages.occurred_at,
        cast(null as {{ dbt.type_string() }}) as session_id,
        opportunity_row_stages.amount as revenue,
        opportunity_row_stages.account_id
    from opportunity_row_stages
    left join primary_contact_roles
        on opportunity_row_stages.opportunity_id_15 = primary_contact_roles.opportunity_id_15
    left join contacts
        on
            coalesce(opportunity_row_stages.contact_id_15, primary_contact_roles.contact_id_15)
            = contacts.contact_id_15

),

case_origins as (

    select
        'crm' as source_system,
        'case' as source_object,
        cases.case_id as source_record_id,
        'case_origin' as field,
        cases.case_origin as field_value,
        contacts.customer_id,
        cases.created_at as occurred_at,
        cast(null as {{ dbt.type_string() }}) as session_id,
        cast(null as double) as revenue,
        cases.account_id
    from cases
    left join contacts
        on cases.contact_id_15 = contacts.contact_id_15

),

crm_unioned as (

    select * from opportunity_stages
    union all
    select * from opportunity_row_candidates
    union all
    select * from case_origins

),

-- CRM records are partitioned by the day they occurred ('crm:YYYY-MM-DD'); their signature is
-- a hash of their content, so a record that changed (another customer, stage, time or amount)
-- rebuilds its day downstream.
crm_records as (

    select
        *,
        'crm:' || coalesce(
            cast(cast(occurred_at as date) as {{ dbt.type_string() }}), ''
        ) as _partition_date,
        {{ row_signature([
            'source_object', 'source_record_id', 'field', 'field_value', 'customer_id',
            'occurred_at', 'revenue', 'account_id',
        ]) }} as _row_signature,
        true as is_record_value
    from crm_unioned

),

unioned as (

    select * from web_event_names
    union all
    select * from web_page_paths
    union all
    select * from crm_records

)

select * from unioned
