with

source as (

    select * from {{ source('crm', 'crm_opportunity_history') }}

),

renamed as (

    select
        ----------  ids
        {{ salesforce_id_18('id') }} as opportunity_stage_change_id,
        {{ salesforce_id_15('id') }} as opportunity_stage_change_id_15,
        {{ salesforce_id_18('opportunityid') }} as opportunity_id,
        {{ salesforce_id_15('opportunityid') }} as opportunity_id_15,

        ----------  text
        stagename as stage_name,

        ----------  numbers
        cast(amount as double) as amount,

        ----------  dates and timestamps
        cast(closedate as date) as close_date,
        {{ iso_timestamp_to_utc('createddate') }} as changed_at,

        ----------  lineage
        _load_id,
        _source_file,
        _source_row,
        _loaded_at

    from source

)

select * from renamed
