with

source as (

    select * from {{ source('crm', 'crm_contacts') }}

),

renamed as (

    select
        ----------  ids
        {{ salesforce_id_18('id') }} as contact_id,
        {{ salesforce_id_15('id') }} as contact_id_15,
        {{ salesforce_id_18('accountid') }} as account_id,
        {{ salesforce_id_15('accountid') }} as account_id_15,

        ----------  text (personal data: stays in staging and intermediate, never in marts)
        nullif(lower(trim(email)), '') as email,
        {{ sha256("nullif(lower(trim(email)), '')") }} as email_sha256,

        ----------  timestamps
        {{ iso_timestamp_to_utc('createddate') }} as created_at,

        ----------  lineage
        _load_id,
        _source_file,
        _source_row,
        _loaded_at

    from source

)

select * from renamed
