"""One raw contract: orchestration/ingestion/schema.py + specs.RAW_TABLES define the raw tables'
columns; the dbt source YAML, stg_web__events.sql and the GX suites must agree with it.

Every entry of RAW_TABLES is checked, so a raw table added later is covered without editing this
file. That the staging models read only contract columns is proven by
tests/integration/test_strict_values.py, which builds them on raw tables created from the
contract alone.
"""

from __future__ import annotations

import json
import re

import pytest
import yaml

from orchestration.ingestion import RAW_TABLES
from orchestration.ingestion.schema import GA4_EVENT_TYPE, LINEAGE_COLUMNS, names
from orchestration.resources import EXPECTATIONS_DIR
from tests.conftest import REPO_ROOT

STAGING = REPO_ROOT / "dbt_project" / "models" / "staging"


def contract_columns(raw_table: str) -> list[str]:
    """The columns raw.<raw_table> has before any file brings more: lineage + the spec's."""
    return names(LINEAGE_COLUMNS) + names(RAW_TABLES[raw_table].columns)


def source_tables() -> dict[str, dict]:
    """raw table name -> its entry in the dbt source YAML (with the source's schema)."""
    tables: dict[str, dict] = {}
    for path in sorted(STAGING.rglob("_*__sources.yml")):
        for source in yaml.safe_load(path.read_text(encoding="utf-8"))["sources"]:
            if source.get("schema") != "raw":
                continue  # e.g. `enrich`: written by Python assets, see tests/unit/test_comments
            for table in source.get("tables", []):
                name = table.get("identifier", table["name"])
                assert name not in tables, f"raw.{name} is declared twice ({path.name})"
                tables[name] = {**table, "_schema": source.get("schema"), "_file": path.name}
    return tables


def suite_columns(raw_table: str) -> set[str]:
    suite = json.loads((EXPECTATIONS_DIR / f"{raw_table}.json").read_text(encoding="utf-8"))
    columns = set(suite.get("meta", {}).get("parse", {}))
    for expectation in suite["expectations"]:
        kwargs = expectation.get("kwargs", {})
        columns.update(c for c in [kwargs.get("column"), *kwargs.get("column_list", [])] if c)
    return columns


@pytest.mark.parametrize("raw_table", sorted(RAW_TABLES))
def test_source_yaml_lists_exactly_the_contract_columns(raw_table):
    table = source_tables().get(raw_table)
    expected = contract_columns(raw_table)
    assert table is not None, (
        f"raw.{raw_table} (specs.RAW_TABLES) has no table in any "
        f"dbt_project/models/staging/*/_*__sources.yml; add it with the columns {expected}"
    )
    listed = [c["name"] for c in table.get("columns", [])]
    assert len(listed) == len(set(listed)), f"{table['_file']}: a column of {raw_table} repeats"
    missing = [c for c in expected if c not in listed]
    extra = [c for c in listed if c not in expected]
    assert not missing and not extra, (
        f"{table['_file']}, raw.{raw_table}: columns missing from the YAML {missing}, "
        f"columns not in the contract (schema.py / specs.RAW_TABLES) {extra}"
    )
    assert all((c.get("description") or "").strip() for c in table["columns"]), raw_table
    assert table["_schema"] == "raw"


@pytest.mark.parametrize("raw_table", sorted(RAW_TABLES))
def test_source_has_the_dagster_asset_key_of_its_ingestion_asset(raw_table):
    table = source_tables()[raw_table]
    assert table.get("meta", {}).get("dagster", {}).get("asset_key") == ["raw", raw_table]


@pytest.mark.parametrize("raw_table", sorted(RAW_TABLES))
def test_gx_suite_reads_only_contract_columns(raw_table):
    unknown = suite_columns(raw_table) - set(contract_columns(raw_table))
    assert not unknown, f"expectations/{raw_table}.json reads columns outside the contract"


def test_every_source_table_is_a_raw_table_of_the_contract():
    assert set(source_tables()) == set(RAW_TABLES)


def test_stg_web_events_groups_by_exactly_the_ga4_export_columns():
    sql = (STAGING / "web" / "stg_web__events.sql").read_text(encoding="utf-8")
    block = re.search(r"set ga4_columns = \[(.*?)\]", sql, re.DOTALL)
    assert block is not None
    listed = re.findall(r"'(\w+)'", block.group(1))
    assert listed == list(GA4_EVENT_TYPE), "stg_web__events.sql ga4_columns != GA4_EVENT_TYPE"


def test_contract_helper_sees_lineage_first():
    # guards the helper itself: a broken contract_columns would make the tests above vacuous
    columns = contract_columns("survey_responses")
    assert columns[:4] == ["_load_id", "_source_file", "_source_row", "_loaded_at"]
    assert "nps_score" in columns and len(columns) > 20
