{#-
    dbt tests over the rows no passing build has tested yet (README "dbt tests that scale").

    Incremental models carry `_invocation_id`, the dbt invocation that wrote each row. A test
    with `config: {where: "__untested_rows__"}` reads only the rows whose invocation is not yet
    recorded in the ledger `ops.dbt_tested_invocations` for that model; the ledger gets a
    model's invocations at the end of a run in which every test of the model ran and passed
    (`record_tested_invocations`, on-run-end). So a row is left out only after a build tested
    it and passed: a row whose test failed (the run stopped, nothing published) is tested
    again by every later run until it is corrected, not forgotten once the next day's rows
    arrive, which a plain `_invocation_id = '<this invocation>'` filter would do.
-#}


{#- The ledger of tested invocations: (model_name, invocation_id, recorded_at). -#}
{% macro tested_invocations_relation() -%}
    {{ return(adapter.dispatch('tested_invocations_relation', 'customer_journey')()) }}
{%- endmacro %}

{% macro default__tested_invocations_relation() -%}
    {{ return(api.Relation.create(
        database=target.database, schema='ops', identifier='dbt_tested_invocations'
    )) }}
{%- endmacro %}

{#- Spark has no database level above the schema. -#}
{% macro spark__tested_invocations_relation() -%}
    {{ return(api.Relation.create(schema='ops', identifier='dbt_tested_invocations')) }}
{%- endmacro %}


{#-
    Boolean SQL over a model's rows: true for the rows no passing build has tested yet. Every
    row when the ledger or the model's `_invocation_id` column does not exist yet (a first run,
    a model that is not incremental).
-#}
{% macro untested_rows(relation) -%}
    {%- if tested_rows_recorded(relation) -%}
        _invocation_id not in (
            select tested.invocation_id
            from {{ tested_invocations_relation() }} as tested
            where tested.model_name = '{{ relation.identifier }}'
        )
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}


{#- True when the ledger exists and the model has `_invocation_id`: some of its rows may have
    been tested already. -#}
{% macro tested_rows_recorded(relation) -%}
    {%- set ledger = tested_invocations_relation() -%}
    {%- set found = none -%}
    {%- if execute -%}
        {%- set found = adapter.get_relation(
            database=ledger.database, schema=ledger.schema, identifier=ledger.identifier
        ) -%}
    {%- endif -%}
    {{ return(found is not none and has_invocation_column(relation)) }}
{%- endmacro %}


{% macro has_invocation_column(relation) -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name')
        | map('lower') | list -%}
    {{ return('_invocation_id' in columns) }}
{%- endmacro %}


{#-
    dbt's `where` config, with one placeholder: `__untested_rows__` stands for
    `untested_rows(<the tested model>)`, so a test config can say "only the rows no passing
    build has tested" without naming its model (dbt documents overriding this macro for
    placeholders in `where`).
-#}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- if '__untested_rows__' in where -%}
            {%- set untested = '(' ~ untested_rows(relation) ~ ')' -%}
            {%- set where = where | replace('__untested_rows__', untested) -%}
        {%- endif -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) as dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}


{#-
    on-run-end (returns the SQL the hook runs): for every model with a test over its untested rows, when every data test of
    the model ran in this invocation and passed, record the invocations of its rows as tested.
    A test that failed, warned, errored or was skipped (or was not selected) records nothing,
    so those rows are tested again by the next run.
-#}
{% macro record_tested_invocations(results) -%}
    {{ return(adapter.dispatch('record_tested_invocations', 'customer_journey')(results)) }}
{%- endmacro %}

{#- No ledger on Spark (not built yet): the ledger never exists there, so untested_rows is
    every row and the tests of the incremental models read all of them on every run. -#}
{% macro spark__record_tested_invocations(results) -%}
    {{ return('') }}
{%- endmacro %}

{% macro default__record_tested_invocations(results) -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set status_of = {} -%}
    {%- for result in results -%}
        {%- do status_of.update({result.node.unique_id: result.status | string}) -%}
    {%- endfor -%}
    {%- set tests_of = {} -%}
    {%- set watched = [] -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'test' -%}
        {%- set attached = node.attached_node -%}
        {%- if attached and attached.startswith('model.') -%}
            {%- do tests_of.setdefault(attached, []).append(node.unique_id) -%}
            {%- if '__untested_rows__' in (node.config.where or '') -%}
                {%- do watched.append(attached) -%}
            {%- elif node.test_metadata and node.test_metadata.name == 'unique_new_keys' -%}
                {%- do watched.append(attached) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set passed = [] -%}
    {%- for model_id in watched | unique -%}
        {%- set not_passed = [] -%}
        {%- for test_id in tests_of[model_id] -%}
            {%- if status_of.get(test_id) != 'pass' -%}
                {%- do not_passed.append(test_id) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if not not_passed -%}
            {%- do passed.append(graph.nodes[model_id]) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if passed -%}
        {%- set ledger = tested_invocations_relation() -%}
        {%- set sql -%}
            create schema if not exists {{ ledger.database }}.{{ ledger.schema }};
            create table if not exists {{ ledger }} (
                model_name {{ dbt.type_string() }},
                invocation_id {{ dbt.type_string() }},
                recorded_at timestamp
            );
            {%- for model in passed %}
                {%- set relation = adapter.get_relation(
                    database=model.database, schema=model.schema, identifier=model.alias
                ) %}
                {%- if relation is not none and has_invocation_column(relation) %}
            insert into {{ ledger }}
            select distinct
                '{{ relation.identifier }}' as model_name,
                _invocation_id as invocation_id,
                now() as recorded_at
            from {{ relation }}
            where _invocation_id not in (
                select tested.invocation_id
                from {{ ledger }} as tested
                where tested.model_name = '{{ relation.identifier }}'
            );
                {%- endif %}
            {%- endfor %}
        {%- endset -%}
        {#- the look-ups above opened a transaction that dbt rolls back after the hooks; the
            hook's own SQL runs after it, outside any transaction, and so is kept -#}
        {%- do adapter.commit() -%}
        {{ return(sql) }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}
