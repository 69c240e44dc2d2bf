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
