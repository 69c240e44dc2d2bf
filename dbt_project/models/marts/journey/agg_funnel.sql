{#-
    Funnels of seed `funnels` counted per subject (customers, CRM accounts), mode, cut and step
    from int_funnel_steps_reached and int_account_funnel_steps_reached (which hold the rules:
    order, windows, modes, and order each subject's steps).
-#}
{#- The steps and touchpoints are named where they are read, and each CTE below is read once:
    DuckDB materializes a CTE that several others read, which at scale would hold every row
    in memory. -#}
{%- set customer_steps = ref('int_funnel_steps_reached') %}
{%- set account_steps = ref('int_account_funnel_steps_reached') %}
{%- set touchpoints = ref('fct_touchpoints') %}

with

funnels as (

    select * from {{ ref('funnels') }}

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
        reached_at,
        is_entry_step,
        has_reached_next_step,
        next_step_reached_at
    from {{ customer_steps }}

    union all

    select
        'account' as subject,
        account_id as subject_id,
        funnel_id,
        funnel_mode,
        step_number,
        entered_at,
        reached_at,
        is_entry_step,
        has_reached_next_step,
        next_step_reached_at
    from {{ account_steps }}

),

-- Each subject's first touchpoint occurrence (by time, then id): its channel. An aggregate
-- per subject rather than numbering every occurrence.
first_touches as (

    select
        'customer' as subject,
        customer_id as subject_id,
        {{ first_by('channel', ['occurred_at', 'touchpoint_occurrence_id']) }} as channel
    from {{ touchpoints }}
    where customer_id is not null
    group by customer_id

    union all

    select
        'account' as subject,
        account_id as subject_id,
        {{ first_by('channel', ['occurred_at', 'touchpoint_occurrence_id']) }} as channel
    from {{ touchpoints }}
    where account_id is not null
    group by account_id

),

-- Each reached step with the subject's first-touch channel and the time to its next step
-- (when reached). The funnel models order each subject's steps (is_entry_step,
-- has_reached_next_step, next_step_reached_at), incrementally.
steps as (

    select
        reached.subject,
        reached.funnel_id,
        reached.funnel_mode,
        reached.subject_id,
        reached.step_number,
        reached.is_entry_step,
        cast({{ dbt.date_trunc('month', 'reached.entered_at') }} as date) as cohort_month,
        coalesce(first_touches.channel, 'none') as first_touch_channel,
        reached.has_reached_next_step,
        {{ hours_between('reached.reached_at', 'reached.next_step_reached_at') }}
            as hours_to_next_step
    from reached
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
            is_entry_step,
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
        -- a subject's entry step is counted once per cut: the subjects that entered
        count(case when is_entry_step then 1 end) as customers_entered_here,
        count(*) as customers_reached,
        count(case when has_reached_next_step then 1 end) as customers_reached_next,
        {{ percentile_cont('hours_to_next_step', 0.5) }} as median_hours_to_next_step,
        {{ percentile_cont('hours_to_next_step', 0.9) }} as p90_hours_to_next_step
    from cuts
    group by subject, cut, cohort_month, first_touch_channel, funnel_id, funnel_mode, step_number

),

-- Subjects entered per cut: every subject has one entry step, so the sum of the entry steps.
counts as (

    select
        *,
        cast(sum(customers_entered_here) over (
            partition by
                subject, cut, cohort_month, first_touch_channel, funnel_id, funnel_mode
        ) as bigint) as customers_entered
    from counted

),

final as (

    select
        -- what the customers_* columns count: customers, or CRM accounts (the contract puts
        -- it last, after the columns it was added to)
        counts.subject,
        counts.funnel_id,
        counts.funnel_mode,
        counts.cut,
        counts.cohort_month,
        counts.first_touch_channel,
        counts.step_number,
        counts.customers_entered,
        counts.customers_reached,
        counts.customers_reached_next,
        cast(counts.median_hours_to_next_step as double) as median_hours_to_next_step,
        cast(counts.p90_hours_to_next_step as double) as p90_hours_to_next_step,
        funnel_windows.window_days,
        -- any_order: step k is any k-th step of the funnel
        case
            when counts.funnel_mode = 'any_order' then 'any' else funnels.step_type
        end as step_type,
        case when counts.funnel_mode = 'any_order' then '*' else funnels.step_id end as step_id,
        case
            when counts.funnel_mode != 'any_order' then funnels.step_window_hours
        end as step_window_hours,
        counts.customers_reached - counts.customers_reached_next as customers_dropped,
        case
            when counts.step_number < funnel_windows.steps
                then cast(counts.customers_reached_next as double) / counts.customers_reached
        end as step_conversion,
        cast(counts.customers_reached as double) / counts.customers_entered as overall_conversion
    from counts
    inner join funnels
        on counts.funnel_id = funnels.funnel_id and counts.step_number = funnels.step_number
    inner join funnel_windows
        on counts.funnel_id = funnel_windows.funnel_id

)

select * from final
