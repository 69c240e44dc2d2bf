"""dbt inside Dagster: the project, the translator and the one multi-asset that runs ``dbt build``.

Asset keys follow the warehouse: ``raw/<table>`` for sources (they link to the ingestion
assets through ``meta.dagster.asset_key`` in the source YAML), ``staging/<model>``,
``intermediate/<model>``, ``marts/<model>`` and ``journey_map/<seed>``. dbt tests show up as
asset checks on the models they test; a failing test fails the step, which keeps the publish
step from running.
"""

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from orchestration.resources import WarehouseResource, dbt_project_dir

LAYER_GROUPS = {
    "staging": "staging",
    "intermediate": "intermediate",
    "marts": "marts",
    "journey_map": "journey_map",
}
_WATCHED_SUFFIXES = {".sql", ".yml", ".yaml", ".csv", ".md"}


def dbt_executable() -> str:
    """The dbt Dagster starts: ``cjm-dbt`` (dbt that dies with its parent, see
    orchestration/dbt_child.py) installed beside this Python, else the venv's plain dbt."""
    wrapper = Path(sys.executable).with_name("cjm-dbt")
    return str(wrapper if wrapper.exists() else Path(sys.executable).with_name("dbt"))


def make_project() -> DbtProject:
    project_dir = dbt_project_dir()
    return DbtProject(project_dir=project_dir, profiles_dir=project_dir)


def _newest_source_mtime(project_dir: Path) -> float:
    newest = 0.0
    for folder in ("models", "seeds", "macros", "tests", "snapshots", "analyses"):
        for path in (project_dir / folder).rglob("*"):
            if path.suffix in _WATCHED_SUFFIXES:
                newest = max(newest, path.stat().st_mtime)
    for name in ("dbt_project.yml", "profiles.yml"):
        if (project_dir / name).exists():
            newest = max(newest, (project_dir / name).stat().st_mtime)
    return newest


def ensure_manifest(project: DbtProject) -> Path:
    """Run ``dbt parse`` when the manifest is missing or older than the project's files.

    Dagster needs the manifest to know the dbt assets before anything runs; analysts editing
    models or seeds should not have to remember to parse.
    """
    manifest = Path(project.manifest_path)
    project_dir = Path(project.project_dir)
    if manifest.exists() and manifest.stat().st_mtime >= _newest_source_mtime(project_dir):
        return manifest
    completed = subprocess.run(
        [
            dbt_executable(),
            "parse",
            "--quiet",
            "--project-dir",
            str(project_dir),
            "--profiles-dir",
            str(project.profiles_dir),
        ],
        cwd=project_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"`dbt parse` failed in {project_dir}; fix the dbt project and run again:\n"
            f"{completed.stdout}\n{completed.stderr}"
        )
    return manifest


class JourneyDbtTranslator(DagsterDbtTranslator):
    """Prefix model keys with their warehouse schema and group them by layer."""

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        resource_type = props["resource_type"]
        if resource_type not in ("model", "seed", "snapshot"):
            return spec
        schema = props.get("schema") or "journey_map"
        key = dg.AssetKey([schema, props["name"]])
        return spec.replace_attributes(key=key, group_name=LAYER_GROUPS.get(schema, schema))


@contextmanager
def _warehouse_env(warehouse: WarehouseResource) -> Iterator[None]:
    """dbt's profile reads CJM_WAREHOUSE: point it at the resource's file for this build."""
    previous = os.environ.get("CJM_WAREHOUSE")
    os.environ["CJM_WAREHOUSE"] = str(Path(warehouse.path).resolve())
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("CJM_WAREHOUSE", None)
        else:
            os.environ["CJM_WAREHOUSE"] = previous


def warnings_block() -> bool:
    """CJM_WARNINGS_BLOCK=true: dbt tests that normally warn fail the run instead."""
    return os.environ.get("CJM_WARNINGS_BLOCK", "").strip().lower() in ("1", "true", "yes")


def build_args() -> list[str]:
    """The dbt command of the main job."""
    if warnings_block():
        return ["build", "--vars", '{"cjm_warning_severity": "error"}']
    return ["build"]


def build_dbt_assets(project: DbtProject) -> dg.AssetsDefinition:
    ensure_manifest(project)

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=JourneyDbtTranslator(),
        name="dbt_build",
    )
    def journey_dbt_models(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
    ):
        """``dbt build``: seeds, staging, intermediate and marts models and all their tests."""
        with _warehouse_env(warehouse):
            yield from dbt.cli(build_args(), context=context).stream()

    return journey_dbt_models
