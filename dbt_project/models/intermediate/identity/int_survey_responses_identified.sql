with

responses as (

    select * from {{ ref('stg_survey__responses') }}

),

contacts as (

    select * from {{ ref('int_contacts_deduplicated') }}

),

-- Each e-mail belongs to exactly one customer (contacts are merged by e-mail). Both sides
-- hold the salted hash that ingestion made with one normalisation rule, so they match.
contact_emails as (

    select distinct
        email_sha256,
        customer_id
    from contacts
    where email_sha256 is not null

),

-- The contact id in ExternalReference wins; the recipient's e-mail is the fallback.
final as (

    select
        responses.response_id,
        coalesce(
            contacts_by_reference.customer_id, contact_emails.customer_id
        ) as customer_id,
        case
            when contacts_by_reference.customer_id is not null then 'external_reference'
            when contact_emails.customer_id is not null then 'recipient_email'
        end as identified_by
    from responses
    left join contacts as contacts_by_reference
        on responses.external_reference_15 = contacts_by_reference.contact_id_15
    left join contact_emails
        on responses.recipient_email_sha256 = contact_emails.email_sha256

)

select * from final
