with

contacts as (

    select * from {{ ref('int_contacts_deduplicated') }}

),

web_users as (

    select * from {{ ref('int_web_users_stitched') }}

),

events as (

    select * from {{ ref('stg_web__events') }}

),

contact_ids as (

    select
        'crm_contact_id' as identity_type,
        contact_id as identity_value,
        customer_id
    from contacts

),

emails as (

    select distinct
        'email_sha256' as identity_type,
        email_sha256 as identity_value,
        customer_id
    from contacts
    where email_sha256 is not null

),

-- GA4 user_ids that resolve to a CRM contact; a user_id that no contact has stays out.
web_user_ids as (

    select distinct
        'ga_user_id' as identity_type,
        events.user_id as identity_value,
        contacts.customer_id
    from events
    inner join contacts
        on events.user_id_15 = contacts.contact_id_15

),

web_pseudo_ids as (

    select
        'ga_user_pseudo_id' as identity_type,
        user_pseudo_id as identity_value,
        customer_id
    from web_users

),

unioned as (

    select * from contact_ids
    union all
    select * from emails
    union all
    select * from web_user_ids
    union all
    select * from web_pseudo_ids

),

final as (

    select
        {{ generate_surrogate_key(['identity_type', 'identity_value']) }} as identity_id,
        identity_type,
        identity_value,
        customer_id,
        customer_id not like 'anon-%' as is_known_contact
    from unioned

)

select * from final
