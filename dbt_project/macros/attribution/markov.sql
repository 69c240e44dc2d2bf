{#-
    CTEs ending in `solved` (removed_state, conversion_probability, last_change): per scenario
    of `scenario_transitions` (removed_state, from_state, to_state, probability), the
    probability of reaching (conversion) from (start) after `iterations` steps of value
    iteration, and what the last step added (int_attribution_markov_removal_effects).
-#}
{% macro markov_start_probabilities(scenario_transitions, iterations) -%}
    {{ return(adapter.dispatch('markov_start_probabilities', 'customer_journey')(
        scenario_transitions, iterations
    )) }}
{%- endmacro %}

{#- One CTE per step, each reading only the one before. -#}
{% macro default__markov_start_probabilities(scenario_transitions, iterations) -%}
    conversion_probability_0 as (
        select distinct
            removed_state,
            from_state as state,
            cast(0 as double) as conversion_probability
        from {{ scenario_transitions }}
    ),

    {% for step in range(1, iterations + 1) %}
    conversion_probability_{{ step }} as (
        select
            step_transitions.removed_state,
            step_transitions.from_state as state,
            sum(
                step_transitions.probability * case
                    when step_transitions.to_state = '(conversion)' then 1.0
                    when step_transitions.to_state = '(null)' then 0.0
                    when step_transitions.to_state = step_transitions.removed_state then 0.0
                    else coalesce(previous.conversion_probability, 0.0)
                end
            ) as conversion_probability
        from {{ scenario_transitions }} as step_transitions
        left join conversion_probability_{{ step - 1 }} as previous
            on
                step_transitions.removed_state = previous.removed_state
                and step_transitions.to_state = previous.state
        group by step_transitions.removed_state, step_transitions.from_state
    ),
    {% endfor %}

    solved as (
        select
            solution.removed_state,
            solution.conversion_probability,
            solution.conversion_probability
            - before_last.conversion_probability as last_change
        from conversion_probability_{{ iterations }} as solution
        inner join conversion_probability_{{ iterations - 1 }} as before_last
            on
                solution.removed_state = before_last.removed_state
                and solution.state = before_last.state
        where solution.state = '(start)'
    ),
{%- endmacro %}

{#-
    Spark: a chain of 128 CTEs, each joined to the one before, is more than Spark's analyzer
    resolves (it runs out of memory). Each scenario's transitions are collected into one array
    instead, and the steps run inside the row: `aggregate` over the step numbers carries the
    probabilities of the last two steps as maps from state to probability.
-#}
{% macro spark__markov_start_probabilities(scenario_transitions, iterations) -%}
    scenario_chains as (
        select
            removed_state,
            collect_list(named_struct(
                'from_state', from_state,
                'to_state', to_state,
                'probability', probability
            )) as transitions,
            array_distinct(collect_list(from_state)) as states
        from {{ scenario_transitions }}
        group by removed_state
    ),

    iterated as (
        select
            removed_state,
            aggregate(
                sequence(1, {{ iterations }}),
                named_struct(
                    'previous', map_from_arrays(states, transform(states, state -> 0d)),
                    'current', map_from_arrays(states, transform(states, state -> 0d))
                ),
                (probabilities, step) -> named_struct(
                    'previous', probabilities.current,
                    'current', map_from_arrays(states, transform(states, state -> aggregate(
                        filter(transitions, transition -> transition.from_state = state),
                        0d,
                        (total, transition) -> total + transition.probability * case
                            when transition.to_state = '(conversion)' then 1d
                            when transition.to_state = '(null)' then 0d
                            when transition.to_state = removed_state then 0d
                            else coalesce(probabilities.current[transition.to_state], 0d)
                        end
                    )))
                )
            ) as probabilities
        from scenario_chains
    ),

    solved as (
        select
            removed_state,
            probabilities.current['(start)'] as conversion_probability,
            probabilities.current['(start)'] - probabilities.previous['(start)'] as last_change
        from iterated
    ),
{%- endmacro %}
