with

source as (

    select * from {{ source('crm', 'crm_cases') }}

),

renamed as (

    select
        ----------  ids
        {{ salesforce_id_18('id') }} as case_id,
        {{ salesforce_id_15('id') }} as case_id_15,
        {{ salesforce_id_18('contactid') }} as contact_id,
        {{ salesforce_id_15('contactid') }} as contact_id_15,
        {{ salesforce_id_18('accountid') }} as account_id,
        {{ salesforce_id_15('accountid') }} as account_id_15,

        ----------  text
        origin as case_origin,
        status as case_status,
        type as case_type,
        reason as case_reason,

        ----------  booleans
        {{ to_boolean('isclosed') }} as is_closed,
        {{ to_boolean('isdeleted') }} as is_deleted,

        ----------  timestamps
        {{ iso_timestamp_to_utc('createddate') }} as created_at,
        {{ iso_timestamp_to_utc('closeddate') }} as closed_at,

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

    {{ latest_live_copy('renamed', 'case_id_15') }}

)

select * from latest
