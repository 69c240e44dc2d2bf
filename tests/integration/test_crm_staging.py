"""dbt staging over real-format CRM exports: 15-/18-character ids of one record become one
row, `Z`, `.000Z` and `+0000` are the same instant, HubSpot exports pass the staging models,
an opportunity without ContactId gets its contact from the primary contact role, and a record
whose latest export says IsDeleted = true is gone from staging and the marts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.ingestion import RAW_TABLES, IngestSettings, ingest_raw_table
from tests.conftest import FIXTURES, REPO_ROOT, dbt_target, make_landing

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
SALESFORCE = FIXTURES / "salesforce"
HUBSPOT = FIXTURES / "hubspot"

# Opportunity 0065g00000Opp03 has no ContactId; its primary OpportunityContactRole names the
# contact 0035g00000XYZab (15 characters; 0035g00000XYZabAAH in staging).
# Opportunity 0065g00000Opp04 was deleted in Salesforce: the weekly Data Export marks it and its
# OpportunityHistory row IsDeleted = true.
OPPORTUNITIES = (
    '"Id","AccountId","ContactId","Name","StageName","Amount","CloseDate","IsWon","CreatedDate",'
    '"IsDeleted"\n'
    '"0065g00000Opp03AAB","0015g00000XyZ1aAAF","","Renewal","Prospecting","100.0","2023-06-30",'
    '"false","2023-02-20T08:00:00.000+0000","false"\n'
    '"0065g00000Opp04AAB","0015g00000XyZ1aAAF","0035g00000XYZab","Upsell","Prospecting",'
    '"900.0","2023-07-31","false","2023-02-21T08:00:00.000+0000","true"\n'
)
HISTORY = (
    '"Id","OpportunityId","StageName","Amount","CloseDate","CreatedDate","IsDeleted"\n'
    '"0085g00000Hst09AAA","0065g00000Opp03","Prospecting","100.0","2023-06-30",'
    '"2023-02-20T08:00:00Z","false"\n'
    '"0085g00000Hst10AAA","0065g00000Opp04","Prospecting","900.0","2023-07-31",'
    '"2023-02-21T08:00:00Z","true"\n'
)
# Contact 0035g00000ErKwb (Erik) is live in the first Contact export and deleted in the next
# one, a Data Loader "Export All" (Contact_export_all.csv: his 18-character copy says false, the
# later 15-character copy true). Both exports have as many rows, so the second one replaces the
# first; Erik must not come back from either his earlier copy or the first export.
ERIK = "0035g00000ErKwbAAF"
CONTACTS_BEFORE = (SALESFORCE / "Contact_ids_15_and_18.csv").read_text(encoding="utf-8") + (
    '"0035g00000ErKwbAAF","0015g00000XyZ1aAAF","Erik","Weber","erik.weber@example.com",'
    '"2023-03-03T08:00:00.000Z",""\n'
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("crm_staging")
    landing = make_landing(
        root,
        {
            "crm/Contact.csv": CONTACTS_BEFORE,
            "crm/Account.csv": SALESFORCE / "Account.csv",
            "crm/Opportunity.csv": OPPORTUNITIES,
            "crm/OpportunityHistory.csv": HISTORY,
            "crm/OpportunityContactRole.csv": SALESFORCE / "OpportunityContactRole.csv",
            "crm/Case.csv": SALESFORCE / "Case.csv",
            # HubSpot exports of the same contacts twice (UI and API) and of deals
            "crm/hubspot-crm-exports-all-contacts-2024-01-31.csv": HUBSPOT
            / "hubspot-crm-exports-all-contacts-2024-01-31.csv",
            "crm/contacts-api-export.csv": HUBSPOT / "contacts-api-export.csv",
            "crm/hubspot-crm-exports-all-companies-2024-01-31.csv": HUBSPOT
            / "hubspot-crm-exports-all-companies-2024-01-31.csv",
            "crm/hubspot-crm-exports-all-deals-2024-01-31.csv": HUBSPOT
            / "hubspot-crm-exports-all-deals-2024-01-31.csv",
        },
    )
    warehouse = root / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        for raw_table in RAW_TABLES:
            ingest_raw_table(con, landing, raw_table, IngestSettings())
        # the next Contact export: Erik deleted upstream
        make_landing(root, {"crm/Contact.csv": SALESFORCE / "Contact_export_all.csv"})
        ingest_raw_table(con, landing, "crm_contacts", IngestSettings())
    completed = subprocess.run(
        [str(BIN / "dbt"), "build", "--select", "staging.crm", "+int_touchpoint_candidates_unioned",
         "+dim_customers", "+fct_touchpoints", "--indirect-selection", "cautious",
         "--target-path", str(dbt_target(root / "target"))],
        cwd=REPO_ROOT / "dbt_project",
        env={**os.environ, "CJM_WAREHOUSE": str(warehouse), "CJM_DBT_TARGET": "dev"},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    results = json.loads((root / "target" / "run_results.json").read_text())["results"]
    failed = [(r["unique_id"], r["status"], r["message"]) for r in results
              if r["status"] not in ("success", "pass")]  # fmt: skip
    assert completed.returncode == 0, (failed, completed.stdout[-3000:])
    return warehouse


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_15_and_18_character_ids_of_one_contact_are_one_row(built: Path) -> None:
    rows = query(
        built,
        "SELECT contact_id, account_id, created_at FROM staging.stg_crm__contacts "
        "WHERE contact_id LIKE '0035g00000ABCde%'",
    )
    assert len(rows) == 1
    contact_id, account_id, created_at = rows[0]
    assert (contact_id, account_id) == ("0035g00000ABCdeAAH", "0015g00000XyZ1aAAF")
    assert str(created_at) == "2023-03-01 12:00:00"


def test_z_000z_and_plus_0000_offsets_are_the_same_instant(built: Path) -> None:
    rows = query(
        built,
        "SELECT opportunity_contact_role_id_15, created_at "
        "FROM staging.stg_crm__opportunity_contact_roles ORDER BY 1",
    )
    assert [str(r[1]) for r in rows] == [
        "2023-01-10 08:05:00",  # .000Z
        "2023-02-20 09:00:00",  # .000+0000
        "2023-02-20 09:01:00",  # Z
    ]


def test_hubspot_ui_and_api_exports_of_one_contact_are_one_row(built: Path) -> None:
    rows = query(
        built,
        "SELECT contact_id, account_id, created_at FROM staging.stg_crm__contacts "
        "WHERE contact_id IN ('51', '52', '53') ORDER BY 1",
    )
    assert [(r[0], r[1]) for r in rows] == [("51", "8401"), ("52", "8402"), ("53", None)]
    deals = query(
        built,
        "SELECT opportunity_id, contact_id, amount, is_won, close_date "
        "FROM staging.stg_crm__opportunities WHERE opportunity_id = '9001'",
    )
    assert [(d[0], d[1], d[2], d[3], str(d[4])) for d in deals] == [
        ("9001", "51", 48000.0, True, "2021-09-01")
    ]


def test_opportunity_without_contact_takes_the_primary_contact_role(built: Path) -> None:
    rows = query(
        built,
        "SELECT customer_id FROM intermediate.int_touchpoint_candidates_unioned "
        "WHERE source_object = 'opportunity_history' AND source_record_id LIKE '0085g00000Hst09%'",
    )
    assert rows == [("0035g00000XYZabAAH",)]


def test_the_export_that_marks_a_record_deleted_loads_and_replaces_the_earlier_one(
    built: Path,
) -> None:
    """Deletion arrives as a row, so the re-delivery is not shorter: it is applied, not held."""
    ledger = query(
        built,
        "SELECT status, rows_read, rows_loaded FROM ops.load_ledger "
        "WHERE source_file = 'crm/Contact.csv' ORDER BY loaded_at",
    )
    assert ledger == [("superseded", 4, 4), ("loaded", 5, 5)]
    raw = query(
        built, "SELECT id, isdeleted FROM raw.crm_contacts WHERE id LIKE '0035g00000ErKwb%'"
    )
    assert sorted(raw) == [("0035g00000ErKwb", "true"), (ERIK, "false")]  # as exported


def test_a_contact_deleted_in_the_latest_export_is_gone_from_staging_and_marts(
    built: Path,
) -> None:
    assert (
        query(built, f"SELECT * FROM staging.stg_crm__contacts WHERE contact_id = '{ERIK}'") == []
    )
    assert query(built, f"SELECT * FROM marts.dim_customers WHERE crm_contact_id = '{ERIK}'") == []
    # the contacts of the same export that are not deleted stay, and so do exports without
    # the IsDeleted column (HubSpot)
    kept = query(
        built,
        "SELECT contact_id, is_deleted FROM staging.stg_crm__contacts "
        "WHERE contact_id IN ('0035g00000XYZabAAH', '0035g00000ABCdeAAH', '51') ORDER BY 1",
    )
    assert kept == [("0035g00000ABCdeAAH", False), ("0035g00000XYZabAAH", False), ("51", None)]
    customers = query(
        built,
        "SELECT crm_contact_id FROM marts.dim_customers "
        "WHERE crm_contact_id = '0035g00000XYZabAAH'",
    )
    assert customers == [("0035g00000XYZabAAH",)]


def test_a_deleted_opportunity_and_its_history_are_gone_from_staging_and_marts(
    built: Path,
) -> None:
    opportunities = query(
        built, "SELECT opportunity_id_15 FROM staging.stg_crm__opportunities ORDER BY 1"
    )
    assert ("0065g00000Opp04",) not in opportunities
    assert ("0065g00000Opp03",) in opportunities
    changes = query(
        built,
        "SELECT opportunity_stage_change_id_15 FROM staging.stg_crm__opportunity_stage_changes",
    )
    assert ("0085g00000Hst10",) not in changes
    touchpoints = query(
        built,
        "SELECT left(source_record_id, 15), customer_id FROM marts.fct_touchpoints "
        "WHERE source_object = 'opportunity_history'",
    )
    assert touchpoints == [("0085g00000Hst09", "0035g00000XYZabAAH")]
