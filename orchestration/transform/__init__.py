"""dbt inside Dagster.

- ``assets``: the DbtProject, the translator and the one multi-asset that runs ``dbt build``
  (imports dagster-dbt, which takes seconds; loaded only when the code location is built).
- ``manifest``: prepares the dbt manifest once (``make setup``) and again only when the dbt
  project's files changed (light: no dbt import).
- ``incremental``: when the job's ``dbt build`` rebuilds the incremental models in full
  (``cjm run --full-refresh``, or tables that predate their partitions; light).
- ``warehouse_plugin``: the dbt-duckdb plugin that attaches the warehouse file (imported by
  dbt in its own process, so this package must stay light to import).
"""

from __future__ import annotations

from typing import Any

_FROM_ASSETS = {
    "DbtCliResource",
    "JourneyDbtTranslator",
    "WarehouseDbtCliResource",
    "build_args",
    "build_dbt_assets",
    "dbt_executable",
    "make_project",
    "run_operation",
    "warnings_block",
}
_FROM_MANIFEST = {"ensure_manifest", "prepare_manifest"}


def __getattr__(name: str) -> Any:  # noqa: ANN401
    """``from orchestration.transform import build_dbt_assets`` imports dagster-dbt only then."""
    if name in _FROM_ASSETS:
        from orchestration.transform import assets

        return getattr(assets, name)
    if name in _FROM_MANIFEST:
        from orchestration.transform import manifest

        return getattr(manifest, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
