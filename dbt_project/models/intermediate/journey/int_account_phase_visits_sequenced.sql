{#-
    One row per entry of a CRM account into a phase: the phase visits of the account's
    touchpoints (its contacts' and its own records', fct_touchpoints.account_id), by the same
    rules as the customers' (macros/journey/phase_visits.sql).
-#}
{{ config_incremental_by_partition("ref('fct_touchpoints')", 'account_id') }}
{{ journey_phase_visits(ref('fct_touchpoints'), ref('int_phases_versioned'), 'account_id') }}
