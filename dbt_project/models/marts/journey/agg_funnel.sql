{#-
    Funnels of seed `funnels` counted per subject (customers, CRM accounts), mode, cut and step
    from int_funnel_steps_reached and int_account_funnel_steps_reached (which hold the rules:
    order, windows, modes).
-#}
with

customer_steps as (

    select * from {{ ref('int_funnel_steps_reached') }}

),

account_steps as (

    select * from {{ ref('int_account_funnel_steps_reached') }}

),

funnels as (

    select * from {{ ref('funnels') }}

),

touchpoints as (

    select * from {{ ref('fct_touchpoints') }}

),

funnel_windows as (

    select
        funnel_id,
        max(window_days) as window_days,
        max(step_number) as steps
    from funnels
    group by funnel_id

),

-- The subjects a funnel counts: customers, and CRM accounts (subject_id the key of either).
reached as (

    select
        'customer' as subject,
        customer_id as subject_id,
        funnel_id,
        funnel_mode,
        step_number,
        entered_at,
        reached_at
    from customer_steps

    union all

    select
        'account' as subject,
        account_id as subject_id,
        funnel_id,
        funnel_mode,
        step_number,
        entered_at,
        reached_at
    from account_steps

),

-- Each subject's first touchpoint occurrence (by time, then id): its channel. An aggregate
-- per subject rather than numbering every occurrence.
first_touches as (

    select
        'customer' as subject,
        customer_id as subject_id,
        {{ first_by('channel', ['occurred_at', 'touchpoint_occurrence_id']) }} as channel
    from touchpoints
    where customer_id is not null
    group by customer_id

    union all

    select
        'account' as subject,
        account_id as subject_id,
        {{ first_by('channel', ['occurred_at', 'touchpoint_occurrence_id']) }} as channel
    from touchpoints
    where account_id is not null
    group by account_id

),

-- Each reached step with the time to the subject's next step (when reached).
steps as (

    select
        reached.subject,
        reached.funnel_id,
        reached.funnel_mode,
        reached.subject_id,
        reached.step_number,
        cast({{ dbt.date_trunc('month', 'reached.entered_at') }} as date) as cohort_month,
        coalesce(first_touches.channel, 'none') as first_touch_channel,
        next_step.reached_at is not null as has_reached_next_step,
        {{ hours_between('reached.reached_at', 'next_step.reached_at') }} as hours_to_next_step
    from reached
    left join reached as next_step
        on
            reached.subject = next_step.subject
            and reached.funnel_id = next_step.funnel_id
            and reached.funnel_mode = next_step.funnel_mode
            and reached.subject_id = next_step.subject_id
            and reached.step_number + 1 = next_step.step_number
    left join first_touches
        on
            reached.subject = first_touches.subject
            and reached.subject_id = first_touches.subject_id

),

-- The cuts: all subjects, per cohort month (month of entering), per first-touch channel.
{%- set cuts = [
    ('all', 'cast(null as date)', "'all'"),
    ('cohort_month', 'cohort_month', "'all'"),
    ('first_touch_channel', 'cast(null as date)', 'first_touch_channel'),
] %}
cuts as (

    {% for cut, cohort_month, first_touch_channel in cuts -%}
        select
            subject,
            '{{ cut }}' as cut,
            {{ cohort_month }} as cohort_month,
            {{ first_touch_channel }} as first_touch_channel,
            funnel_id,
            funnel_mode,
            subject_id,
            step_number,
            has_reached_next_step,
            hours_to_next_step
        from steps
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

counted as (

    select
        subject,
        cut,
        cohort_month,
        first_touch_channel,
        funnel_id,
        funnel_mode,
        step_number,
        count(*) as customers_reached,
        count(case when has_reached_next_step then 1 end) as customers_reached_next,
        {{ percentile_cont('hours_to_next_step', 0.5) }} as median_hours_to_next_step,
        {{ percentile_cont('hours_to_next_step', 0.9) }} as p90_hours_to_next_step
    from cuts
    group by subject, cut, cohort_month, first_touch_channel, funnel_id, funnel_mode, step_number

),

-- Subjects entered per cut, counted from the steps directly (not from `cuts`, which would
-- then be read twice and held in memory whole).
entered as (

    {% for cut, cohort_month, first_touch_channel in cuts -%}
        select
            subject,
            '{{ cut }}' as cut,
            {{ cohort_month }} as cohort_month,
            {{ first_touch_channel }} as first_touch_channel,
            funnel_id,
            funnel_mode,
            count(distinct subject_id) as customers_entered
        from steps
        group by
            subject,
            {{ cohort_month }},
            {{ first_touch_channel }},
            funnel_id,
            funnel_mode
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        -- what the customers_* columns count: customers, or CRM accounts (the contract puts
        -- it last, after the columns it was added to)
        counted.subject,
        counted.funnel_id,
        counted.funnel_mode,
        counted.cut,
        counted.cohort_month,
        counted.first_touch_channel,
        counted.step_number,
        entered.customers_entered,
        counted.customers_reached,
        counted.customers_reached_next,
        cast(counted.median_hours_to_next_step as double) as median_hours_to_next_step,
        cast(counted.p90_hours_to_next_step as double) as p90_hours_to_next_step,
        funnel_windows.window_days,
        -- any_order: step k is any k-th step of the funnel
        case
            when counted.funnel_mode = 'any_order' then 'any' else funnels.step_type
        end as step_type,
        case when counted.funnel_mode = 'any_order' then '*' else funnels.step_id end as step_id,
        case
            when counted.funnel_mode != 'any_order' then funnels.step_window_hours
        end as step_window_hours,
        counted.customers_reached - counted.customers_reached_next as customers_dropped,
        case
            when counted.step_number < funnel_windows.steps
                then counted.customers_reached_next * 1.0 / counted.customers_reached
        end as step_conversion,
        counted.customers_reached * 1.0 / entered.customers_entered as overall_conversion
    from counted
    inner join entered
        on
            counted.subject = entered.subject
            and counted.cut = entered.cut
            and counted.funnel_id = entered.funnel_id
            and counted.funnel_mode = entered.funnel_mode
            and counted.first_touch_channel = entered.first_touch_channel
            and coalesce(counted.cohort_month, date '1900-01-01')
            = coalesce(entered.cohort_month, date '1900-01-01')
    inner join funnels
        on counted.funnel_id = funnels.funnel_id and counted.step_number = funnels.step_number
    inner join funnel_windows
        on counted.funnel_id = funnel_windows.funnel_id

)

select * from final
