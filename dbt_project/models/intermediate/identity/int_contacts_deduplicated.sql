with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

-- Contacts with the same e-mail (the same salted hash: ingestion hashes the lower-cased,
-- trimmed address) are one person loaded twice: the contact created first is the master
-- (tie: smallest Id). Contacts without an e-mail are their own master.
ranked as (

    select
        *,
        first_value(contact_id) over (
            partition by email_sha256
            order by created_at asc nulls last, contact_id asc
            rows between unbounded preceding and unbounded following
        ) as master_contact_id_by_email
    from contacts

),

final as (

    select
        contact_id,
        contact_id_15,
        account_id,
        account_id_15,
        email_sha256,
        lead_source,
        created_at,
        case
            when email_sha256 is null then contact_id
            else master_contact_id_by_email
        end as customer_id,
        coalesce(
            email_sha256 is null or contact_id = master_contact_id_by_email, false
        ) as is_master_contact
    from ranked

)

select * from final
