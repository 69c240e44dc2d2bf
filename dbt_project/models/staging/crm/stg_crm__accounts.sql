with

source as (

    select * from {{ source('crm', 'crm_accounts') }}

),

renamed as (

    select
        ----------  ids
        {{ salesforce_id_18('id') }} as account_id,
        {{ salesforce_id_15('id') }} as account_id_15,

        ----------  text
        name as account_name,
        nullif(trim(industry), '') as industry,
        nullif(trim(billingcountry), '') as billing_country,

        ----------  numbers
        {{ text_to_integer('numberofemployees') }} as number_of_employees,

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

    {{ latest_live_copy('renamed', 'account_id_15') }}

)

select * from latest
