{#- Customers through the funnels of seed `funnels` (macros/journey/funnel_steps_reached.sql). -#}
{{ config_incremental_by_partition("ref('fct_touchpoints')", 'customer_id') }}
{{ funnel_steps_reached(
    ref('funnels'), ref('fct_journey_phase_visits'), ref('fct_touchpoints'), 'customer_id'
) }}
