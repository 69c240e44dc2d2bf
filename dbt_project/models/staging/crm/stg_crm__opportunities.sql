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

        ----------  numbers
        cast(amount as double) as amount,

        ----------  booleans
        {{ to_boolean('iswon') }} as is_won,

        ----------  dates and timestamps
        cast(closedate as date) as close_date,
        {{ iso_timestamp_to_utc('createddate') }} as created_at,

        ----------  lineage
        _load_id,
        _source_file,
        _source_row,
        _loaded_at

    from source

)

select * from renamed
