with

source as (

    select * from {{ source('enrich', 'comment_scores') }}

),

-- The cache keeps the scores of earlier model and themes versions; every run scores all
-- comments with the current versions first, so the latest row of a fingerprint is current.
ranked as (

    select
        *,
        row_number() over (
            partition by comment_fingerprint
            order by scored_at desc, model_version desc, themes_version desc
        ) as score_rank
    from source

),

renamed as (

    select
        -- ids
        comment_fingerprint,
        model_version,
        themes_version,

        -- categories
        language,
        sentiment_label,
        primary_theme_id,

        -- numbers
        language_probability,
        sentiment_score,

        -- timestamps
        scored_at

    from ranked
    where score_rank = 1

)

select * from renamed
