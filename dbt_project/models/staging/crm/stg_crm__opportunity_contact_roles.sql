with

source as (

    select * from {{ source('crm', 'crm_opportunity_contact_roles') }}

),

renamed as (

    select
        ----------  ids
        {{ salesforce_id_18('id') }} as opportunity_contact_role_id,
        {{ salesforce_id_15('id') }} as opportunity_contact_role_id_15,
        {{ salesforce_id_18('opportunityid') }} as opportunity_id,
        {{ salesforce_id_15('opportunityid') }} as opportunity_id_15,
        {{ salesforce_id_18('contactid') }} as contact_id,
        {{ salesforce_id_15('contactid') }} as contact_id_15,

        ----------  text
        role as contact_role,

        ----------  booleans
        {{ to_boolean('isprimary') }} as is_primary,
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

    {{ latest_live_copy('renamed', 'opportunity_contact_role_id_15') }}

)

select * from latest
