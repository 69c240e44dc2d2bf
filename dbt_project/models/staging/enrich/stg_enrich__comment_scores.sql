with

source as (

    select * from {{ source('enrich', 'comment_scores') }}

),

-- The scoring asset scores every comment with the current model and themes versions, then
-- deletes other versions; should a run stop in between, the latest row is the current one.
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
