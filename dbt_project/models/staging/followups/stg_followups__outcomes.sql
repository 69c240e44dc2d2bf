with

source as (

    select * from {{ source('followups', 'follow_up_outcomes') }}

),

renamed as (

    select
        ----------  ids
        trim(follow_up_id) as follow_up_id,

        ----------  text
        lower(trim(status)) as status,
        nullif(trim(resolution), '') as resolution,

        ----------  timestamps
        {{ iso_timestamp_to_utc('closed_at') }} as closed_at,

        ----------  lineage
        _load_id,
        _source_file,
        _source_row,
        _loaded_at

    from source

),

-- The latest outcome of each follow-up: the row of the file loaded last (the ticketing tool
-- exports the current state; a later file supersedes an earlier one).
latest as (

    {{ latest_loaded_copy('renamed', 'follow_up_id') }}

)

select * from latest
