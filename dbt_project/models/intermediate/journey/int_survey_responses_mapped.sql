with

responses as (

    select * from {{ ref('stg_survey__responses') }}

),

rules as (

    select * from {{ ref('touchpoint_rules') }}

),

-- The fields survey rules can read, one row per (response, field).
candidates as (

    select
        response_id,
        recorded_at,
        'survey_name' as field,
        survey_name as field_value
    from responses

    union all

    select
        response_id,
        recorded_at,
        'embedded.touchpoint' as field,
        embedded_touchpoint as field_value
    from responses
    where embedded_touchpoint is not null

),

matched as (

    select
        candidates.response_id,
        candidates.field,
        candidates.field_value,
        rules.rule_id,
        rules.valid_from as rule_valid_from,
        rules.touchpoint_id,
        rules.priority
    from candidates
    inner join rules
        on
            rules.source_system = 'survey'
            and candidates.field = rules.field
            and {{ is_valid_at(
                'rules.valid_from', 'rules.valid_to', 'candidates.recorded_at'
            ) }}
    where {{ rule_matches('rules.match_type', 'rules.pattern', 'candidates.field_value') }}

),

-- Rule versions valid when the response was recorded apply (joined above). Lowest priority
-- wins, then the smallest rule_id: each response rates at most one touchpoint.
ranked as (

    select
        *,
        row_number() over (
            partition by response_id
            order by priority asc, rule_id asc
        ) as match_rank
    from matched

),

final as (

    select
        response_id,
        touchpoint_id,
        rule_id,
        rule_valid_from,
        field as matched_field,
        field_value as matched_value
    from ranked
    where match_rank = 1

)

select * from final
