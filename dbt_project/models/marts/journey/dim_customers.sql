with

contacts as (

    select * from {{ ref('int_contacts_deduplicated') }}

),

web_users as (

    select * from {{ ref('int_web_users_stitched') }}

),

customer_personas as (

    select * from {{ ref('int_customer_personas') }}

),

master_contacts as (

    select * from contacts
    where is_master_contact

),

merged_contacts as (

    select
        customer_id,
        min(created_at) as first_created_at,
        count(*) as crm_contacts
    from contacts
    group by customer_id

),

web_activity as (

    select
        customer_id,
        min(first_event_at) as first_event_at,
        count(*) as web_user_pseudo_ids
    from web_users
    group by customer_id

),

-- Every CRM contact is a known customer (duplicates by e-mail merged into the master).
known_customers as (

    select
        master_contacts.customer_id,
        master_contacts.contact_id as crm_contact_id,
        master_contacts.account_id as crm_account_id,
        master_contacts.email_sha256,
        least(
            coalesce(merged_contacts.first_created_at, web_activity.first_event_at),
            coalesce(web_activity.first_event_at, merged_contacts.first_created_at)
        ) as first_seen_at,
        true as is_known_contact,
        merged_contacts.crm_contacts,
        coalesce(web_activity.web_user_pseudo_ids, 0) as web_user_pseudo_ids
    from master_contacts
    inner join merged_contacts
        on master_contacts.customer_id = merged_contacts.customer_id
    left join web_activity
        on master_contacts.customer_id = web_activity.customer_id

),

-- A browser never seen with a (known) user_id is a customer of its own.
anonymous_customers as (

    select
        customer_id,
        cast(null as {{ dbt.type_string() }}) as crm_contact_id,
        cast(null as {{ dbt.type_string() }}) as crm_account_id,
        cast(null as {{ dbt.type_string() }}) as email_sha256,
        first_event_at as first_seen_at,
        false as is_known_contact,
        cast(0 as bigint) as crm_contacts,
        cast(1 as bigint) as web_user_pseudo_ids
    from web_users
    where not is_stitched

),

unioned as (

    select * from known_customers
    union all
    select * from anonymous_customers

),

final as (

    select
        unioned.customer_id,
        unioned.crm_contact_id,
        unioned.crm_account_id,
        unioned.email_sha256,
        unioned.first_seen_at,
        unioned.is_known_contact,
        unioned.crm_contacts,
        unioned.web_user_pseudo_ids,
        customer_personas.persona_id
    from unioned
    left join customer_personas
        on unioned.customer_id = customer_personas.customer_id

)

select * from final
