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

        ----------  text (raw holds the salted hash of the e-mail; the address is in pii)
        nullif(lower(trim(email)), '') as email_sha256,
        nullif(trim(leadsource), '') as lead_source,

        ----------  booleans
        {{ to_boolean('isdeleted') }} as is_deleted,

        ----------  timestamps
        {{ iso_timestamp_to_utc('createddate') }} as created_at,

        ----------  lineage
        _load_id,
        _source_file,
        _source_row,
        _loaded_at

    from source

),

-- One row per record: the copy loaded last (15- and 18-character ids are one record), left out
-- when that copy says IsDeleted = true (macros/crm_records.sql).
latest as (

    {{ latest_live_copy('renamed', 'contact_id_15') }}

)

select * from latest
