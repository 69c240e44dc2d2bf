with

responses as (

    select * from {{ ref('fct_survey_responses') }}

),

touchpoint_occurrences as (

    select * from {{ ref('fct_touchpoints') }}

),

touchpoints as (

    select * from {{ ref('dim_touchpoints') }}

),

priority_matrix as (

    select * from {{ ref('priority_matrix') }}

),

metric_settings as (

    select * from {{ ref('metric_settings') }}

),

-- Valid NPS answers of known customers: who said what, and when.
rated as (

    select
        survey_response_id,
        customer_id,
        responded_at,
        nps_category
    from responses
    where is_valid_response and nps_category is not null and customer_id is not null

),

first_occurrences as (

    select
        customer_id,
        touchpoint_id,
        min(occurred_at) as first_occurred_at
    from touchpoint_occurrences
    where customer_id is not null
    group by customer_id, touchpoint_id

),

-- Every answer against every touchpoint: exposed when the customer experienced the
-- touchpoint before answering.
exposures as (

    select
        touchpoints.touchpoint_id,
        rated.nps_category,
        coalesce(first_occurrences.first_occurred_at < rated.responded_at, false) as is_exposed
    from rated
    cross join touchpoints
    left join first_occurrences
        on
            rated.customer_id = first_occurrences.customer_id
            and touchpoints.touchpoint_id = first_occurrences.touchpoint_id

),

counted as (

    select
        touchpoint_id,
        count(case when is_exposed then 1 end) as exposed_responses,
        count(case when is_exposed and nps_category = 'promoter' then 1 end)
            as exposed_promoters,
        count(case when is_exposed and nps_category = 'detractor' then 1 end)
            as exposed_detractors,
        count(case when not is_exposed then 1 end) as unexposed_responses,
        count(case when not is_exposed and nps_category = 'promoter' then 1 end)
            as unexposed_promoters,
        count(case when not is_exposed and nps_category = 'detractor' then 1 end)
            as unexposed_detractors,
        count(*) as responses,
        count(case when nps_category = 'promoter' then 1 end) as promoters,
        count(case when nps_category = 'detractor' then 1 end) as detractors
    from exposures
    group by touchpoint_id

),

occurrences as (

    select
        touchpoint_id,
        count(*) as occurrences,
        count(distinct customer_id) as customers
    from touchpoint_occurrences
    group by touchpoint_id

),

-- The difference of two independent NPS values, its standard error and a two-sided z test.
compared as (

    select
        *,
        {{ nps('exposed_promoters', 'exposed_detractors', 'exposed_responses') }}
            as nps_exposed,
        {{ nps('unexposed_promoters', 'unexposed_detractors', 'unexposed_responses') }}
            as nps_not_exposed,
        {{ nps('promoters', 'detractors', 'responses') }} as nps_overall,
        sqrt(
            {{ nps_variance('exposed_promoters', 'exposed_detractors', 'exposed_responses') }}
            / nullif(cast(exposed_responses as double), 0)
            + {{ nps_variance(
                'unexposed_promoters', 'unexposed_detractors', 'unexposed_responses'
            ) }}
            / nullif(cast(unexposed_responses as double), 0)
        ) as difference_std_error
    from counted

),

tested as (

    select
        *,
        nps_exposed - nps_not_exposed as nps_difference,
        (nps_exposed - nps_not_exposed) / nullif(difference_std_error, 0) as z_statistic
    from compared

),

classified as (

    select
        *,
        nps_difference - 1.96 * difference_std_error as difference_ci_low,
        nps_difference + 1.96 * difference_std_error as difference_ci_high,
        {{ two_sided_p_value('z_statistic') }} as p_value,
        coalesce(abs(z_statistic) > 1.96, false) as is_significant,
        case when coalesce(abs(z_statistic) > 1.96, false) then 'high' else 'low' end
            as importance,
        case when nps_exposed >= nps_overall then 'high' else 'low' end as performance
    from tested

),

final as (

    -- the rank is cast to bigint (Spark's row_number is an int); ST06 takes a cast for a
    -- simple column and would move it before the calculations
    select  -- noqa: ST06
        touchpoints.touchpoint_id,
        touchpoints.touchpoint_name,
        touchpoints.phase_id,
        touchpoints.journey_id,
        touchpoints.owner,
        touchpoints.is_moment_that_matters,
        classified.responses,
        classified.exposed_responses,
        classified.unexposed_responses,
        classified.nps_exposed,
        classified.nps_not_exposed,
        classified.nps_overall,
        classified.nps_difference,
        classified.difference_ci_low,
        classified.difference_ci_high,
        classified.z_statistic,
        classified.p_value,
        classified.is_significant,
        classified.importance,
        classified.performance,
        priority_matrix.quadrant,
        priority_matrix.action,
        coalesce(occurrences.occurrences, 0) as occurrences,
        coalesce(occurrences.customers, 0) as customers,
        cast(classified.exposed_responses as double)
        / nullif(cast(classified.responses as double), 0) as exposed_share,
        coalesce(
            classified.exposed_responses >= metric_settings.min_reportable_n
            and classified.unexposed_responses >= metric_settings.min_reportable_n,
            false
        ) as is_reportable,
        cast(row_number() over (
            order by
                touchpoints.is_moment_that_matters desc,
                classified.is_significant desc,
                abs(coalesce(classified.nps_difference, 0)) desc,
                touchpoints.touchpoint_id
        ) as bigint) as priority_rank
    from touchpoints
    inner join classified
        on touchpoints.touchpoint_id = classified.touchpoint_id
    left join occurrences
        on touchpoints.touchpoint_id = occurrences.touchpoint_id
    left join priority_matrix
        on
            classified.importance = priority_matrix.importance
            and classified.performance = priority_matrix.performance
    left join metric_settings
        on metric_settings.metric = 'nps'

)

select * from final
