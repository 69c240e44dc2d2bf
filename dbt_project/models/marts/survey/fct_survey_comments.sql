-- One row per valid survey response with a comment, with what the comment says: language,
-- sentiment and themes, scored by the Python asset `survey_comment_scores` (enrich.*).
with

responses as (

    select * from {{ ref('fct_survey_responses') }}

),

fingerprints as (

    select * from {{ ref('stg_enrich__comment_fingerprints') }}

),

scores as (

    select * from {{ ref('stg_enrich__comment_scores') }}

),

theme_matches as (

    select * from {{ ref('stg_enrich__comment_theme_matches') }}

),

commented as (

    select * from responses
    where is_valid_response and nullif(trim(comment), '') is not null

),

-- The themes of each current score, best first, as one text ('price, billing').
theme_lists as (

    select
        theme_matches.comment_fingerprint,
        {{ dbt.listagg(
            'theme_matches.theme_id',
            "', '",
            'order by theme_matches.theme_score desc, theme_matches.theme_id'
        ) }} as theme_ids,
        count(*) as themes_mentioned
    from theme_matches
    inner join scores
        on
            theme_matches.comment_fingerprint = scores.comment_fingerprint
            and theme_matches.model_version = scores.model_version
            and theme_matches.themes_version = scores.themes_version
    group by theme_matches.comment_fingerprint

),

final as (

    select
        commented.survey_response_id,
        commented.survey_name,
        commented.customer_id,
        commented.touchpoint_id,
        commented.phase_id,
        commented.journey_id,
        commented.channel,
        commented.responded_at,
        commented.responded_date,
        commented.nps_score,
        commented.nps_category,
        commented.comment,
        fingerprints.comment_fingerprint,
        scores.language as detected_language,
        scores.language_probability,
        scores.sentiment_label,
        scores.sentiment_score,
        scores.primary_theme_id,
        theme_lists.theme_ids,
        scores.model_version,
        scores.themes_version,
        cast(coalesce(theme_lists.themes_mentioned, 0) as integer) as themes_mentioned,
        -- Very short answers ('ok', 'n/a') say little about their language: below an even
        -- chance the language the respondent took the survey in is used instead.
        case
            when scores.language_probability >= 0.5 then scores.language
            when lower(commented.user_language) in ('de', 'en')
                then lower(commented.user_language)
            else scores.language
        end as comment_language
    from commented
    left join fingerprints
        on {{ dbt.hash('commented.comment') }} = fingerprints.text_md5
    left join scores
        on fingerprints.comment_fingerprint = scores.comment_fingerprint
    left join theme_lists
        on scores.comment_fingerprint = theme_lists.comment_fingerprint

)

select * from final
