{#-
    Which touchpoints, channels and personas go with conversion and which with drop-off. Per
    goal and compared value, the 2x2 table converters / others x exposed / not exposed:
      a = converters exposed, b = converters not exposed,
      c = others exposed,     d = others not exposed.
    Odds ratio (a d) / (b c) with Woolf's 95% interval exp(ln OR -/+ 1.96 se),
    se = sqrt(1/a + 1/b + 1/c + 1/d); when a cell is 0, 0.5 is added to all four cells
    (Haldane-Anscombe). Wald z = ln OR / se, two-sided p-value; Holm's step-down correction
    over the tested comparisons of the goal (family-wise error 5%).
-#}
with

counts as (

    select * from {{ ref('int_conversion_exposures_counted') }}

),

cells as (

    select
        *,
        converters_exposed as cell_a,
        non_converters_exposed as cell_c,
        converters - converters_exposed as cell_b,
        non_converters - non_converters_exposed as cell_d,
        -- a comparison needs both outcomes and both exposures
        (
            converters > 0 and non_converters > 0
            and converters_exposed + non_converters_exposed > 0
            and converters_exposed + non_converters_exposed < converters + non_converters
        ) as is_tested
    from counts

),

corrected as (

    select
        *,
        least(cell_a, cell_b, cell_c, cell_d) = 0 as has_zero_cell,
        cast(cell_a as double)
        + case when least(cell_a, cell_b, cell_c, cell_d) = 0 then 0.5 else 0.0 end as a_used,
        cast(cell_b as double)
        + case when least(cell_a, cell_b, cell_c, cell_d) = 0 then 0.5 else 0.0 end as b_used,
        cast(cell_c as double)
        + case when least(cell_a, cell_b, cell_c, cell_d) = 0 then 0.5 else 0.0 end as c_used,
        cast(cell_d as double)
        + case when least(cell_a, cell_b, cell_c, cell_d) = 0 then 0.5 else 0.0 end as d_used
    from cells

),

estimated as (

    select
        *,
        case
            when is_tested then ln(a_used * d_used / (b_used * c_used))
        end as log_odds_ratio,
        case
            when is_tested then sqrt(1.0 / a_used + 1.0 / b_used + 1.0 / c_used + 1.0 / d_used)
        end as log_odds_ratio_std_error
    from corrected

),

tested as (

    select
        *,
        log_odds_ratio / log_odds_ratio_std_error as z_statistic,
        {{ two_sided_p_value('log_odds_ratio / log_odds_ratio_std_error') }} as p_value
    from estimated

),

-- Holm: the k-th smallest of m p-values is multiplied by (m - k + 1); the adjusted values are
-- made monotone (running maximum) and capped at 1.
ranked as (

    select
        *,
        count(case when is_tested then 1 end) over (
            partition by analysis_type, analysis_id
        ) as comparisons,
        case
            when is_tested
                then row_number() over (
                    partition by analysis_type, analysis_id, is_tested
                    order by p_value, dimension, dimension_value
                )
        end as p_value_rank
    from tested

),

adjusted as (

    select
        *,
        case
            when is_tested
                then least(
                    1.0,
                    max((comparisons - p_value_rank + 1) * p_value) over (
                        partition by analysis_type, analysis_id, is_tested
                        order by p_value_rank
                        rows between unbounded preceding and current row
                    )
                )
        end as p_value_adjusted
    from ranked

),

final as (

    -- the rank is cast to bigint (Spark's row_number is an int); ST06 takes a cast for a
    -- simple column and would move it before the calculations
    select  -- noqa: ST06
        analysis_type,
        analysis_id,
        dimension,
        dimension_value,
        converters,
        non_converters,
        converters_exposed,
        non_converters_exposed,
        is_tested,
        has_zero_cell,
        log_odds_ratio,
        log_odds_ratio_std_error,
        z_statistic,
        p_value,
        comparisons,
        p_value_adjusted,
        cast(converters_exposed as double) / nullif(cast(converters as double), 0)
            as share_converters,
        cast(non_converters_exposed as double) / nullif(cast(non_converters as double), 0)
            as share_non_converters,
        exp(log_odds_ratio) as odds_ratio,
        exp(log_odds_ratio - 1.96 * log_odds_ratio_std_error) as odds_ratio_ci_low,
        exp(log_odds_ratio + 1.96 * log_odds_ratio_std_error) as odds_ratio_ci_high,
        coalesce(p_value_adjusted < 0.05, false) as is_significant,
        case
            when log_odds_ratio > 0 then 'conversion'
            when log_odds_ratio < 0 then 'drop_off'
        end as direction,
        cast(row_number() over (
            partition by analysis_type, analysis_id
            order by
                coalesce(p_value_adjusted < 0.05, false) desc,
                is_tested desc,
                abs(coalesce(log_odds_ratio, 0)) desc,
                dimension asc,
                dimension_value asc
        ) as bigint) as driver_rank
    from adjusted

)

select * from final
