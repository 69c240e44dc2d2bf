with

source as (

    select * from {{ source('crm', 'crm_opportunities') }}

),

renamed as (

    select
        ----------  ids
        {{ salesforce_id_18('id') }} as opportunity_id,
        {{ salesforce_id_15('id') }} as opportunity_id_15,
        {{ salesforce_id_18('accountid') }} as account_id,
        {{ salesforce_id_15('accountid') }} as account_id_15,
        {{ salesforce_id_18('contactid') }} as contact_id,
        {{ salesforce_id_15('contactid') }} as contact_id_15,

        ----------  text
        stagename as stage_name,
        type as opportunity_type,

        ----------  numbers
        {{ text_to_double(decimal_text('amount')) }} as amount,

        ----------  booleans
        {{ to_boolean('iswon') }} as is_won,
        {{ to_boolean('isdeleted') }} as is_deleted,

        ----------  dates and timestamps
        {{ parse_date('closedate', '%Y-%m-%d') }} as close_date,
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

    {{ latest_live_copy('renamed', 'opportunity_id_15') }}

)

select * from latest
