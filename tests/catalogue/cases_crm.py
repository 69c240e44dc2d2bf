"""Catalogue cases for CRM exports: Salesforce id forms and offsets, OpportunityContactRole,
HubSpot UI and API exports, deletions marked IsDeleted, and CRM files that cannot be loaded."""

from __future__ import annotations

from pathlib import Path

import duckdb

from tests.catalogue.case import Case, Outcome, Quarantined, ledger_notes, raw_rows

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SALESFORCE = FIXTURES / "salesforce"
HUBSPOT = FIXTURES / "hubspot"
UI_CONTACTS = "crm/hubspot-crm-exports-all-contacts-2024-01-31.csv"
API_CONTACTS = "crm/contacts-api-export.csv"
COMPANIES = "crm/hubspot-crm-exports-all-companies-2024-01-31.csv"
DEALS = "crm/hubspot-crm-exports-all-deals-2024-01-31.csv"

# One contact per datetime form Salesforce writes: Data Export `.000Z`, REST `+0000`, bare `Z`.
OFFSETS = (
    '"Id","AccountId","Email","CreatedDate"\n'
    '"0035g00000Off01AAA","","off1@example.com","2023-03-01T12:00:00.000Z"\n'
    '"0035g00000Off02AAA","","off2@example.com","2023-03-01T12:00:00.000+0000"\n'
    '"0035g00000Off03AAA","","off3@example.com","2023-03-01T12:00:00Z"\n'
)
FIELD_TWICE = '"Id","Email","EMAIL"\n"0035g00000ABCde","a@example.com","b@example.com"\n'
WITHOUT_ID = (
    '"AccountId","Email","CreatedDate"\n'
    '"0015g00000XyZ1a","a@example.com","2023-03-01T12:00:00.000Z"\n'
)
HUBSPOT_WITHOUT_ID = (
    "First Name,Email,Lifecycle Stage,Create Date\nAnna,a@example.com,Lead,2021-05-21 10:17\n"
)


def _check_ids_15_and_18(con: duckdb.DuckDBPyConnection) -> None:
    # Raw keeps both forms as exported; staging makes them one row (tests/integration).
    rows = raw_rows(con, "crm_contacts", "id, accountid, loyalty_level__c", "crm/Contact.csv")
    assert rows[:2] == [
        ("0035g00000ABCde", "0015g00000XyZ1a", "Gold"),
        ("0035g00000ABCdeAAH", "0015g00000XyZ1aAAF", "Gold"),
    ]


def _check_offsets(con: duckdb.DuckDBPyConnection) -> None:
    instants = con.execute(
        "SELECT DISTINCT timezone('UTC', CAST(createddate AS TIMESTAMPTZ)) FROM raw.crm_contacts"
    ).fetchall()
    assert [str(i[0]) for i in instants] == ["2023-03-01 12:00:00"]


def _check_ui_labels(con: duckdb.DuckDBPyConnection) -> None:
    rows = raw_rows(
        con, "crm_contacts", "id, accountid, createddate, lifecyclestage, hs_object_id", UI_CONTACTS
    )
    assert rows[0] == ("51", "8401", "2021-05-21T10:17:00.000000Z", "Customer", "51")
    assert raw_rows(con, "crm_contacts", "hs_lifecyclestage_customer_date", UI_CONTACTS)[0] == (
        "2021-09-01 14:30",
    )
    assert "display labels" in ledger_notes(con, UI_CONTACTS)


def _check_api_names(con: duckdb.DuckDBPyConnection) -> None:
    rows = raw_rows(con, "crm_contacts", "id, createddate, hs_date_entered_customer", API_CONTACTS)
    assert rows[0] == ("51", "2021-05-21T10:17:28.964000Z", "2021-09-01T14:30:00+00:00")
    assert "API names" in ledger_notes(con, API_CONTACTS)


def _check_epoch_ms(con: duckdb.DuckDBPyConnection) -> None:
    rows = raw_rows(con, "crm_accounts", "id, createddate, createdate", COMPANIES)
    assert rows[1] == ("8402", "2021-05-15T09:30:00.000000Z", "1621071000000")
    assert "epoch milliseconds" in ledger_notes(con, COMPANIES)


def _check_deals(con: duckdb.DuckDBPyConnection) -> None:
    rows = raw_rows(con, "crm_opportunities", "id, stagename, iswon, closedate, contactid", DEALS)
    assert rows == [
        ("9001", "Closed Won", "true", "2021-09-01", "51"),
        ("9002", "Appointment Scheduled", "false", "2021-12-31", "52"),
        ("9003", "Closed Lost", "false", "2021-08-15", None),
    ]


def _check_contact_roles(con: duckdb.DuckDBPyConnection) -> None:
    source = "crm/OpportunityContactRole.csv"
    rows = raw_rows(con, "crm_opportunity_contact_roles", "opportunityid, role, isprimary", source)
    assert rows == [
        ("0065g00000Opp01AAA", "Decision Maker", "true"),
        ("0065g00000Opp03", "Economic Buyer", "true"),
        ("0065g00000Opp03AAB", "Influencer", "false"),
    ]


def _check_is_deleted_kept_as_exported(con: duckdb.DuckDBPyConnection) -> None:
    # Raw keeps the deleted record's rows as exported; staging leaves the record out
    # (tests/integration/test_crm_staging.py). The earlier export was replaced, not held.
    rows = raw_rows(con, "crm_contacts", "_source_row, id, isdeleted", "crm/Contact.csv")
    assert rows[-2:] == [(5, "0035g00000ErKwbAAF", "false"), (6, "0035g00000ErKwb", "true")]
    assert [r[2] for r in rows[:3]] == ["false", "false", "false"]
    ledger = con.execute(
        "SELECT status, rows_read FROM ops.load_ledger WHERE source_file = 'crm/Contact.csv' "
        "ORDER BY loaded_at"
    ).fetchall()
    assert ledger == [("superseded", 3), ("loaded", 5)]


