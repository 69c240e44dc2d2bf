{%- set period_grains = ['day', 'all'] -%}

with

web_events as (

    select * from {{ ref('stg_web__events') }}

),

web_browsers as (

    select * from {{ ref('int_web_users_stitched') }}

),

survey_responses as (

    select * from {{ ref('stg_survey__responses') }}

),

survey_identities as (

    select * from {{ ref('int_survey_responses_identified') }}

),

contacts as (

    select * from {{ ref('int_contacts_deduplicated') }}

),

-- One row per source record with how it reached a known customer (or did not). A web event
-- counts as known when its browser belongs to a CRM customer: through a user_id on the event
-- itself, or because the same browser logged in at another time (the browser is stitched).
records as (

    select
        'web' as source_system,
        web_events.event_at as seen_at,
        case
            when web_browsers.is_stitched and web_events.user_id is not null then 'ga_user_id'
            when web_browsers.is_stitched then 'stitched_browser'
            when web_events.user_id is not null then 'unmatched_user_id'
            else 'anonymous'
        end as identified_by,
        coalesce(web_browsers.is_stitched, false) as is_known_customer
    from web_events
    left join web_browsers
        on web_events.user_pseudo_id = web_browsers.user_pseudo_id

    union all

    select
        'survey' as source_system,
        coalesce(survey_responses.recorded_at, survey_responses.started_at) as seen_at,
        coalesce(survey_identities.identified_by, 'anonymous') as identified_by,
        survey_identities.customer_id is not null as is_known_customer
    from survey_responses
    left join survey_identities
        on survey_responses.response_id = survey_identities.response_id

    union all

    select
        'crm' as source_system,
        created_at as seen_at,
        case when is_master_contact then 'crm_contact_id' else 'email_merge' end
            as identified_by,
        true as is_known_customer
    from contacts

),

periods as (

    {{ rows_per_period('records', 'seen_at', period_grains) }}

),

counted as (

    select
        source_system,
        period_grain,
        period_start,
        identified_by,
        is_known_customer,
        count(*) as records
    from periods
    where seen_at is not null or period_grain = 'all'
    group by source_system, period_grain, period_start, identified_by, is_known_customer

),

final as (

    select
        source_system,
        period_grain,
        period_start,
        identified_by,
        is_known_customer,
        records,
        records / sum(records) over (
            partition by source_system, period_grain, period_start
        ) as share_of_records
    from counted

)

select * from final
