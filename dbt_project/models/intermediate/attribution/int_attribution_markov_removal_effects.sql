{#-
    Markov-chain removal effects (first order). States: (start), every touchpoint, and the
    absorbing (conversion) and (null). The transitions are counted on the paths of
    int_attribution_paths with repeated steps collapsed (a -> a -> b is a -> b; a self-loop
    changes no absorption probability): (start) -> first touch -> ... -> last touch ->
    (conversion) for a conversion, -> (null) for a customer who never converted; a conversion
    without touchpoints is (start) -> (conversion).

    The probability of reaching (conversion) from (start) is solved for the whole chain and
    for the chain without each touchpoint (whose incoming transitions then go to (null)) by
    value iteration: h(s) = sum over t of p(s, t) * h(t), with h = 1 in (conversion), 0 in
    (null) and in the removed state, from h = 0, for a fixed number of steps (var
    `cjm_markov_iterations`; macro markov_start_probabilities: one CTE per step on DuckDB, no
    recursive CTE; on Spark the steps run inside one row per scenario). h grows monotonically to the solution; `last_change` is what
    the last iteration added, and a test fails when it exceeds 1e-9.
    removal_effect = 1 - p(conversion without the touchpoint) / p(conversion).
-#}
{%- set iterations = var('cjm_markov_iterations') -%}

with

paths as (

    select * from {{ ref('int_attribution_paths') }}

),

-- Path steps with repeated steps collapsed (a step equal to the one before is dropped).
collapsed as (

    select
        path_id,
        is_conversion_path,
        touchpoint_id,
        touch_position
    from (
        select
            path_id,
            is_conversion_path,
            touchpoint_id,
            touch_position,
            lag(touchpoint_id) over (
                partition by path_id order by touch_position
            ) as previous_touchpoint_id
        from paths
        where touch_position > 0
    ) as steps
    where previous_touchpoint_id is null or previous_touchpoint_id <> touchpoint_id

),

path_transitions as (

    select
        touchpoint_id as from_state,
        coalesce(
            lead(touchpoint_id) over (partition by path_id order by touch_position),
            case when is_conversion_path then '(conversion)' else '(null)' end
        ) as to_state
    from collapsed

    union all

    select
        '(start)' as from_state,
        coalesce(touchpoint_id, '(conversion)') as to_state
    from paths
    where touch_position <= 1

),

transition_counts as (

    select
        from_state,
        to_state,
        count(*) as transitions
    from path_transitions
    group by from_state, to_state

),

transitions as (

    select
        from_state,
        to_state,
        cast(transitions as double) / sum(transitions) over (partition by from_state) as probability
    from transition_counts

),

-- (none): the whole chain; otherwise the touchpoint removed.
scenarios as (

    select '(none)' as removed_state

    union all

    select distinct from_state as removed_state
    from transitions
    where from_state <> '(start)'

),

scenario_transitions as (

    select
        scenarios.removed_state,
        transitions.from_state,
        transitions.to_state,
        transitions.probability
    from scenarios
    cross join transitions
    where transitions.from_state <> scenarios.removed_state

),

{{ markov_start_probabilities('scenario_transitions', iterations) }}

removal_effects as (

    select
        removed.removed_state as touchpoint_id,
        whole_chain.conversion_probability,
        removed.conversion_probability as conversion_probability_without,
        case
            when whole_chain.conversion_probability > 0
                then 1 - removed.conversion_probability / whole_chain.conversion_probability
        end as removal_effect,
        greatest(whole_chain.last_change, removed.last_change) as last_change
    from solved as removed
    cross join solved as whole_chain
    where removed.removed_state <> '(none)' and whole_chain.removed_state = '(none)'

),

final as (

    select
        touchpoint_id,
        cast(round(conversion_probability, 12) as double) as conversion_probability,
        cast(
            round(conversion_probability_without, 12) as double
        ) as conversion_probability_without,
        cast(round(removal_effect, 12) as double) as removal_effect,
        cast(
            round(removal_effect / sum(removal_effect) over (), 12) as double
        ) as removal_effect_share,
        cast(last_change as double) as last_change,
        {{ iterations }} as iterations
    from removal_effects

)

select * from final
