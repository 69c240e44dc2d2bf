"""Which engine builds the dbt project: DuckDB (the default) or Apache Spark (``CJM_ENGINE``).

The job and its asset graph are the same on both (README "Running on Spark"). Ingestion, the
load ledger and the quarantine always write the DuckDB warehouse; with ``CJM_ENGINE=spark``:

- each raw asset also writes its table as Parquet into the lake, partitioned by load date
  (``orchestration.transform.spark_lake``), and the blocking quality gates read that Parquet;
- ``dbt build`` runs with the ``spark`` target of ``dbt_project/profiles.yml`` from
  ``.venv-spark`` (``make spark-setup``), which registers the lake's folders as tables first;
- publishing writes every mart as Parquet under the published location and points the Spark
  tables ``bi.<mart>`` at it; the same marts are then copied into the DuckDB warehouse and its
  published copy, which the journey map page, the alerts and the follow-ups read.

Settings (environment variables; the folders default to ``spark/`` beside the warehouse file):

- ``CJM_ENGINE``: ``duckdb`` or ``spark``.
- ``CJM_SPARK_LAKE``: the folder the job writes the raw layer into (``<warehouse dir>/spark/lake``)
  and ``CJM_SPARK_LAKE_URL``: where Spark reads that same folder (default: the folder; on a
  cluster the bucket that the folder mounts, ``s3a://bucket/cjm/lake``).
- ``CJM_SPARK_PUBLISHED`` and ``CJM_SPARK_PUBLISHED_URL``: the published marts as Parquet, as
  the job reads them and as Spark writes them (``<warehouse dir>/spark/published``).
- ``CJM_SPARK_WAREHOUSE``: where Spark writes its tables (``<warehouse dir>/spark/tables``; any
  location Spark writes, the job never reads it).
- ``CJM_SPARK_METASTORE_URL``: the table catalogue (a Derby database in ``spark/metastore_db``).
- ``CJM_SPARK_DBT``: the dbt executable with dbt-spark (``.venv-spark/bin/cjm-dbt``).

Kept free of heavy imports (no dagster, no dbt).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENGINES = ("duckdb", "spark")
REPO_ROOT = Path(__file__).resolve().parents[1]
SPARK_VENV = REPO_ROOT / ".venv-spark"


class EngineError(ValueError):
    """The engine setting names no engine, or the chosen engine is not installed."""


def engine_from_env() -> str:
    """``CJM_ENGINE`` (default ``duckdb``), checked."""
    return checked_engine(os.environ.get("CJM_ENGINE", "") or "duckdb")


def checked_engine(name: str) -> str:
    engine = name.strip().lower()
    if engine not in ENGINES:
        raise EngineError(
            f"CJM_ENGINE={name!r} is not an engine this job runs on: use "
            f"{' or '.join(ENGINES)} (README 'Running on Spark')."
        )
    return engine


@dataclass(frozen=True)
class SparkPaths:
    """Where the Spark engine keeps its files. ``lake`` and ``published`` are folders this
    process writes and reads; ``lake_url`` and ``published_url`` are the same folders as Spark
    reaches them (the folder itself on one machine; ``s3a://``, ``abfss://``, ``hdfs://`` on
    a cluster, with the bucket mounted here)."""

    lake: str
    lake_url: str
    published: str
    published_url: str
    tables: str
    metastore_url: str

    @classmethod
    def for_warehouse(cls, warehouse: Path) -> SparkPaths:
        """The paths the environment names, else ``spark/`` beside the warehouse file."""
        home = warehouse.resolve().parent / "spark"
        metastore = f"jdbc:derby:;databaseName={home / 'metastore_db'};create=true"
        lake = _setting("CJM_SPARK_LAKE", home / "lake")
        published = _setting("CJM_SPARK_PUBLISHED", home / "published")
        return cls(
            lake=lake,
            lake_url=_setting("CJM_SPARK_LAKE_URL", Path(lake)),
            published=published,
            published_url=_setting("CJM_SPARK_PUBLISHED_URL", Path(published)),
            tables=_setting("CJM_SPARK_WAREHOUSE", home / "tables"),
            metastore_url=os.environ.get("CJM_SPARK_METASTORE_URL", "") or metastore,
        )

    def local_folder(self, which: str) -> Path:
        """``lake`` or ``published`` as a folder this process reads and writes with DuckDB;
        a URL there is an error that says to mount it."""
        location = getattr(self, which)
        if not is_local(location):
            setting = f"CJM_SPARK_{which.upper()}"
            raise EngineError(
                f"{setting}={location}: the job reads and writes this folder with DuckDB, "
                f"which needs a folder here. Mount the bucket, point {setting} at the mounted "
                f"folder and {setting}_URL at the bucket (how Spark reaches it)."
            )
        return Path(location)

    def dbt_env(self) -> dict[str, str]:
        """The environment of a dbt invocation on Spark (read by ``dbt_project/profiles.yml``
        and the ``register_lake_tables`` and ``publish_marts_parquet`` macros)."""
        return {
            "CJM_DBT_TARGET": "spark",
            "CJM_SPARK_LAKE_URL": self.lake_url,
            "CJM_SPARK_PUBLISHED_URL": self.published_url,
            "CJM_SPARK_WAREHOUSE": self.tables,
            "CJM_SPARK_METASTORE_URL": self.metastore_url,
        }


def _setting(name: str, default: Path) -> str:
    """A path setting: a URL stays as it is, a local path becomes absolute."""
    value = os.environ.get(name, "").strip()
    if "://" in value:
        return value.rstrip("/")
    return str(Path(value).resolve() if value else default)


def is_local(location: str) -> bool:
    """Whether DuckDB and Python can read ``location`` as a folder (no ``scheme://``)."""
    return "://" not in location


def spark_dbt_executable() -> str:
    """The dbt that has dbt-spark: ``CJM_SPARK_DBT``, else ``cjm-dbt`` of ``.venv-spark``."""
    configured = os.environ.get("CJM_SPARK_DBT", "").strip()
    executable = Path(configured) if configured else SPARK_VENV / "bin" / "cjm-dbt"
    if not executable.exists():
        raise EngineError(
            f"CJM_ENGINE=spark needs dbt with dbt-spark, and {executable} does not exist: run "
            "`make spark-setup` (a virtual environment .venv-spark with dbt-spark and PySpark, "
            "Java 17 when missing), or set CJM_SPARK_DBT to a dbt that has dbt-spark."
        )
    return str(executable)
