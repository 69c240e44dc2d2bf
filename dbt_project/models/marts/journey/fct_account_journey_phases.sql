{#-
    The first-entry view of the accounts' phase visits, as fct_journey_phases is of the
    customers' (macros/journey/phase_visits.sql).
-#}
{{ config_incremental_by_partition("ref('int_account_phase_visits_sequenced')", 'account_id') }}
{{ journey_phases_first_entry(ref('int_account_phase_visits_sequenced'), 'account_id') }}
