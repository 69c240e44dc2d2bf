-- Churn risk per as-of date by persona, journey phase (of the customer's latest touchpoint) and
-- owner (of that touchpoint): customers, churned, and among those not churned the bands and
-- the mean risk score.
{%- set dimensions = ['persona_id', 'phase_id', 'owner'] %}

with

churn_risk as (

    select * from {{ ref('fct_customer_churn_risk') }}

),

by_dimension as (

    {%- for dimension in dimensions %}

        select
            as_of_date,
            '{{ dimension | replace("_id", "") }}' as dimension,
            coalesce({{ dimension }}, 'unknown') as dimension_value,
            customer_id,
            is_churned,
            risk_band,
            risk_score
        from churn_risk
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

final as (

    select
        as_of_date,
        dimension,
        dimension_value,
        -- averaged as exact decimals: the same value whatever order the rows are added in
        cast(
            avg(case when not is_churned then cast(risk_score as decimal(38, 12)) end) as double
        ) as mean_risk_score,
        count(*) as customers,
        count(case when is_churned then 1 end) as churned_customers,
        count(case when not is_churned then 1 end) as active_customers,
        count(case when not is_churned and risk_band = 'high' then 1 end) as high_risk_customers,
        count(case when not is_churned and risk_band = 'medium' then 1 end)
            as medium_risk_customers,
        count(case when not is_churned and risk_band = 'low' then 1 end) as low_risk_customers,
        cast(count(case when is_churned then 1 end) as double) / count(*) as churn_rate
    from by_dimension
    group by as_of_date, dimension, dimension_value

)

select * from final
