{%- set period_grains = ['day', 'week', 'month', 'all'] -%}

-- Theme x scope (overall, touchpoint) x period: how often a theme is mentioned, how often in
-- a negative comment, and the NPS of the respondents who mention it.
with

comments as (

    select * from {{ ref('fct_survey_comments') }}

),

theme_matches as (

    select * from {{ ref('stg_enrich__comment_theme_matches') }}

),

themes as (

    select * from {{ ref('comment_themes') }}

),

-- One row per comment and theme it mentions (a comment may mention several).
mentions as (

    select
        comments.survey_response_id,
        comments.touchpoint_id,
        comments.responded_at,
        comments.nps_category,
        comments.sentiment_label,
        theme_matches.theme_id
    from comments
    inner join theme_matches
        on
            comments.comment_fingerprint = theme_matches.comment_fingerprint
            and comments.model_version = theme_matches.model_version
            and comments.themes_version = theme_matches.themes_version

),

scoped as (

    select
        'overall' as scope_type,
        'all' as scope_id,
        mentions.*
    from mentions

    union all

    select
        'touchpoint' as scope_type,
        touchpoint_id as scope_id,
        mentions.*
    from mentions
    where touchpoint_id is not null

),

periods as (

    {{ rows_per_period('scoped', 'responded_at', period_grains) }}

),

counted as (

    select
        period_grain,
        period_start,
        scope_type,
        scope_id,
        theme_id,
        count(case when sentiment_label = 'negative' then 1 end) as negative_mentions,
        count(case when sentiment_label = 'positive' then 1 end) as positive_mentions,
        count(case when nps_category is not null then 1 end) as nps_responses,
        count(case when nps_category = 'promoter' then 1 end) as promoters,
        count(case when nps_category = 'detractor' then 1 end) as detractors,
        count(*) as mentions
    from periods
    group by period_grain, period_start, scope_type, scope_id, theme_id

),

final as (

    select
        counted.period_grain,
        counted.period_start,
        counted.scope_type,
        counted.scope_id,
        counted.theme_id,
        themes.theme_name,
        counted.mentions,
        counted.negative_mentions,
        counted.positive_mentions,
        counted.nps_responses,
        counted.promoters,
        counted.detractors,
        cast(counted.negative_mentions as double)
        / cast(counted.mentions as double) as share_negative,
        {{ nps('counted.promoters', 'counted.detractors', 'counted.nps_responses') }} as nps
    from counted
    left join themes
        on counted.theme_id = themes.theme_id

)

select * from final
