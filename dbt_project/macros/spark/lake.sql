{#-
    `dbt run-operation register_lake_tables` (Spark target): every dbt source becomes an
    external Parquet table over its folder in the lake that orchestration/transform/
    spark_lake.py writes (`<lake>/<schema>/<table>`, partitioned by `_load_date`). The lake is
    `CJM_SPARK_LAKE` (default ../warehouse/spark/lake, relative to the dbt project); on a
    cluster, a path Spark reaches (s3a://..., abfss://..., hdfs://...). Run before each build:
    the tables are created again and their partitions listed again, so new loads are seen.
-#}
{% macro register_lake_tables(lake=none) -%}
    {%- set lake = lake or env_var('CJM_SPARK_LAKE', '../warehouse/spark/lake') -%}
    {%- for source in graph.sources.values() | sort(attribute='unique_id') -%}
        {%- set relation = api.Relation.create(schema=source.schema, identifier=source.identifier) -%}
        {%- do run_query('create schema if not exists ' ~ source.schema) -%}
        {%- do run_query('drop table if exists ' ~ relation) -%}
        {%- do run_query(
            'create table ' ~ relation ~ ' using parquet location '
            ~ "'" ~ lake ~ '/' ~ source.schema ~ '/' ~ source.identifier ~ "'"
        ) -%}
        {%- do run_query('msck repair table ' ~ relation) -%}
        {{ log('registered ' ~ relation, info=true) }}
    {%- endfor -%}
{%- endmacro %}
