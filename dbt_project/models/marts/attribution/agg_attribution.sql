{#-
    fct_attribution summed per model, period (month of the conversion, or all time), scope
    (touchpoint or channel) and conversion type (each, and all). 'none' is the scope of the
    conversions without a touchpoint in the lookback.
-#}
{%- set month_start = 'cast(' ~ dbt.date_trunc('month', 'converted_at') ~ ' as date)' -%}
{%- set periods = [('all', 'cast(null as date)'), ('month', month_start)] -%}
{#- the same periods over conversion_scopes' month_start column -#}
{%- set monthly_periods = [('all', 'cast(null as date)'), ('month', 'month_start')] -%}
{%- set scopes = [
    ('touchpoint', "coalesce(touchpoint_id, 'none')"),
    ('channel', 'channel'),
] -%}
{%- set conversion_types = [('all', "'all'"), ('each', 'conversion_type')] -%}

with

attribution as (

    select * from {{ ref('fct_attribution') }}

),

-- Each conversion once per model and scope, with its touches and credit in that scope: a
-- conversion has one month and one conversion type, so the cuts below count conversions by
-- adding rows instead of a distinct count over every touch of every cut.
conversion_scopes as (

    {% for scope_type, scope_id in scopes -%}
        select
            model,
            {{ month_start }} as month_start,
            conversion_type,
            '{{ scope_type }}' as scope_type,
            {{ scope_id }} as scope_id,
            conversion_id,
            count(case when touch_position > 0 then 1 end) as touches,
            -- Sums of exact decimals, so that the result does not depend on the order DuckDB
            -- adds the rows in (a resumed run must give the same marts as a clean one).
            sum(cast(credit as decimal(38, 12))) as attributed_conversions,
            sum(cast(attributed_revenue as decimal(38, 6))) as attributed_revenue
        from attribution
        group by model, {{ month_start }}, conversion_type, {{ scope_id }}, conversion_id
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

-- The conversions per model, month, scope and conversion type: the finest cut.
scoped_by_month as (

    select
        model,
        month_start,
        conversion_type,
        scope_type,
        scope_id,
        count(*) as conversions_touched,
        sum(touches) as touches,
        sum(attributed_conversions) as attributed_conversions,
        sum(attributed_revenue) as attributed_revenue
    from conversion_scopes
    group by model, month_start, conversion_type, scope_type, scope_id

),

scoped as (

    {% for period_grain, period_start in monthly_periods -%}
        {%- set outer_loop = loop -%}
        {%- for _, conversion_type in conversion_types -%}
            select
                model,
                '{{ period_grain }}' as period_grain,
                {{ period_start }} as period_start,
                scope_type,
                scope_id,
                {{ conversion_type }} as conversion_type,
                cast(sum(conversions_touched) as bigint) as conversions_touched,
                cast(sum(touches) as bigint) as touches,
                sum(attributed_conversions) as attributed_conversions,
                sum(attributed_revenue) as attributed_revenue
            from scoped_by_month
            group by model, {{ period_start }}, scope_type, scope_id, {{ conversion_type }}
            {% if not (outer_loop.last and loop.last) %}union all{% endif %}
        {% endfor %}
    {%- endfor %}

),

-- All conversions and their revenue per model, period, scope type and conversion type (one
-- row per conversion: the revenue of a conversion is counted once).
-- Each conversion once per model, for the totals (read from fct_attribution, not from
-- `cuts`: cuts read twice would be held in memory whole).
conversions as (

    select distinct
        model,
        conversion_id,
        conversion_type,
        converted_at,
        conversion_revenue
    from attribution

),

-- The conversions and their revenue per cut; the same for both scope types.
totals as (

    {% for period_grain, period_start in periods -%}
        {%- set outer_loop = loop -%}
        {%- for scope_type, _ in scopes -%}
            {%- set middle_loop = loop -%}
            {%- for _, conversion_type in conversion_types -%}
                select
                    model,
                    '{{ period_grain }}' as period_grain,
                    {{ period_start }} as period_start,
                    '{{ scope_type }}' as scope_type,
                    {{ conversion_type }} as conversion_type,
                    count(*) as conversions,
                    sum(cast(conversion_revenue as decimal(38, 6))) as revenue
                from conversions
                group by model, {{ period_start }}, {{ conversion_type }}
                {% if not (outer_loop.last and middle_loop.last and loop.last) %}
                    union all
                {% endif %}
            {% endfor %}
        {%- endfor %}
    {%- endfor %}

),

final as (

    select
        scoped.model,
        scoped.period_grain,
        scoped.period_start,
        scoped.scope_type,
        scoped.scope_id,
        scoped.conversion_type,
        totals.conversions,
        scoped.conversions_touched,
        scoped.touches,
        cast(round(scoped.attributed_conversions, 9) as double) as attributed_conversions,
        cast(
            round(cast(scoped.attributed_conversions as double) / totals.conversions, 9)
            as double
        ) as share_of_conversions,
        cast(scoped.attributed_revenue as double) as attributed_revenue,
        -- divided as doubles: a decimal division keeps only 6 places on Spark
        cast(scoped.attributed_revenue as double)
        / nullif(cast(totals.revenue as double), 0) as share_of_revenue
    from scoped
    inner join totals
        on
            scoped.model = totals.model
            and scoped.period_grain = totals.period_grain
            and scoped.scope_type = totals.scope_type
            and scoped.conversion_type = totals.conversion_type
            and coalesce(scoped.period_start, date '1900-01-01')
            = coalesce(totals.period_start, date '1900-01-01')

)

select * from final
