with

source as (

    select * from {{ source('enrich', 'comment_fingerprints') }}

),

renamed as (

    select
        -- ids
        text_md5,
        comment_fingerprint,

        -- timestamps
        first_seen_at

    from source

)

select * from renamed
