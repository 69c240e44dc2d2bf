{#-
    Accounts through the funnels of seed `funnels`, by the customers' rules on the accounts'
    phase visits and touchpoints (macros/journey/funnel_steps_reached.sql).
-#}
{{ config_incremental_by_partition("ref('fct_touchpoints')", 'account_id') }}
{{ funnel_steps_reached(
    ref('funnels'),
    ref('int_account_phase_visits_sequenced'),
    ref('fct_touchpoints'),
    'account_id',
) }}
