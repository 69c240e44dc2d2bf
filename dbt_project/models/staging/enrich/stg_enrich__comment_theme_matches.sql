with

source as (

    select * from {{ source('enrich', 'comment_theme_matches') }}

),

renamed as (

    select
        -- ids
        comment_fingerprint,
        model_version,
        themes_version,
        theme_id,

        -- numbers
        theme_score,

        -- booleans
        is_primary

    from source

)

select * from renamed
