{#-
    Incremental models by partition (README "Incremental runs").

    The web models are rebuilt one partition at a time: a partition is the GA4 export day
    (`event_date` as exported), the unit a re-export replaces. Every row carries
    `_partition_date` and `_partition_signature`: the signature of the rows its partition was
    built from. A partition is rebuilt when the signature of its input differs from the one
    stored (new rows, a late event, a re-exported day, a removed load); partitions whose input
    did not change are not read again. The decision uses only the data, never the clock, so a
    killed run, a re-export of an old day and a full refresh all end in the same rows.
-#}


{#-
    The config of a model incremental by partition, called at the top of the model instead of
    config(): whole partitions replaced (delete+insert on `partition_column`, the model's column
    holding the partition), a changed schema fails (the job then rebuilds the model in full),
    and a pre-hook deletes the partitions whose input rows are all gone. `input`: the ref or
    source the partitions come from, as jinja text ("ref('stg_web__events')");
    `partition_expression`: the input's partition per row, as jinja text (default: its column
    `partition_column`); `whole_input_partition`: the key of a partition built from every
    partition of the input (fct_attribution's Markov credits), kept while the input has any.
-#}
{% macro config_incremental_by_partition(input, partition_column='_partition_date', partition_expression=none, whole_input_partition=none) -%}
    {{ return(adapter.dispatch('config_incremental_by_partition', 'customer_journey')(
        input, partition_column, partition_expression, whole_input_partition
    )) }}
{%- endmacro %}

{% macro default__config_incremental_by_partition(input, partition_column, partition_expression, whole_input_partition=none) -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=partition_column,
        on_schema_change='fail',
        pre_hook=vanished_partitions_hook(
            input, partition_column, partition_expression, whole_input_partition
        ),
    ) }}
{%- endmacro %}

