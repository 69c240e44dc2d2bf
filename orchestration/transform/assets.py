"""dbt inside Dagster: the project, the translator and the one multi-asset that runs ``dbt build``.

Asset keys follow the warehouse: ``raw/<table>`` for sources (they link to the ingestion
assets through ``meta.dagster.asset_key`` in the source YAML), ``staging/<model>``,
``intermediate/<model>``, ``marts/<model>`` and ``journey_map/<seed>``. dbt tests show up as
asset checks on the models they test; a failing test fails the step, which keeps the publish
step from running.
"""

import contextlib
import importlib.abc
import importlib.metadata
import json
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from packaging import version

from orchestration.engine import is_local
from orchestration.owners import dbt_owners
from orchestration.resources import WarehouseResource, dbt_project_dir
from orchestration.transform.incremental import (
    full_refresh_requested,
    spark_tables_out_of_date,
    tables_out_of_date,
)
from orchestration.transform.manifest import dbt_executable, ensure_manifest

__all__ = ["dbt_executable"]


class _NoDbtCore(importlib.abc.MetaPathFinder):
    """Makes ``import dbt...`` fail while dagster-dbt is imported (see ``_import_dagster_dbt``)."""

    def find_spec(self, name: str, path: object, target: object = None) -> None:
        if name == "dbt" or name.startswith("dbt."):
            raise ImportError(f"{name}: dbt-core is not imported in the Dagster process")


@contextlib.contextmanager
def _without_dbt_core() -> Iterator[None]:
    finder = _NoDbtCore()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


def _import_dagster_dbt() -> None:
    """Import dagster-dbt without dbt-core: ~3-5 s less from process start to the first asset.

    dagster-dbt imports dbt-core's artifact and adapter classes (mashumaro JSON schemas, the
    adapter base) when dbt-core is importable, and works without them as it does for dbt Fusion:
    it reads the prepared manifest as JSON and runs dbt as a child process (``cjm-dbt``), which
    is how this job runs dbt anyway. In-process dbt-core serves only two things this job does
    not use: evaluating a ``select``/``exclude`` string at definition time (the unit-test
    exclusion is passed to ``dbt build`` instead, see ``build_args``) and a dbt adapter for
    row counts and column metadata (turned off in ``WarehouseDbtCliResource``). The asset graph
    is the same either way (a test compares it). Where dbt-core is already imported (a test
    process that ran dbt in-process), dagster-dbt simply uses it.
    """
    if "dagster_dbt" in sys.modules or "dbt" in sys.modules:
        return
    with _without_dbt_core():
        import dagster_dbt  # noqa: F401


