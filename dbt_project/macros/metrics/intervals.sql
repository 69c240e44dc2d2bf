{#-
    95% intervals and tests for the survey metrics (agg_survey_metrics, agg_kpi_target_vs_actual,
    agg_moments_that_matter). Every macro returns a DOUBLE expression, NULL where the statistic
    is undefined (no observations, no variance).
-#}

{#-
    Bound of the Wilson score interval of a proportion successes / n (`bound` 'low' or 'high'),
    as a proportion in [0, 1]:
      centre = (p + z^2 / 2n) / (1 + z^2 / n)
      half   = z * sqrt(p (1 - p) / n + z^2 / 4n^2) / (1 + z^2 / n)
-#}
{% macro wilson_bound(successes, n, bound, z=1.96) -%}
    {%- if bound not in ('low', 'high') -%}
        {{ exceptions.raise_compiler_error("bound must be 'low' or 'high', got " ~ bound) }}
    {%- endif -%}
    {%- set n_d = "cast(" ~ n ~ " as double)" -%}
    {%- set p = "(cast(" ~ successes ~ " as double) / " ~ n_d ~ ")" -%}
    {%- set z2 = "(cast(" ~ z ~ " as double) * cast(" ~ z ~ " as double))" -%}
    case
        when {{ n }} > 0
            then (
                ({{ p }} + {{ z2 }} / (2.0 * {{ n_d }}))
                {{ "-" if bound == "low" else "+" }} cast({{ z }} as double) * sqrt(
                    {{ p }} * (1.0 - {{ p }}) / {{ n_d }}
                    + {{ z2 }} / (4.0 * {{ n_d }} * {{ n_d }})
                )
            ) / (1.0 + {{ z2 }} / {{ n_d }})
    end
{%- endmacro %}


{#-
    The 97.5% quantile of Student's t distribution with `df` degrees of freedom (the factor of
    a two-sided 95% interval): exact table values up to 30 degrees of freedom, above that the
    Cornish-Fisher expansion around z = 1.959964 (error below 1e-5 from df = 30 on).
-#}
{% macro t_quantile_975(df) -%}
    {%- set table = [12.7062047, 4.30265273, 3.18244631, 2.77644511, 2.57058184, 2.44691185,
        2.36462425, 2.30600414, 2.26215716, 2.22813885, 2.20098516, 2.17881283, 2.16036866,
        2.14478669, 2.13144955, 2.11990530, 2.10981558, 2.10092204, 2.09302405, 2.08596345,
        2.07961384, 2.07387307, 2.06865761, 2.06389856, 2.05953855, 2.05552944, 2.05183052,
        2.04840714, 2.04522964, 2.04227246] -%}
    {%- set z = 1.959963985 -%}
    case
        {%- for value in table %}
        when {{ df }} = {{ loop.index }} then {{ value }}
        {%- endfor %}
        when {{ df }} > {{ table | length }}
            then {{ z }}
            + ({{ z ** 3 + z }}) / (4.0 * {{ df }})
            + ({{ 5 * z ** 5 + 16 * z ** 3 + 3 * z }}) / (96.0 * power({{ df }}, 2))
            + ({{ 3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z }}) / (384.0 * power({{ df }}, 3))
    end
{%- endmacro %}


{#- Bound of the t interval of a mean from its n and sample standard deviation. -#}
{% macro mean_t_bound(mean, stddev, n, bound) -%}
    {%- if bound not in ('low', 'high') -%}
        {{ exceptions.raise_compiler_error("bound must be 'low' or 'high', got " ~ bound) }}
    {%- endif -%}
    case
        when {{ n }} > 1
            then {{ mean }} {{ "-" if bound == "low" else "+" }} {{ t_quantile_975(n ~ ' - 1') }}
            * {{ stddev }} / sqrt(cast({{ n }} as double))
    end
{%- endmacro %}


{#-
    Variance of one response's NPS contribution (+100 promoter, 0 passive, -100 detractor):
    100^2 * (pP + pD - (pP - pD)^2). The variance of an NPS from n responses is this / n.
-#}
{% macro nps_variance(promoters, detractors, n) -%}
    case
        when {{ n }} > 0
            then 10000.0 * (
                cast({{ promoters }} + {{ detractors }} as double) / cast({{ n }} as double)
                - power(
                    cast({{ promoters }} - {{ detractors }} as double) / cast({{ n }} as double),
                    2
                )
            )
    end
{%- endmacro %}


{#-
    Standard normal cumulative distribution function Phi(x), by the Zelen and Severo
    approximation (Abramowitz and Stegun 26.2.17; absolute error below 7.5e-8).
-#}
{% macro normal_cdf(x) -%}
    {%- set t = "(1.0 / (1.0 + 0.2316419 * abs(" ~ x ~ ")))" -%}
    (case when {{ x }} >= 0 then 1.0 else 0.0 end
    + (case when {{ x }} >= 0 then -1.0 else 1.0 end)
    * (exp(-0.5 * {{ x }} * {{ x }}) / sqrt(2.0 * pi()))
    * {{ t }} * (0.319381530 + {{ t }} * (-0.356563782 + {{ t }} * (1.781477937
    + {{ t }} * (-1.821255978 + {{ t }} * 1.330274429)))))
{%- endmacro %}


{#- Two-sided p-value of a z statistic: 2 * (1 - Phi(|z|)). -#}
{% macro two_sided_p_value(z) -%}
    (2.0 * (1.0 - {{ normal_cdf('abs(' ~ z ~ ')') }}))
{%- endmacro %}


{#-
    Sample standard deviation (n - 1 in the denominator) from whole-number sums: the sum of
    the scores and the sum of their squares. Sums of exact numbers do not depend on the order
    the rows are added in, so a resumed run gives the same last bit as a clean one. NULL for
    fewer than two scores; never negative (rounding cannot take the variance below 0).
-#}
{% macro stddev_from_sums(score_sum, score_square_sum, n) -%}
    case
        when {{ n }} > 1
            then sqrt(greatest(
                0.0,
                (
                    cast({{ score_square_sum }} as double)
                    - cast({{ score_sum }} as double) * cast({{ score_sum }} as double)
                    / cast({{ n }} as double)
                ) / cast({{ n }} - 1 as double)
            ))
    end
{%- endmacro %}
