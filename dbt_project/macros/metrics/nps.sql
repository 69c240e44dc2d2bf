{#-
    Net Promoter Score. Scores 9-10 are promoters, 7-8 passives, 0-6 detractors;
    NPS = 100 * (promoters - detractors) / responses, in [-100, 100], NULL without responses.
-#}

{#- 'promoter', 'passive' or 'detractor' for a 0-10 score; NULL for NULL or out-of-range. -#}
{% macro nps_category(score) -%}
    case
        when {{ score }} between 9 and 10 then 'promoter'
        when {{ score }} between 7 and 8 then 'passive'
        when {{ score }} between 0 and 6 then 'detractor'
    end
{%- endmacro %}


{#- NPS from counts, as DOUBLE. -#}
{% macro nps(promoters, detractors, responses) -%}
    case
        when {{ responses }} > 0
            then
                100.0 * cast({{ promoters }} - {{ detractors }} as double)
                / cast({{ responses }} as double)
    end
{%- endmacro %}


{#-
    Bound of the adjusted-Wald interval for NPS (`bound` 'low' or 'high'), as DOUBLE:
      n' = n + 3; pp = (promoters + 0.75) / n'; pd = (detractors + 0.75) / n';
      nps' = pp - pd; se = sqrt((pp + pd - (pp - pd)^2) / n');
      bound = 100 * (nps' -/+ z * se), clamped to [-100, 100].
    z = 1.96 gives the 95% interval. The interval is centred on the adjusted nps', so a single
    response (NPS +-100) lies just outside it (+-98.5); from two responses on it contains NPS.
-#}
{% macro nps_adjusted_wald_bound(promoters, detractors, responses, bound, z=1.96) -%}
    {%- if bound not in ('low', 'high') -%}
        {{ exceptions.raise_compiler_error("bound must be 'low' or 'high', got " ~ bound) }}
    {%- endif -%}
    {%- set n_adj = "(cast(" ~ responses ~ " as double) + 3.0)" -%}
    {%- set p_promoters = "((cast(" ~ promoters ~ " as double) + 0.75) / " ~ n_adj ~ ")" -%}
    {%- set p_detractors = "((cast(" ~ detractors ~ " as double) + 0.75) / " ~ n_adj ~ ")" -%}
    {%- set nps_adj = "(" ~ p_promoters ~ " - " ~ p_detractors ~ ")" -%}
    {%- set std_error -%}
        sqrt(({{ p_promoters }} + {{ p_detractors }} - {{ nps_adj }} * {{ nps_adj }}) / {{ n_adj }})
    {%- endset -%}
    case
        when {{ responses }} > 0
            then {{ 'greatest' if bound == 'low' else 'least' }}(
                {{ '-100.0' if bound == 'low' else '100.0' }},
                100.0 * ({{ nps_adj }} {{ "-" if bound == "low" else "+" }} cast({{ z }} as double) * {{ std_error }})
            )
    end
{%- endmacro %}
