"""The Dagster asset that scores survey comments (language, sentiment, themes) before dbt.

The work lives in ``orchestration.comments`` (plain Python + DuckDB); this module only wraps it.
It runs after ``raw/survey_responses`` (and its blocking checks) and writes the ``enrich``
tables that dbt reads as the source ``enrich`` (on Spark also into the lake); only comments
without scores for the current model and themes seed are scored, so a run without new comments
loads no model.
"""

import dagster as dg

from orchestration.owners import CX_ANALYTICS
from orchestration.raw_assets import write_lake_table
from orchestration.resources import WarehouseResource

ENRICH_TABLES = {
    "comment_fingerprints": "md5 of every comment text seen in raw.survey_responses and the "
    "fingerprint of its normalised text (no comment text is stored).",
    "comment_scores": "Language, sentiment label and score, primary theme per fingerprint, model "
    "version and themes version (the cache: only new fingerprints are scored).",
    "comment_theme_matches": "Every theme a scored comment mentions, with its score.",
}


@dg.multi_asset(
    name="survey_comment_scores",
    specs=[
        dg.AssetSpec(
            key=dg.AssetKey(["enrich", table]),
            deps=[dg.AssetKey(["raw", "survey_responses"])],
            description=f"enrich.{table}: {description}",
            group_name="enrich",
            kinds={"duckdb", "python"},
            owners=[CX_ANALYTICS],
        )
        for table, description in ENRICH_TABLES.items()
    ],
)
def survey_comment_scores(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Score the comments of raw.survey_responses that have no scores yet (see README)."""
    # Imported here: the scorer needs numpy, which loading the code location does not.
    from orchestration.comments.store import score_new_comments

    lake: dict[str, dict[str, int]] = {}
    with warehouse.connect() as con:
        report = score_new_comments(con)
        for table in ENRICH_TABLES if warehouse.on_spark else ():
            lake[table] = write_lake_table(con, warehouse, "enrich", table)
    context.log.info(report.summary())
    for table in ENRICH_TABLES:
        yield dg.MaterializeResult(
            asset_key=dg.AssetKey(["enrich", table]),
            metadata={
                "distinct_comment_texts": report.distinct_texts,
                "new_texts": report.new_texts,
                "scored": report.scored,
                "seconds": round(report.seconds, 2),
                "model_version": report.model_version,
                "themes_version": report.themes_version,
                **lake.get(table, {}),
            },
        )
