{#-
    Accounts through the funnels of seed `funnels`, by the customers' rules on the accounts'
    phase visits and touchpoints (macros/journey/funnel_steps_reached.sql).
-#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='account_id',
    on_schema_change='fail',
    pre_hook="{{ delete_vanished_partitions(ref('fct_touchpoints'), 'account_id', 'account_id') }}",
) }}
{{ funnel_steps_reached(
    ref('funnels'),
    ref('int_account_phase_visits_sequenced'),
    ref('fct_touchpoints'),
    'account_id',
) }}
