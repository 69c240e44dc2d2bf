{#- Customers through the funnels of seed `funnels` (macros/journey/funnel_steps_reached.sql). -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='customer_id',
    on_schema_change='fail',
    pre_hook="{{ delete_vanished_partitions(ref('fct_touchpoints'), 'customer_id', 'customer_id') }}",
) }}
{{ funnel_steps_reached(
    ref('funnels'), ref('fct_journey_phase_visits'), ref('fct_touchpoints'), 'customer_id'
) }}