{#- The pre-hook text that calls delete_vanished_partitions with the config's arguments. -#}
{% macro vanished_partitions_hook(input, partition_column, partition_expression, whole_input_partition) -%}
    {%- set expression = partition_expression or "'" ~ partition_column ~ "'" -%}
    {%- set whole = "'" ~ whole_input_partition ~ "'" if whole_input_partition else 'none' -%}
    {{ return('{{ delete_vanished_partitions(' ~ input ~ ', ' ~ expression ~ ", '"
        ~ partition_column ~ "', " ~ whole ~ ') }}') }}
{%- endmacro %}

{#-
    Spark: plain Parquet tables cannot delete rows (delete+insert needs Delta or Iceberg, whose
    jars are not installed here), but they can replace whole partitions. A model partitioned
    by day is a Parquet table partitioned by `partition_column` and built with
    `insert_overwrite`: dbt-spark switches the session to dynamic partition overwrite, so an
    incremental run replaces exactly the partitions its rows fall in (without `partition_by`
    it would replace the whole table). The pre-hook drops the partitions whose input is gone,
    as on DuckDB. A model partitioned by subject (customer, account) would write one folder
    per customer, so it stays a table built in full (is_incremental() is false: the SQL is the
    same and every subject is "to build").
-#}
{% macro spark__config_incremental_by_partition(input, partition_column, partition_expression, whole_input_partition=none) -%}
    {%- if partition_column == '_partition_date' -%}
        {{ config(
            materialized='incremental',
            incremental_strategy='insert_overwrite',
            partition_by=[partition_column],
            file_format='parquet',
            on_schema_change='fail',
            pre_hook=vanished_partitions_hook(
                input, partition_column, partition_expression, whole_input_partition
            ),
        ) }}
    {%- else -%}
        {{ config(materialized='table', file_format='parquet') }}
    {%- endif -%}
{%- endmacro %}


{#-
    The materialization of a model that only reshapes its inputs and that incremental models
    read several times (their partition signatures, the rows to build, the pre-hook): a view on
    DuckDB; a Parquet table on Spark, which inlines a view into every query that reads it and
    would compute it again for each reference.
-#}
{% macro view_or_spark_table() -%}
    {{ return(adapter.dispatch('view_or_spark_table', 'customer_journey')()) }}
{%- endmacro %}

{% macro default__view_or_spark_table() -%}
    {{ return('view') }}
{%- endmacro %}

{% macro spark__view_or_spark_table() -%}
    {{ return('table') }}
{%- endmacro %}


{#- The partition of a raw GA4 row: its exported event_date text ('unknown' when missing;
    not '', which Spark would store as a NULL partition). -#}
{% macro ga4_partition_date(event_date_column) -%}
    coalesce({{ event_date_column }}, 'unknown')
{%- endmacro %}


{#-
    Aggregate expression: a signature of the rows of a group, which changes when a row is added
    or removed or comes from another load. `load_id_column`: the load (or upstream signature)
    each row came from.
-#}
{% macro partition_signature(load_id_column) -%}
    {{ return(adapter.dispatch('partition_signature', 'customer_journey')(load_id_column)) }}
{%- endmacro %}

{% macro default__partition_signature(load_id_column) -%}
    cast(count(*) as {{ dbt.type_string() }})
    || ':'
    || cast(sum({{ hash64(load_id_column) }}) as {{ dbt.type_string() }})
{%- endmacro %}


{#-
    A row's signature as text: a hash of the given columns, which changes when one of them does.
    For rows without a load or upstream partition whose change could be tracked instead.
-#}
{% macro row_signature(columns) -%}
    {{ return(adapter.dispatch('row_signature', 'customer_journey')(columns)) }}
{%- endmacro %}

{% macro default__row_signature(columns) -%}
    cast({{ hash64(named_struct(columns)) }} as {{ dbt.type_string() }})
{%- endmacro %}


{#-
    The partitions to build: every partition of the input when the model is built in full, else
    the partitions whose input signature differs from the stored one (input partitions that
    are new or changed). `input_signatures`: a CTE with columns partition_key and
    partition_signature; `partition_column`: the model's column that holds the partition
    (an export day `_partition_date`, or a subject such as customer_id). Partitions that
    vanished from the input are removed by the pre-hook `delete_vanished_partitions`.
-#}
{% macro partitions_to_build(input_signatures, partition_column='_partition_date') -%}
    select
        {{ input_signatures }}.partition_key,
        {{ input_signatures }}.partition_signature
    from {{ input_signatures }}
    {%- if is_incremental() %}
        left join (
            select distinct
                {{ partition_column }} as partition_key,
                _partition_signature
            from {{ this }}
        ) as built
            on
                {{ input_signatures }}.partition_key = built.partition_key
                and {{ input_signatures }}.partition_signature = built._partition_signature
    where built.partition_key is null
    {%- endif %}
{%- endmacro %}


{#-
    Pre-hook of a partitioned incremental model: delete the partitions whose input rows are all
    gone (the delete+insert strategy replaces only the partitions it builds). Runs inside the
    model's transaction. `input`: relation; `partition_expression`: its partition per row (rows
    where it is NULL belong to no partition); `partition_column`: the model's partition column;
    `whole_input_partition`: a partition built from the whole input, kept while any input row
    has a partition.
-#}
{% macro delete_vanished_partitions(input, partition_expression, partition_column='_partition_date', whole_input_partition=none) -%}
    {{ return(adapter.dispatch('delete_vanished_partitions', 'customer_journey')(
        input, partition_expression, partition_column, whole_input_partition
    )) }}
{%- endmacro %}

{#- The partitions of the input (SQL: one column). -#}
{% macro input_partitions(input, partition_expression, whole_input_partition) -%}
    select distinct {{ partition_expression }} from {{ input }}
    where {{ partition_expression }} is not null
    {%- if whole_input_partition %}
    union all
    select '{{ whole_input_partition }}'
    where exists (
        select 1 from {{ input }} where {{ partition_expression }} is not null
    )
    {%- endif %}
{%- endmacro %}

{% macro default__delete_vanished_partitions(input, partition_expression, partition_column, whole_input_partition=none) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ partition_column }} not in (
            {{ input_partitions(input, partition_expression, whole_input_partition) }}
        )
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- Spark: the vanished partitions are listed first, then dropped in one statement (a Parquet
    table cannot delete rows, and DROP PARTITION takes values, not a query). -#}
{% macro spark__delete_vanished_partitions(input, partition_expression, partition_column, whole_input_partition=none) -%}
    {%- set vanished = [] -%}
    {%- if execute and is_incremental() -%}
        {%- set found = run_query(
            'select distinct ' ~ partition_column ~ ' from ' ~ this
            ~ ' where ' ~ partition_column ~ ' not in ('
            ~ input_partitions(input, partition_expression, whole_input_partition) ~ ')'
        ) -%}
        {%- set vanished = found.columns[0].values() | list -%}
    {%- endif -%}
    {%- if vanished -%}
        alter table {{ this }} drop if exists
        {%- for partition in vanished %}
            partition ({{ partition_column }} = '{{ partition | replace("\\", "\\\\") | replace("'", "\\'") }}')
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}


{#-
    Body of a CTE (partition_key, partition_signature): per partition of `relation` (its
    `_partition_date`), the signature of its rows over `load_id_column` (the load, upstream
    invocation or row signature each row came from). `where`: which rows count (SQL).
-#}
{% macro partition_signatures(relation, load_id_column, where=none) -%}
    select
        _partition_date as partition_key,
        {{ partition_signature(load_id_column) }} as partition_signature
    from {{ relation }}
    {%- if where %}
    where {{ where }}
    {%- endif %}
    group by _partition_date
{%- endmacro %}


{#-
    Body of a CTE (partition_key, partition_signature): per partition of `relation`, a model
    incremental by the same partitions (`partition_column`: its column holding them), the
    signature its rows were built with (a partition is built whole, so its rows share it).
    A model downstream then rebuilds exactly the partitions its input rebuilt. `where`: which
    rows count (SQL).
-#}
{% macro inherited_partition_signatures(relation, partition_column, where=none) -%}
    select
        {{ partition_column }} as partition_key,
        min(_partition_signature) as partition_signature
    from {{ relation }}
    {%- if where %}
    where {{ where }}
    {%- endif %}
    group by {{ partition_column }}
{%- endmacro %}


{#-
    Body of a CTE (partition_key, signature_name): per subject of `relation` (`subject`: its key
    column, rows without one left out), the signature of the subject's rows over `columns`.
    For models partitioned by subject (a customer, an account).
-#}
{% macro subject_signatures(relation, subject, columns, signature_name) -%}
    select
        {{ subject }} as partition_key,
        {{ partition_signature(row_signature(columns)) }} as {{ signature_name }}
    from {{ relation }}
    where {{ subject }} is not null
    group by {{ subject }}
{%- endmacro %}


{#-
    Body of a CTE: the rows of `relation` in the partitions to build (CTE partitions_to_build,
    column partition_key; `partition_column`: the relation's column holding the partition);
    every row when the model is built in full.
-#}
{% macro rows_to_build(relation, partition_column) -%}
    select to_build.*
    from {{ relation }} as to_build
    {%- if is_incremental() %}
    inner join partitions_to_build
        on to_build.{{ partition_column }} = partitions_to_build.partition_key
    {%- endif %}
{%- endmacro %}


{#- The partition of a row of int_attribution_paths: its customer, or one partition for the
    conversions without a customer (a partition key cannot be NULL). -#}
{% macro attribution_path_partition(customer_column) -%}
    coalesce({{ customer_column }}, '(no customer)')
{%- endmacro %}
