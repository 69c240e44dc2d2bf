"""The Dagster code location: assembles assets, checks, the main job and resources.

Lineage, left to right: landing files -> raw tables (ingestion, blocking GX checks) ->
dbt seeds/staging/intermediate/marts (dbt tests as checks) -> the published BI copy
-> the journey map page. ``CJM_ENGINE=spark`` runs the same graph with dbt on Apache Spark
(``orchestration.engine``).
The CLI (`cjm run`), the tests and `dagster dev` all load this one definition.
"""

from __future__ import annotations

import dagster as dg

from orchestration.comment_assets import survey_comment_scores
from orchestration.engine import spark_dbt_executable
from orchestration.ingestion import RAW_TABLES
from orchestration.outbox import build_alerts_asset, build_follow_ups_asset
from orchestration.progress import progress_logger
from orchestration.publish import build_publish_asset
from orchestration.quality.checks import build_gx_check
from orchestration.quality.freshness import build_freshness_check
from orchestration.raw_assets import (
    build_delivery_check,
    build_raw_assets,
    landing_inventory,
    landing_specs,
)
from orchestration.report.asset import journey_report
from orchestration.resources import WarehouseResource
from orchestration.sensors import build_daily_schedule, build_landing_sensor
from orchestration.transform import (
    WarehouseDbtCliResource,
    build_dbt_assets,
    dbt_executable,
    make_project,
)

MAIN_JOB_NAME = "journey_warehouse"

dbt_project = make_project()
dbt_models = build_dbt_assets(dbt_project)
mart_keys = sorted((k for k in dbt_models.keys if k.path[0] == "marts"), key=str)

main_job = dg.define_asset_job(
    name=MAIN_JOB_NAME,
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description=(
        "Ingest everything new in the landing folder, run the blocking quality checks, build and "
        "test the dbt models, publish the marts for BI tools."
    ),
)


def build_definitions(warehouse: WarehouseResource | None = None) -> dg.Definitions:
    """The code location; ``warehouse`` defaults to the paths in the environment. Its
    ``engine`` picks the dbt that builds the models (``orchestration.engine``)."""
    warehouse = warehouse or WarehouseResource.from_env()
    executable = spark_dbt_executable() if warehouse.on_spark else dbt_executable()
    return dg.Definitions(
        assets=[
            *landing_specs(),
            *build_raw_assets(),
            landing_inventory,
            survey_comment_scores,
            dbt_models,
            build_publish_asset(mart_keys),
            journey_report,
            build_alerts_asset([dg.AssetKey(["bi", "published_marts"])]),
            build_follow_ups_asset([dg.AssetKey(["bi", "published_marts"])]),
        ],
        asset_checks=[
            *(build_gx_check(table) for table in RAW_TABLES),
            *(build_delivery_check(table) for table in RAW_TABLES),
            *(build_freshness_check(table) for table in RAW_TABLES),
        ],
        jobs=[main_job],
        schedules=[build_daily_schedule(MAIN_JOB_NAME)],
        sensors=[build_landing_sensor(MAIN_JOB_NAME)],
        resources={
            "warehouse": warehouse,
            "dbt": WarehouseDbtCliResource(project_dir=dbt_project, dbt_executable=executable),
        },
        loggers={"progress": progress_logger},
    )


defs = build_definitions()
