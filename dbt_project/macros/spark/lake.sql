{#-
    register_lake_tables (Spark target; the project's on-run-start hook, or
    `dbt run-operation register_lake_tables`): every dbt source becomes an external Parquet
    table over its folder in the lake that orchestration/transform/spark_lake.py writes
    (`<lake>/<schema>/<table>`, partitioned by `_load_date`). The lake is
    `CJM_SPARK_LAKE_URL`, else `CJM_SPARK_LAKE` (default ../warehouse/spark/lake, relative to
    the dbt project; the Dagster job passes its own); on a cluster, a path Spark reaches
    (s3a://..., abfss://..., hdfs://...). Run before each build: the tables are created again
    and their partitions listed again, so new and removed load dates are seen.
-#}
{% macro register_lake_tables(lake=none) -%}
    {%- if not execute -%}{%- do return('') -%}{%- endif -%}
    {%- set lake = lake or env_var(
        'CJM_SPARK_LAKE_URL', env_var('CJM_SPARK_LAKE', '../warehouse/spark/lake')
    ) -%}
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

{#-
    publish_marts_parquet (Spark target; the job's publish step runs it with
    `dbt run-operation publish_marts_parquet --args '{run_id: ...}'` after every test passed):
    every mart table is written as Parquet into `<published>/runs/<run_id>/<mart>` and the
    Spark table `bi.<mart>` is pointed at that folder, so BI tools on the cluster query
    `bi.<mart>` and tools that read files read the folder the job names in
    `<published>/current.json`. A failed build never gets here, so `bi` keeps the last good
    marts. `<published>` is `CJM_SPARK_PUBLISHED_URL`, else `CJM_SPARK_PUBLISHED`; on a
    cluster a path Spark reaches.
-#}
{% macro publish_marts_parquet(run_id, location=none) -%}
    {%- set location = location or env_var(
        'CJM_SPARK_PUBLISHED_URL',
        env_var('CJM_SPARK_PUBLISHED', '../warehouse/spark/published')
    ) -%}
    {%- set folder = location ~ '/runs/' ~ run_id -%}
    {%- set marts = [] -%}
    {%- for node in graph.nodes.values() | sort(attribute='name') -%}
        {%- if node.resource_type == 'model' and node.schema == 'marts'
            and node.config.materialized in ('table', 'incremental') -%}
            {%- do marts.append(node.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for mart in marts -%}
        {%- do run_query(
            "insert overwrite directory '" ~ folder ~ '/' ~ mart ~ "' using parquet"
            ~ ' select * from marts.' ~ mart
        ) -%}
    {%- endfor -%}
    {%- do run_query('create schema if not exists bi') -%}
    {%- for mart in marts -%}
        {%- do run_query('drop table if exists bi.' ~ mart) -%}
        {%- do run_query(
            'create table bi.' ~ mart ~ " using parquet location '"
            ~ folder ~ '/' ~ mart ~ "'"
        ) -%}
    {%- endfor -%}
    {{ log('published ' ~ marts | length ~ ' marts to ' ~ folder, info=true) }}
{%- endmacro %}
