"""CRM export variants: HubSpot contacts/companies/deals (display labels and API names),
Salesforce OpportunityContactRole, 15-/18-character ids, custom fields, and which file feeds
which raw table."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.ingestion import RAW_TABLES, IngestSettings, ingest_raw_table
from orchestration.ingestion.readers.hubspot import api_name, is_hubspot_header
from orchestration.ingestion.textfile import read_head
from tests.conftest import make_landing

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
HUBSPOT = FIXTURES / "hubspot"
SALESFORCE = FIXTURES / "salesforce"
UI_CONTACTS = "hubspot-crm-exports-all-contacts-2024-01-31.csv"
API_CONTACTS = "contacts-api-export.csv"
COMPANIES = "hubspot-crm-exports-all-companies-2024-01-31.csv"
DEALS = "hubspot-crm-exports-all-deals-2024-01-31.csv"
CRM_SPECS = [s for s in RAW_TABLES.values() if s.folder == "crm"]
ALL_READERS = {id(r): r for spec in RAW_TABLES.values() for r in spec.readers}.values()


@pytest.fixture
def con(tmp_path: Path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


def ledger(con: duckdb.DuckDBPyConnection, source_file: str) -> tuple:
    return con.execute(
        "SELECT status, rows_read, rows_loaded, rows_quarantined, message, notes "
        "FROM ops.load_ledger WHERE source_file = ? ORDER BY loaded_at DESC LIMIT 1",
        [source_file],
    ).fetchall()[0]


def standard(con: duckdb.DuckDBPyConnection, table: str, columns: str, source_file: str):
    return con.execute(
        f"SELECT {columns} FROM raw.{table} WHERE _source_file = ? ORDER BY _source_row",
        [source_file],
    ).fetchall()


# --- which file feeds which table ------------------------------------------------------------


@pytest.mark.parametrize(
    ("file_name", "raw_table"),
    [
        ("Contact.csv", "crm_contacts"),
        ("CONTACT.CSV", "crm_contacts"),
        ("Account.csv", "crm_accounts"),
        ("Opportunity.csv", "crm_opportunities"),
        ("OpportunityContactRole.csv", "crm_opportunity_contact_roles"),
        ("OpportunityHistory.csv", "crm_opportunity_history"),
        (UI_CONTACTS, "crm_contacts"),
        (API_CONTACTS, "crm_contacts"),
        (COMPANIES, "crm_accounts"),
        (DEALS, "crm_opportunities"),
        ("all-deals.csv", "crm_opportunities"),
    ],
)
def test_crm_file_names_feed_one_raw_table(file_name: str, raw_table: str) -> None:
    assert [s.raw_table for s in CRM_SPECS if s.matches(file_name)] == [raw_table]


def test_no_fixture_file_name_matches_two_raw_tables() -> None:
    names = [p.name for p in FIXTURES.rglob("*") if p.is_file()]
    assert len(names) > 10
    for name in names:
        for folder in {s.folder for s in RAW_TABLES.values()}:
            specs = [s for s in RAW_TABLES.values() if s.folder == folder]
            matching = [s.raw_table for s in specs if s.matches(name)]
            assert len(matching) <= 1, (name, matching)


# --- detection -------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", sorted(p.name for p in HUBSPOT.glob("*.csv")))
def test_only_the_hubspot_reader_claims_hubspot_exports(fixture: str) -> None:
    path = HUBSPOT / fixture
    assert [r.name for r in ALL_READERS if r.detect(path, read_head(path))] == ["hubspot_csv"]


@pytest.mark.parametrize("fixture", sorted(p.name for p in SALESFORCE.glob("*.csv")))
def test_salesforce_exports_are_not_taken_for_hubspot(fixture: str) -> None:
    path = SALESFORCE / fixture
    assert "hubspot_csv" not in [r.name for r in ALL_READERS if r.detect(path, read_head(path))]


def test_display_labels_map_to_api_names_and_unknown_labels_to_snake_case() -> None:
    assert api_name("Record ID") == "hs_object_id"
    assert api_name("Contact ID") == "hs_object_id"
    assert api_name("Lifecycle Stage") == "lifecyclestage"
    assert api_name("Became a Customer Date") == "hs_lifecyclestage_customer_date"
    assert api_name("Became an Opportunity Date") == "hs_lifecyclestage_opportunity_date"
    assert api_name("Associated Company ID") == "associatedcompanyid"
    assert api_name("Deal  Stage") == "dealstage"
    assert api_name("hs_object_id") == "hs_object_id"
    assert api_name("Favourite Colour (Survey)") == "favourite_colour_survey"
    assert not is_hubspot_header(["Id", "FirstName", "LastName", "LastModifiedDate"])


# --- HubSpot contents ------------------------------------------------------------------------


def test_ui_and_api_exports_of_the_same_contacts_give_the_same_standard_fields(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    files = {f"crm/{name}": HUBSPOT / name for name in (UI_CONTACTS, API_CONTACTS)}
    landing = make_landing(tmp_path, files)
    ingest_raw_table(con, landing, "crm_contacts", IngestSettings())
    status, read, loaded, quarantined, _, notes = ledger(con, f"crm/{UI_CONTACTS}")
    assert (status, read, loaded, quarantined) == ("loaded", 4, 3, 1)
    assert "display labels" in notes and "Create Date" in notes
    assert ledger(con, f"crm/{API_CONTACTS}")[:4] == ("loaded", 3, 3, 0)

    cols = "id, accountid, left(createddate, 16)"
    ui = standard(con, "crm_contacts", cols, f"crm/{UI_CONTACTS}")
    api = standard(con, "crm_contacts", cols, f"crm/{API_CONTACTS}")
    assert (
        ui
        == api
        == [
            ("51", "8401", "2021-05-21T10:17"),
            ("52", "8402", "2021-06-02T08:05"),
            ("53", None, "2021-07-10T23:59"),
        ]
    )
    # Every column is kept under its API name; lifecycle-stage dates too.
    row = con.execute(
        "SELECT lifecyclestage, hs_lifecyclestage_customer_date, favourite_colour_survey "
        "FROM raw.crm_contacts WHERE _source_file = ? AND id = '51'",
        [f"crm/{UI_CONTACTS}"],
    ).fetchall()
    assert row == [("Customer", "2021-09-01 14:30", "blue")]
    [(reason,)] = con.execute(
        "SELECT reason FROM ops.quarantine WHERE source_file = ? AND source_row = 4",
        [f"crm/{UI_CONTACTS}"],
    ).fetchall()
    assert "no HubSpot Record ID (column 'Record ID' is empty)" in reason


def test_epoch_milliseconds_become_iso_utc_in_standard_fields_only(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    landing = make_landing(tmp_path, {f"crm/{API_CONTACTS}": HUBSPOT / API_CONTACTS})
    ingest_raw_table(con, landing, "crm_contacts", IngestSettings())
    rows = standard(con, "crm_contacts", "createddate, createdate", f"crm/{API_CONTACTS}")
    assert rows[1] == ("2021-06-02T08:05:00.000000Z", "1622621100000")
    assert rows[0] == ("2021-05-21T10:17:28.964000Z", "2021-05-21T10:17:28.964000+00:00")
    notes = ledger(con, f"crm/{API_CONTACTS}")[5]
    assert "1 value(s) in epoch milliseconds" in notes


def test_ui_times_without_zone_are_read_in_the_configured_hubspot_zone(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    landing = make_landing(tmp_path, {f"crm/{UI_CONTACTS}": HUBSPOT / UI_CONTACTS})
    settings = IngestSettings(hubspot_timezone="Europe/Berlin")
    ingest_raw_table(con, landing, "crm_contacts", settings)
    rows = standard(con, "crm_contacts", "createddate, createdate", f"crm/{UI_CONTACTS}")
    assert rows[0] == ("2021-05-21T08:17:00.000000Z", "2021-05-21 10:17")
    assert "read as Europe/Berlin" in ledger(con, f"crm/{UI_CONTACTS}")[5]


def test_companies_and_deals_fill_the_fields_staging_reads(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    landing = make_landing(
        tmp_path, {f"crm/{COMPANIES}": HUBSPOT / COMPANIES, f"crm/{DEALS}": HUBSPOT / DEALS}
    )
    ingest_raw_table(con, landing, "crm_accounts", IngestSettings())
    ingest_raw_table(con, landing, "crm_opportunities", IngestSettings())
    assert standard(con, "crm_accounts", "id, name, createddate", f"crm/{COMPANIES}") == [
        ("8401", "Müller & Söhne GmbH", "2021-05-01T09:00:00.000000Z"),
        ("8402", "Acme, Inc.", "2021-05-15T09:30:00.000000Z"),
    ]
    deals = standard(
        con,
        "crm_opportunities",
        "id, accountid, contactid, stagename, amount, closedate, closedate_as_exported, iswon, "
        "associated_contact_ids, pipeline",
        f"crm/{DEALS}",
    )
    assert deals == [
        ("9001", "8401", "51", "Closed Won", "48000", "2021-09-01", "2021-09-01 14:30", "true",
         "51", "Sales Pipeline"),
        ("9002", "8402", "52", "Appointment Scheduled", None, "2021-12-31", "2021-12-31 00:00",
         "false", "52;53", "Sales Pipeline"),
        ("9003", "8402", None, "Closed Lost", "1200.50", "2021-08-15", "2021-08-15 12:00",
         "false", None, "Sales Pipeline"),
    ]  # fmt: skip
    notes = ledger(con, f"crm/{DEALS}")[5]
    assert "iswon <- 'Deal Stage'" in notes and "several ids" in notes


def test_api_deal_export_with_epoch_close_dates_and_closed_won_flag(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    text = (
        "hs_object_id,dealname,dealstage,amount,closedate,createdate,hs_is_closed_won\n"
        "9001,Won deal,contractsigned,10,1630506600000,2021-06-10T11:00:00Z,true\n"
    )
    landing = make_landing(tmp_path, {"crm/all-deals.csv": text})
    ingest_raw_table(con, landing, "crm_opportunities", IngestSettings())
    columns = "closedate, iswon, stagename, closedate_as_exported"
    assert standard(con, "crm_opportunities", columns, "crm/all-deals.csv") == [
        ("2021-09-01", "true", "contractsigned", "1630506600000")
    ]


def test_hubspot_file_without_record_id_fails_with_advice(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    text = (
        "First Name,Email,Lifecycle Stage,Create Date\nAnna,a@example.com,Lead,2021-05-21 10:17\n"
    )
    landing = make_landing(tmp_path, {"crm/all-contacts.csv": text})
    ingest_raw_table(con, landing, "crm_contacts", IngestSettings())
    status, *_counts, message, _ = ledger(con, "crm/all-contacts.csv")
    assert status == "failed"
    assert "without a 'Record ID' (hs_object_id) column" in message


def test_same_property_twice_under_label_and_api_name_fails(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    text = "Record ID,Email,email\n51,a@example.com,b@example.com\n"
    landing = make_landing(tmp_path, {"crm/all-contacts.csv": text})
    ingest_raw_table(con, landing, "crm_contacts", IngestSettings())
    status, *_counts, message, _ = ledger(con, "crm/all-contacts.csv")
    assert status == "failed"
    assert "columns 'Email' and 'email' are the same HubSpot property ('email')" in message


# --- Salesforce ------------------------------------------------------------------------------


def test_opportunity_contact_roles_load_from_a_data_loader_export(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    source = "crm/OpportunityContactRole.csv"
    landing = make_landing(tmp_path, {source: SALESFORCE / "OpportunityContactRole.csv"})
    ingest_raw_table(con, landing, "crm_opportunity_contact_roles", IngestSettings())
    assert ledger(con, source)[:4] == ("loaded", 4, 3, 1)
    rows = standard(
        con, "crm_opportunity_contact_roles", "opportunityid, contactid, role, isprimary", source
    )
    assert rows[1] == ("0065g00000Opp03", "0035g00000XYZab", "Economic Buyer", "true")
    [(row, column)] = con.execute(
        "SELECT source_row, column_name FROM ops.quarantine WHERE source_file = ?", [source]
    ).fetchall()
    assert (row, column) == (5, "ID")


def test_custom_fields_are_kept_in_raw(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    files = {
        "crm/Account.csv": SALESFORCE / "Account.csv",
        "crm/Contact.csv": SALESFORCE / "Contact_ids_15_and_18.csv",
    }
    landing = make_landing(tmp_path, files)
    ingest_raw_table(con, landing, "crm_accounts", IngestSettings())
    ingest_raw_table(con, landing, "crm_contacts", IngestSettings())
    assert con.execute("SELECT tier__c FROM raw.crm_accounts ORDER BY _source_row").fetchall()[
        :2
    ] == [("Gold",), (None,)]
    assert con.execute(
        "SELECT id, loyalty_level__c FROM raw.crm_contacts ORDER BY _source_row"
    ).fetchall() == [
        ("0035g00000ABCde", "Gold"),
        ("0035g00000ABCdeAAH", "Gold"),
        ("0035g00000XYZab", None),
    ]


def test_salesforce_header_with_a_field_twice_in_different_case_fails(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    text = '"Id","Email","EMAIL"\n"0035g00000ABCde","a@example.com","b@example.com"\n'
    landing = make_landing(tmp_path, {"crm/Contact.csv": text})
    ingest_raw_table(con, landing, "crm_contacts", IngestSettings())
    status, *_counts, message, _ = ledger(con, "crm/Contact.csv")
    assert status == "failed"
    assert "'Email' and 'EMAIL' differ only in letter case" in message


def test_salesforce_export_without_id_column_fails_with_advice(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    text = '"AccountId","Email","CreatedDate"\n"0015g00000XyZ1a","a@example.com","2023-03-01"\n'
    landing = make_landing(tmp_path, {"crm/Contact.csv": text})
    ingest_raw_table(con, landing, "crm_contacts", IngestSettings())
    status, *_counts, message, _ = ledger(con, "crm/Contact.csv")
    assert status == "failed"
    assert "has no Id column" in message
    assert con.execute("SELECT count(*) FROM raw.crm_contacts").fetchall() == [(0,)]
