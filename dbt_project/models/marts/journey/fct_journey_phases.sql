{#- The first-entry view of the customers' phase visits (macros/journey/phase_visits.sql). -#}
{{ config_incremental_by_partition("ref('fct_journey_phase_visits')", 'customer_id') }}
{{ journey_phases_first_entry(ref('fct_journey_phase_visits'), 'customer_id') }}
