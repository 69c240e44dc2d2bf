{#- One row per entry of a customer into a phase (macros/journey/phase_visits.sql),
    incremental by customer. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='customer_id',
    on_schema_change='fail',
    pre_hook="{{ delete_vanished_partitions(ref('fct_touchpoints'), 'customer_id', 'customer_id') }}",
) }}
{{ journey_phase_visits(ref('fct_touchpoints'), ref('int_phases_versioned'), 'customer_id') }}
