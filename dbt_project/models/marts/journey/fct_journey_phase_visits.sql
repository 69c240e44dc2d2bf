{#- One row per entry of a customer into a phase (macros/journey/phase_visits.sql),
    incremental by customer. -#}
{{ config_incremental_by_partition("ref('fct_touchpoints')", 'customer_id') }}
{{ journey_phase_visits(ref('fct_touchpoints'), ref('int_phases_versioned'), 'customer_id') }}
