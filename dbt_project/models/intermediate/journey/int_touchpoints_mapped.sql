-- Incremental by partition (macros/incremental.sql): a web event's export day, a CRM record's
-- day. A partition is mapped again when its candidates changed (a web day rebuilt upstream, a
-- CRM record changed) or when the rules changed (every partition then).
{{ config_incremental_by_partition("ref('int_touchpoint_candidates_unioned')") }}

{#- The candidates are named in each CTE that reads them rather than through one import CTE:
    DuckDB materializes a CTE that several others read, which would hold every candidate. -#}
{%- set candidates = ref('int_touchpoint_candidates_unioned') %}

with

rules as (

    select * from {{ ref('touchpoint_rules') }}

),

-- Every partition's signature covers its candidates and the rules, so that editing a rule
-- maps every partition again.
rules_signature as (

    select
        {{ partition_signature(row_signature([
            'rule_id', 'valid_from', 'valid_to', 'source_system', 'field', 'match_type',
            'pattern', 'touchpoint_id', 'priority',
        ])) }} as rules_signature
    from rules

),

candidate_partitions as (

    select
        candidates._partition_date as partition_key,
        {{ partition_signature('candidates._row_signature') }}
        || '/' || min(rules_signature.rules_signature) as partition_signature
    from {{ candidates }} as candidates
    cross join rules_signature
    group by candidates._partition_date

),

partitions_to_build as (

    {{ partitions_to_build('candidate_partitions') }}

),

-- Rules are compared with each distinct field value once (regular expressions are costly),
-- then joined back to the records by equality.
field_values as (

    select distinct
        source_system,
        field,
        field_value
    from {{ candidates }}
    where
        field_value is not null
    {%- if is_incremental() %}
        and _partition_date in (
            select partitions_to_build.partition_key from partitions_to_build
        )
    {%- endif %}

),

matching_rules as (

    select
        field_values.source_system,
        field_values.field,
        field_values.field_value,
        rules.rule_id,
        rules.valid_from,
        rules.valid_to,
        rules.touchpoint_id,
        rules.priority
    from field_values
    inner join rules
        on
            field_values.source_system = rules.source_system
            and field_values.field = rules.field
    where {{ rule_matches('rules.match_type', 'rules.pattern', 'field_values.field_value') }}

),

-- Only rule versions valid when the record occurred apply (seed touchpoint_rules: valid_from
-- inclusive, valid_to exclusive). Lowest priority wins, then the smallest rule_id: at most one
-- touchpoint per record. Only the candidates of the partitions to build are mapped.
ranked as (

    select
        candidates.*,
        partitions_to_build.partition_signature as _partition_signature,
        matching_rules.rule_id,
        matching_rules.valid_from as rule_valid_from,
        matching_rules.touchpoint_id,
        row_number() over (
            partition by candidates.source_system, candidates.source_record_id
            order by matching_rules.priority asc, matching_rules.rule_id asc
        ) as match_rank
    from {{ candidates }} as candidates
    left join partitions_to_build
        on candidates._partition_date = partitions_to_build.partition_key
    inner join matching_rules
        on
            candidates.source_system = matching_rules.source_system
            and candidates.field = matching_rules.field
            and candidates.field_value = matching_rules.field_value
            and {{ is_valid_at(
                'matching_rules.valid_from',
                'matching_rules.valid_to',
                'candidates.occurred_at',
            ) }}
    {%- if is_incremental() %}
    where partitions_to_build.partition_key is not null
    {%- endif %}

),

final as (

    select
        {{ generate_surrogate_key(['source_system', 'source_record_id']) }}
            as touchpoint_occurrence_id,
        touchpoint_id,
        rule_id,
        rule_valid_from,
        source_system,
        source_object,
        source_record_id,
        field as matched_field,
        field_value as matched_value,
        customer_id,
        occurred_at,
        session_id,
        revenue as source_revenue,
        account_id as record_account_id,
        _partition_date,
        _partition_signature,
        '{{ invocation_id }}' as _invocation_id
    from ranked
    where match_rank = 1

)

select * from final
