with

contacts as (

    select * from {{ ref('int_contacts_deduplicated') }}

),

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

web_users as (

    select * from {{ ref('int_web_users_stitched') }}

),

personas as (

    select * from {{ ref('personas') }}

),

-- The persona attributes of every customer: known customers from their master contact and its
-- account, anonymous browsers (never stitched to a contact) with none.
customer_attributes as (

    select
        contacts.customer_id,
        'known' as customer_kind,
        accounts.industry,
        accounts.billing_country as region,
        contacts.lead_source,
        accounts.number_of_employees
    from contacts
    left join accounts
        on contacts.account_id_15 = accounts.account_id_15
    where contacts.is_master_contact

    union all

    select
        customer_id,
        'anonymous' as customer_kind,
        cast(null as {{ dbt.type_string() }}) as industry,
        cast(null as {{ dbt.type_string() }}) as region,
        cast(null as {{ dbt.type_string() }}) as lead_source,
        cast(null as integer) as number_of_employees
    from web_users
    where not is_stitched

),

-- Customers with the same attributes get the same persona: the conditions (regular
-- expressions are costly) are evaluated once per distinct set of attributes, not per customer
-- (every anonymous browser has the same empty set).
attribute_sets as (

    select distinct
        customer_kind,
        industry,
        region,
        lead_source,
        number_of_employees
    from customer_attributes

),

-- A condition left empty holds; a filled one needs a value that satisfies it.
matches as (

    select
        attribute_sets.customer_kind,
        attribute_sets.industry,
        attribute_sets.region,
        attribute_sets.lead_source,
        attribute_sets.number_of_employees,
        personas.persona_id,
        row_number() over (
            partition by
                attribute_sets.customer_kind,
                attribute_sets.industry,
                attribute_sets.region,
                attribute_sets.lead_source,
                attribute_sets.number_of_employees
            order by personas.priority, personas.persona_id
        ) as match_rank
    from attribute_sets
    inner join personas
        on attribute_sets.customer_kind = personas.customer_kind
    where
        (
            personas.industry_pattern is null
            or coalesce(
                {{ regex_matches('attribute_sets.industry', 'personas.industry_pattern') }},
                false
            )
        )
        and (
            personas.region_pattern is null
            or coalesce(
                {{ regex_matches('attribute_sets.region', 'personas.region_pattern') }},
                false
            )
        )
        and (
            personas.lead_source_pattern is null
            or coalesce(
                {{ regex_matches(
                    'attribute_sets.lead_source', 'personas.lead_source_pattern'
                ) }},
                false
            )
        )
        and (
            personas.min_employees is null
            or attribute_sets.number_of_employees >= personas.min_employees
        )
        and (
            personas.max_employees is null
            or attribute_sets.number_of_employees <= personas.max_employees
        )

),

final as (

    select
        customer_attributes.customer_id,
        matches.persona_id,
        customer_attributes.industry,
        customer_attributes.region,
        customer_attributes.lead_source,
        customer_attributes.number_of_employees
    from customer_attributes
    left join matches
        on
            customer_attributes.customer_kind = matches.customer_kind
            and customer_attributes.industry is not distinct from matches.industry
            and customer_attributes.region is not distinct from matches.region
            and customer_attributes.lead_source is not distinct from matches.lead_source
            and customer_attributes.number_of_employees
            is not distinct from matches.number_of_employees
            and matches.match_rank = 1

)

select * from final
