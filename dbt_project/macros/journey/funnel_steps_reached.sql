{#-
    Ordered funnels of seed `funnels`. A customer reaches step k+1 with the first occurrence
    of step k+1 at or after the moment they reached step k, within `window_days` of entering
    the funnel and within the step's `step_window_hours` of reaching step k. Modes: closed
    (entering means doing step 1), open (a customer enters at the first step they do,
    whichever it is, and goes on from there), strict (as closed, and each next step must be
    the customer's next event of its kind: no other touchpoint between two touchpoint steps,
    no visit of another phase between two phase steps; repeats of the same touchpoint in a
    row count as one) and any_order (step k = the k-th distinct step of the funnel the
    customer did, in any order, within `window_days` of the first). The steps are followed by
    a fixed number of joins (`cjm_funnel_max_steps`, a test checks the seed stays within it),
    so the SQL needs no recursion. One row per funnel, mode, customer and step reached, with
    when the customer entered the funnel and reached the step, whether it is the entry step
    and when the next step was reached; agg_funnel counts them and
    agg_conversion_drivers compares who completed a funnel with who did not.
    `subject` is the key column that follows (customer_id, account_id) in `phase_visits`
    and `touchpoints`; int_funnel_steps_reached and int_account_funnel_steps_reached are this
    macro, both incremental by subject: the model's config names the subject as unique_key.
-#}
{% macro funnel_steps_reached(funnels, phase_visits, touchpoints, subject) %}
{%- set max_steps = var('cjm_funnel_max_steps', 8) -%}

with

funnels as (

    select * from {{ funnels }}

),

{#- Incremental by subject (macros/incremental.sql): a run rebuilds the subjects whose
    touchpoint occurrences or phase visits changed, and every subject when the funnels did.
    The inputs are named in each CTE that reads them (DuckDB would hold an import CTE read
    twice in memory). #}
funnels_signature as (

    select
        {{ partition_signature(row_signature([
            'funnel_id', 'step_number', 'step_type', 'step_id', 'window_days',
            'step_window_hours',
        ])) }} as funnels_signature
    from funnels

),

touchpoint_signatures as (

    {{ subject_signatures(
        touchpoints, subject,
        ['touchpoint_occurrence_id', 'touchpoint_id', 'occurred_at'],
        'touchpoints_signature',
    ) }}

),

-- the phase visits of a subject carry the signature they were built from
phase_visit_signatures as (

    select
        {{ subject }} as partition_key,
        min(_partition_signature) as phase_visits_signature
    from {{ phase_visits }}
    group by {{ subject }}

),

subject_signatures as (

    select
        touchpoint_signatures.partition_key,
        touchpoint_signatures.touchpoints_signature
        || '/' || coalesce(phase_visit_signatures.phase_visits_signature, '')
        || '/' || funnels_signature.funnels_signature as partition_signature
    from touchpoint_signatures
    left join phase_visit_signatures
        on touchpoint_signatures.partition_key = phase_visit_signatures.partition_key
    cross join funnels_signature

),

partitions_to_build as (

    {{ partitions_to_build('subject_signatures', subject) }}

),

phase_visits as (

    {{ rows_to_build(phase_visits, subject) }}

),

touchpoints as (

    {{ rows_to_build(touchpoints, subject) }}

),

-- Every touchpoint occurrence of a followed customer with its run number: the count of
-- changes of touchpoint so far (a repeat of the same touchpoint in a row stays in its run).
touchpoint_changes as (

    select
        {{ subject }},
        touchpoint_occurrence_id,
        touchpoint_id,
        occurred_at,
        case
            when lag(touchpoint_id) over customer_order = touchpoint_id then 0 else 1
        end as is_new_run
    from touchpoints
    where {{ subject }} is not null
    window customer_order as (
        partition by {{ subject }} order by occurred_at, touchpoint_occurrence_id
    )

),

touchpoint_runs as (

    select
        {{ subject }},
        touchpoint_id,
        occurred_at,
        sum(is_new_run) over (
            partition by {{ subject }}
            order by occurred_at, touchpoint_occurrence_id
            rows between unbounded preceding and current row
        ) as run_number
    from touchpoint_changes

),

funnel_windows as (

    select
        funnel_id,
        max(window_days) as window_days,
        max(step_number) as steps
    from funnels
    group by funnel_id

),

-- Every occurrence of every funnel step: phase entries (re-entries too) and the touchpoints
-- of known or anonymous customers.
step_events as (

    select
        funnels.funnel_id,
        funnels.step_number,
        phase_visits.{{ subject }},
        phase_visits.entered_at as occurred_at,
        'phase' as event_kind,
        cast(phase_visits.visit_sequence as bigint) as run_number
    from funnels
    inner join phase_visits
        on funnels.step_type = 'phase' and funnels.step_id = phase_visits.phase_id

    union all

    -- a funnel follows customers: a CRM record without a contact cannot be followed
    select
        funnels.funnel_id,
        funnels.step_number,
        touchpoint_runs.{{ subject }},
        touchpoint_runs.occurred_at,
        'touchpoint' as event_kind,
        cast(touchpoint_runs.run_number as bigint) as run_number
    from funnels
    inner join touchpoint_runs
        on
            funnels.step_type = 'touchpoint'
            and funnels.step_id = touchpoint_runs.touchpoint_id

),

-- The first occurrence of every step a subject did (a step's events are of one kind; the
-- earliest has the lowest run number): aggregates, not a numbering of every event.
step_firsts as (

    select
        funnel_id,
        {{ subject }},
        step_number,
        min(occurred_at) as occurred_at,
        min(event_kind) as event_kind,
        min(run_number) as run_number
    from step_events
    group by funnel_id, {{ subject }}, step_number

),

-- open: the step a subject entered at, the earliest of its first occurrences (of two at the
-- same moment, the lower step)
open_entries as (

    select
        funnel_id,
        {{ subject }},
        {{ first_by(
            named_struct(['step_number', 'occurred_at', 'event_kind', 'run_number']),
            ['occurred_at', 'step_number'],
        ) }} as entry
    from step_firsts
    group by funnel_id, {{ subject }}

),

entries as (

    {% for mode in ['closed', 'strict'] -%}
        select
            funnel_id,
            '{{ mode }}' as funnel_mode,
            {{ subject }},
            1 as step_number,
            occurred_at as entered_at,
            occurred_at as reached_at,
            event_kind as reached_kind,
            run_number as reached_run
        from step_firsts
        where step_number = 1

        union all
    {% endfor %}

    select
        open_entries.funnel_id,
        'open' as funnel_mode,
        open_entries.{{ subject }},
        open_entries.entry.step_number,
        open_entries.entry.occurred_at as entered_at,
        open_entries.entry.occurred_at as reached_at,
        open_entries.entry.event_kind as reached_kind,
        open_entries.entry.run_number as reached_run
    from open_entries

),

reached_1 as (

    select * from entries

),

{% for step in range(2, max_steps + 1) %}
    reached_{{ step }} as (

        select
            previous.funnel_id,
            previous.funnel_mode,
            previous.{{ subject }},
            previous.entered_at,
            previous.step_number + 1 as step_number,
            min(step_events.occurred_at) as reached_at,
            -- a step's events are of one kind; the earliest has the lowest run number
            min(step_events.event_kind) as reached_kind,
            min(step_events.run_number) as reached_run
        from reached_{{ step - 1 }} as previous
        inner join step_events
            on
                previous.funnel_id = step_events.funnel_id
                and previous.{{ subject }} = step_events.{{ subject }}
                and step_events.step_number = previous.step_number + 1
                and previous.reached_at <= step_events.occurred_at
        inner join funnel_windows
            on previous.funnel_id = funnel_windows.funnel_id
        inner join funnels as next_step
            on
                previous.funnel_id = next_step.funnel_id
                and previous.step_number + 1 = next_step.step_number
        where
            (
                funnel_windows.window_days is null
                or step_events.occurred_at
                <= {{ dbt.dateadd('day', 'funnel_windows.window_days', 'previous.entered_at') }}
            )
            and (
                next_step.step_window_hours is null
                or step_events.occurred_at
                <= {{ dbt.dateadd('hour', 'next_step.step_window_hours', 'previous.reached_at') }}
            )
            -- strict: the next event of the same kind (between a phase step and a touchpoint
            -- step strict is as closed)
            and (
                previous.funnel_mode != 'strict'
                or previous.reached_kind != step_events.event_kind
                or step_events.run_number = previous.reached_run + 1
            )
        group by
            previous.funnel_id,
            previous.funnel_mode,
            previous.{{ subject }},
            previous.step_number,
            previous.entered_at

    ),
{% endfor %}

-- any_order: the first occurrence of each step; step k is the k-th distinct step done, within
-- window_days of the first. The steps of a subject are numbered in one window, which also
-- gives each step the next one.
any_order_entries as (

    select
        funnel_id,
        {{ subject }},
        min(occurred_at) as entered_at
    from step_firsts
    group by funnel_id, {{ subject }}

),

any_order_reached as (

    select
        step_firsts.funnel_id,
        'any_order' as funnel_mode,
        step_firsts.{{ subject }},
        cast(row_number() over subject_steps as integer) as step_number,
        any_order_entries.entered_at,
        step_firsts.occurred_at as reached_at,
        row_number() over subject_steps = 1 as is_entry_step,
        lead(step_firsts.occurred_at) over subject_steps is not null
        as has_reached_next_step,
        lead(step_firsts.occurred_at) over subject_steps as next_step_reached_at
    from step_firsts
    inner join any_order_entries
        on
            step_firsts.funnel_id = any_order_entries.funnel_id
            and step_firsts.{{ subject }} = any_order_entries.{{ subject }}
    inner join funnel_windows
        on step_firsts.funnel_id = funnel_windows.funnel_id
    where
        funnel_windows.window_days is null
        or step_firsts.occurred_at
        <= {{ dbt.dateadd('day', 'funnel_windows.window_days', 'any_order_entries.entered_at') }}
    window subject_steps as (
        partition by step_firsts.funnel_id, step_firsts.{{ subject }}
        order by step_firsts.occurred_at, step_firsts.step_number
    )

),

-- A subject's steps in a funnel and mode run from the step it entered at without gaps: in
-- the closed, strict and open modes step reached_k + 1 exists exactly when reached_k led to
-- it (at most one row per funnel, mode and subject in each). So each step says whether it is
-- the entry step and when the next one was reached by joining the next CTE of the chain,
-- without ordering every subject's steps (a window over every row cost 10 of 24 s at a
-- million customers); agg_funnel only counts the rows.
steps_in_order as (

    {% for step in range(1, max_steps + 1) -%}
        select
            reached.funnel_id,
            reached.funnel_mode,
            reached.{{ subject }},
            reached.step_number,
            reached.entered_at,
            reached.reached_at,
            {{ 'true' if step == 1 else 'false' }} as is_entry_step,
            {% if step < max_steps -%}
                next_step.reached_at is not null as has_reached_next_step,
                next_step.reached_at as next_step_reached_at
            from reached_{{ step }} as reached
            left join reached_{{ step + 1 }} as next_step
                on
                    reached.funnel_id = next_step.funnel_id
                    and reached.funnel_mode = next_step.funnel_mode
                    and reached.{{ subject }} = next_step.{{ subject }}
            {%- else -%}
                false as has_reached_next_step,
                cast(null as {{ dbt.type_timestamp() }}) as next_step_reached_at
            from reached_{{ step }} as reached
            {%- endif %}
        union all
    {% endfor %}
    select
        funnel_id,
        funnel_mode,
        {{ subject }},
        step_number,
        entered_at,
        reached_at,
        is_entry_step,
        has_reached_next_step,
        next_step_reached_at
    from any_order_reached

),

final as (

    select
        steps_in_order.*,
        partitions_to_build.partition_signature as _partition_signature,
        '{{ invocation_id }}' as _invocation_id
    from steps_in_order
    left join partitions_to_build
        on steps_in_order.{{ subject }} = partitions_to_build.partition_key

)

select * from final
{% endmacro %}