_import_dagster_dbt()
from dagster_dbt import (  # noqa: E402
    DagsterDbtTranslator,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

LAYER_GROUPS = {
    "staging": "staging",
    "intermediate": "intermediate",
    "marts": "marts",
    "journey_map": "journey_map",
}


def make_project() -> DbtProject:
    project_dir = dbt_project_dir()
    return DbtProject(project_dir=project_dir, profiles_dir=project_dir)


class WarehouseDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt resource without two start-up costs of each ``dbt build`` step.

    - The dbt version: dagster-dbt runs ``dbt --version`` (~4 s: a Python start, dbt's
      imports and a look-up of the latest release on the package index). The dbt we start is
      the venv's own (``cjm-dbt`` runs it), so the installed dbt-core's version is the answer.
    - A dbt adapter in the Dagster process: dagster-dbt loads dbt's profile, project and the
      DuckDB adapter here (~3 s of imports and memory) only to fetch row counts or column
      metadata on request (``fetch_row_counts()``, ``fetch_column_metadata()``), which this job
      does not use. Without it the invocation behaves as with dbt Fusion: no adapter.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> Any:  # noqa: ANN401
        return None


class JourneyDbtTranslator(DagsterDbtTranslator):
    """Prefix model keys with their warehouse schema and group them by layer."""

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        # dagster-dbt asks for a node's spec once per test on it too (~1,300 calls for ~90
        # nodes); remembered per node as the base class does, keyed the same way.
        memo = self.__dict__.setdefault("_journey_specs", {})
        memo_id = (id(manifest), unique_id, id(project))
        if memo_id not in memo:
            memo[memo_id] = self._journey_spec(manifest, unique_id, project)
        return memo[memo_id]

    def _journey_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        resource_type = props["resource_type"]
        if resource_type not in ("model", "seed", "snapshot"):
            return spec
        schema = props.get("schema") or "journey_map"
        key = dg.AssetKey([schema, props["name"]])
        meta = props.get("meta") or props.get("config", {}).get("meta") or {}
        return spec.replace_attributes(
            key=key,
            group_name=LAYER_GROUPS.get(schema, schema),
            owners=dbt_owners(props["name"], meta),
        )


def dbt_env(warehouse: WarehouseResource) -> dict[str, str]:
    """What dbt's profile reads for this build: the warehouse file (CJM_WAREHOUSE) and, on
    Spark, the target and its locations (``orchestration.engine.SparkPaths``)."""
    env = {"CJM_WAREHOUSE": str(Path(warehouse.path).resolve())}
    if warehouse.on_spark:
        env |= warehouse.spark_paths().dbt_env()
    return env


@contextmanager
def _dbt_env(env: Mapping[str, str]) -> Iterator[None]:
    """dagster-dbt passes this process's environment to dbt: set ``env`` for one invocation."""
    previous = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_operation(
    dbt: DbtCliResource, warehouse: WarehouseResource, macro: str, args: Mapping[str, Any]
) -> None:
    """``dbt run-operation <macro>`` with the build's environment; raises when it fails."""
    command = ["run-operation", macro, "--args", json.dumps(dict(args))]
    with _dbt_env(dbt_env(warehouse)):
        invocation = dbt.cli(command, raise_on_error=False).wait()
    if not invocation.is_successful():
        logs = invocation.target_path / "dbt.log"
        raise RuntimeError(
            f"dbt run-operation {macro} failed: {invocation.get_error()}. dbt's log: {logs}"
        )


def warnings_block() -> bool:
    """CJM_WARNINGS_BLOCK=true: dbt tests that normally warn fail the run instead."""
    return os.environ.get("CJM_WARNINGS_BLOCK", "").strip().lower() in ("1", "true", "yes")


# dbt unit tests check model logic on fixed fixtures, not the delivered data: they run when the
# dbt project is built on its own (`dbt build`, and so in `make test`), not in every job run,
# where they took about a quarter of the `dbt build` step. Passed to `dbt build` rather than to
# `@dbt_assets` (unit tests are no asset checks either way), so that defining the assets needs
# no in-process dbt selection engine (see `_import_dagster_dbt`).
JOB_EXCLUDES = "test_type:unit"


# dbt writes manifest.json (and graph.gpickle, the semantic manifest) after loading the
# project and again, with run_results.json, after the build: ~1.5-2 s of every job run spent on
# files of a few MB that the job never reads (it loads the prepared manifest in
# dbt_project/target/, and each result reaches Dagster as an event). `--no-write-json` skips
# them; every node's result and timing stay in the invocation's JSON log (dbt.log,
# ``NodeFinished``), which is what `cjm benchmark` reads.
NO_ARTIFACTS = "--no-write-json"


def build_args(full_refresh: bool = False) -> list[str]:
    """The dbt command of the main job; ``full_refresh`` rebuilds the incremental models."""
    args = ["build", "--exclude", JOB_EXCLUDES, NO_ARTIFACTS]
    if warnings_block():
        args += ["--vars", '{"cjm_warning_severity": "error"}']
    if full_refresh:
        args.append("--full-refresh")
    return args


def incremental_tables_out_of_date(warehouse: WarehouseResource, manifest_path: Path) -> list[str]:
    """The incremental models whose stored table the job must rebuild in full (the DuckDB
    warehouse, or on Spark its warehouse folder when that is on this machine)."""
    if not warehouse.on_spark:
        return tables_out_of_date(Path(warehouse.path), manifest_path)
    tables = warehouse.spark_paths().tables
    return spark_tables_out_of_date(Path(tables), manifest_path) if is_local(tables) else []


def build_dbt_assets(project: DbtProject) -> dg.AssetsDefinition:
    """The ``dbt build`` multi-asset, from the prepared manifest (prepared again first only
    when the dbt project changed since: see ``orchestration.transform.manifest``)."""
    ensure_manifest(Path(project.project_dir))

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=JourneyDbtTranslator(),
        name="dbt_build",
    )
    def journey_dbt_models(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
    ):
        """``dbt build``: seeds, staging, intermediate and marts models and all their tests
        (on Spark: the lake's folders registered as the source tables first)."""
        outdated = incremental_tables_out_of_date(warehouse, project.manifest_path)
        if outdated:
            context.log.info(
                "building the incremental models in full: the columns of "
                f"{', '.join(outdated)} are not the model's (built by an older version)"
            )
        full_refresh = full_refresh_requested() or bool(outdated)
        with _dbt_env(dbt_env(warehouse)):
            yield from dbt.cli(build_args(full_refresh), context=context).stream()

    return journey_dbt_models