CASES: list[Case] = [
    Case(
        id="crm_salesforce_ids_15_and_18_characters",
        description="A Contact export holding one record under its 15- and its 18-character "
        "id (and AccountIds in both forms) loads both rows as exported, custom field kept.",
        deliveries=[{"crm/Contact.csv": SALESFORCE / "Contact_ids_15_and_18.csv"}],
        outcomes={"crm/Contact.csv": Outcome("loaded", rows=(3, 3, 0))},
        check=_check_ids_15_and_18,
    ),
    Case(
        id="crm_salesforce_offsets_z_000z_plus0000",
        description="CreatedDate as `.000Z`, `+0000` (REST API) and `Z` are the same instant "
        "and pass the Great Expectations suite.",
        deliveries=[{"crm/Contact.csv": OFFSETS}],
        outcomes={"crm/Contact.csv": Outcome("loaded", rows=(3, 3, 0))},
        gx_passes={"crm_contacts": True},
        check=_check_offsets,
    ),
    Case(
        id="crm_salesforce_opportunity_contact_role",
        description="OpportunityContactRole in Data Loader layout (UPPER CASE, all quoted, "
        "15- and 18-character OpportunityIds) loads; a record without Id is quarantined.",
        deliveries=[{"crm/OpportunityContactRole.csv": SALESFORCE / "OpportunityContactRole.csv"}],
        outcomes={"crm/OpportunityContactRole.csv": Outcome("loaded", rows=(4, 3, 1))},
        gx_passes={"crm_opportunity_contact_roles": True},
        quarantined=[
            Quarantined("crm/OpportunityContactRole.csv", 5, "ID", "has no Salesforce Id")
        ],
        check=_check_contact_roles,
    ),
    Case(
        id="crm_hubspot_contacts_ui_labels",
        description="HubSpot UI contacts export (display labels, zone-less `2021-05-21 10:17` "
        "times, a line break in a quoted value, a row without Record ID).",
        deliveries=[{UI_CONTACTS: HUBSPOT / Path(UI_CONTACTS).name}],
        outcomes={UI_CONTACTS: Outcome("loaded", rows=(4, 3, 1))},
        gx_passes={"crm_contacts": True},
        quarantined=[Quarantined(UI_CONTACTS, 4, "Record ID", "no HubSpot Record ID")],
        check=_check_ui_labels,
    ),
    Case(
        id="crm_hubspot_contacts_api_names",
        description="HubSpot API contacts export (hs_object_id, createdate with "
        "`+00:00` microseconds, hs_date_entered_customer) loads with every property kept.",
        deliveries=[{API_CONTACTS: HUBSPOT / Path(API_CONTACTS).name}],
        outcomes={API_CONTACTS: Outcome("loaded", rows=(3, 3, 0))},
        check=_check_api_names,
    ),
    Case(
        id="crm_hubspot_epoch_milliseconds",
        description="An older HubSpot companies export with epoch-millisecond createdate: the "
        "standard createddate is ISO 8601 UTC, HubSpot's createdate keeps the number.",
        deliveries=[{COMPANIES: HUBSPOT / Path(COMPANIES).name}],
        outcomes={COMPANIES: Outcome("loaded", rows=(2, 2, 0))},
        gx_passes={"crm_accounts": True},
        check=_check_epoch_ms,
    ),
    Case(
        id="crm_hubspot_deals_ui_labels",
        description="HubSpot UI deals export: Deal Stage gives stagename and iswon, Close Date "
        "a YYYY-MM-DD closedate, Associated Contact IDs (`52;53`) the first contact.",
        deliveries=[{DEALS: HUBSPOT / Path(DEALS).name}],
        outcomes={DEALS: Outcome("loaded", rows=(3, 3, 0))},
        gx_passes={"crm_opportunities": True},
        check=_check_deals,
    ),
    Case(
        id="crm_header_field_twice_in_different_case",
        description="A Salesforce header with `Email` and `EMAIL` fails: both would load "
        "into one column.",
        deliveries=[{"crm/Contact.csv": FIELD_TWICE}],
        outcomes={
            "crm/Contact.csv": Outcome("failed", message=("'Email' and 'EMAIL' differ only",))
        },
    ),
    Case(
        id="crm_salesforce_file_without_id_column",
        description="A Contact export without the Id field fails with advice instead of "
        "loading records that cannot be joined.",
        deliveries=[{"crm/Contact.csv": WITHOUT_ID}],
        outcomes={"crm/Contact.csv": Outcome("failed", message=("has no Id column",))},
    ),
    Case(
        id="crm_hubspot_file_without_record_id",
        description="A HubSpot contacts export without the Record ID property fails with advice.",
        deliveries=[{"crm/all-contacts.csv": HUBSPOT_WITHOUT_ID}],
        outcomes={"crm/all-contacts.csv": Outcome("failed", message=("without a 'Record ID'",))},
    ),
    Case(
        id="crm_salesforce_export_all_with_is_deleted",
        description='A Contact re-delivery from Data Loader "Export All" where a record is '
        "marked IsDeleted = true loads (deletions arrive as rows, so it is not held), replaces "
        "the earlier export, and raw keeps the rows as exported.",
        deliveries=[
            {"crm/Contact.csv": SALESFORCE / "Contact_ids_15_and_18.csv"},
            {"crm/Contact.csv": SALESFORCE / "Contact_export_all.csv"},
        ],
        outcomes={"crm/Contact.csv": Outcome("loaded", rows=(5, 5, 0))},
        gx_passes={"crm_contacts": True},
        check=_check_is_deleted_kept_as_exported,
    ),
]
