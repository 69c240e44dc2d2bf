{#- One row per entry of a customer into a phase (macros/journey/phase_visits.sql). -#}
{{ journey_phase_visits(ref('fct_touchpoints'), ref('int_phases_versioned'), 'customer_id') }}
