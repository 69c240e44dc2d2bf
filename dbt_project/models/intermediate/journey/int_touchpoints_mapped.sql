with

candidates as (

    select * from {{ ref('int_touchpoint_candidates_unioned') }}

),

rules as (

    select * from {{ ref('touchpoint_rules') }}

),

-- Rules are compared with each distinct field value once (regular expressions are costly),
-- then joined back to the records by equality.
field_values as (

    select distinct
        source_system,
        field,
        field_value
    from candidates
    where field_value is not null

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
-- touchpoint per record.
ranked as (

    select
        candidates.*,
        matching_rules.rule_id,
        matching_rules.valid_from as rule_valid_from,
        matching_rules.touchpoint_id,
        row_number() over (
            partition by candidates.source_system, candidates.source_record_id
            order by matching_rules.priority asc, matching_rules.rule_id asc
        ) as match_rank
    from candidates
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
        account_id as record_account_id
    from ranked
    where match_rank = 1

)

select * from final
