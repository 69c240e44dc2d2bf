{#-
    One row per entry of a CRM account into a phase: the phase visits of the account's
    touchpoints (its contacts' and its own records', fct_touchpoints.account_id), by the same
    rules as the customers' (macros/journey/phase_visits.sql).
-#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='account_id',
    on_schema_change='fail',
    pre_hook="{{ delete_vanished_partitions(ref('fct_touchpoints'), 'account_id', 'account_id') }}",
) }}
{{ journey_phase_visits(ref('fct_touchpoints'), ref('int_phases_versioned'), 'account_id') }}
