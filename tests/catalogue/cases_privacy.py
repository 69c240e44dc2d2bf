"""Catalogue cases for personal data: raw keeps salted hashes, pii the values as exported."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from orchestration.ingestion.pii import pii_hash, resolve_salt
from tests.catalogue.case import Case, Outcome, Quarantined

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
QUALTRICS = FIXTURES / "qualtrics/post_interaction_nps.csv"
LEGACY_SAMPLE = FIXTURES / "shared_samples/survey/qualtrics_legacy_v1v10.csv"
SURVEYMONKEY = FIXTURES / "surveymonkey/customer_feedback.csv"
HUBSPOT_CONTACTS = FIXTURES / "hubspot/hubspot-crm-exports-all-contacts-2024-01-31.csv"

CONTACT_MIXED_CASE = (
    '"Id","AccountId","FirstName","LastName","Email","CreatedDate"\n'
    '"0035g00000AbCdEAAZ","0015g00000XyZ1aAAB","Anna","Müller",'
    '"  Anna.MUELLER@Example.com ","2023-01-06T09:00:00.000+0000"\n'
)
CONTACT_FULL = (
    '"Id","Name","Salutation","Title","Phone","MobilePhone","HomePhone","OtherPhone",'
    '"MailingStreet","MailingCity","Birthdate","HasOptedOutOfEmail","Email","CreatedDate"\n'
    '"0035g00000Per01AAA","Jörg Krause","Herr","Geschäftsführer","+49 30 1234567",'
    '"+49 171 7654321","030 555 0101","+41 44 111 22 33","Lindenstraße 5\nHinterhaus",'
    '"Zürich","1971-04-02","false","joerg.krause@example.de","2023-01-06T09:00:00.000+0000"\n'
)
CASE_SUPPLIED = (
    '"Id","ContactId","Origin","Status","SuppliedName","SuppliedEmail","SuppliedPhone",'
    '"SuppliedCompany","CreatedDate"\n'
    '"5005g00000Cas01AAA","","Web","New","Ben Becker","ben.becker@example.org",'
    '"+49 40 998877","Becker GmbH","2023-02-01T10:00:00.000Z"\n'
)
CONTACTS_BLANK_EMAILS = (
    '"Id","Email","CreatedDate"\n'
    '"0035g00000Bla01AAA","","2023-01-06T09:00:00.000Z"\n'
    '"0035g00000Bla02AAA","   ","2023-01-06T09:00:00.000Z"\n'
    '"0035g00000Bla03AAA","c@example.com","2023-01-06T09:00:00.000Z"\n'
)
CONTACT_WITHOUT_ID = (
    '"Id","Email","CreatedDate"\n'
    '"","lost.person@example.com","2023-01-06T09:00:00.000Z"\n'
    '"0035g00000Kep01AAA","kept@example.com","2023-01-06T09:00:00.000Z"\n'
)


def _salt(con: duckdb.DuckDBPyConnection) -> str:
    return resolve_salt(con)


def _dump(con: duckdb.DuckDBPyConnection, table: str) -> str:
    return str(con.execute(f"SELECT * FROM raw.{table}").fetchall()).lower()


def _check_mixed_case_email_matches_survey(con: duckdb.DuckDBPyConnection) -> None:
    [(contact,)] = con.execute("SELECT email FROM raw.crm_contacts").fetchall()
    surveys = con.execute(
        "SELECT recipient_email FROM raw.survey_responses WHERE response_id = 'R_1a2B3c4D5e6F7g8'"
    ).fetchall()
    assert contact == pii_hash("anna.mueller@example.com", _salt(con)) == surveys[0][0]
    assert con.execute("SELECT email FROM pii.crm_contacts").fetchall() == [
        ("  Anna.MUELLER@Example.com ",)
    ]


def _check_contact_fields(con: duckdb.DuckDBPyConnection) -> None:
    salt = _salt(con)
    personal = ("name", "phone", "mobilephone", "homephone", "otherphone", "mailingstreet",
                "birthdate", "email")  # fmt: skip
    raw = con.execute(
        f"SELECT {', '.join(personal)}, salutation, title, mailingcity, hasoptedoutofemail"
        " FROM raw.crm_contacts"
    ).fetchone()
    kept = con.execute(f"SELECT {', '.join(personal)} FROM pii.crm_contacts").fetchone()
    assert kept[0] == "Jörg Krause" and kept[5] == "Lindenstraße 5\nHinterhaus"
    assert raw[: len(personal)] == tuple(pii_hash(v, salt) for v in kept)
    assert raw[len(personal) :] == ("Herr", "Geschäftsführer", "Zürich", "false")


def _check_case_supplied_fields(con: duckdb.DuckDBPyConnection) -> None:
    assert con.execute(
        "SELECT suppliedname, suppliedemail, suppliedphone FROM pii.crm_cases"
    ).fetchall() == [("Ben Becker", "ben.becker@example.org", "+49 40 998877")]
    dump = _dump(con, "crm_cases")
    assert "ben" not in dump and "998877" not in dump
    assert "becker gmbh" in dump  # the company is not a person


def _check_answers_json(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "SELECT r.answers_json, p.answers_json FROM raw.survey_responses r"
        " JOIN pii.survey_responses p USING (_load_id, _source_row) ORDER BY r._source_row"
    ).fetchall()
    answers, personal = json.loads(rows[0][0]), json.loads(rows[0][1])
    assert personal["RecipientEmail"] == "anna.mueller@example.com"
    assert answers["RecipientEmail"] == pii_hash("anna.mueller@example.com", _salt(con))
    assert set(personal) == {"IPAddress", "RecipientLastName", "RecipientFirstName",
                             "RecipientEmail", "LocationLatitude", "LocationLongitude"}  # fmt: skip
    dump = _dump(con, "survey_responses")
    assert "@" not in dump and "203.0.113.7" not in dump and "müller" not in dump


def _check_blank_emails(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute("SELECT email FROM raw.crm_contacts ORDER BY _source_row").fetchall()
    assert rows[:2] == [(None,), ("   ",)]  # blank is not personal data: no shared hash
    assert len(rows[2][0]) == 64
    assert con.execute("SELECT _source_row FROM pii.crm_contacts").fetchall() == [(4,)]


def _check_quarantine_keeps_the_record(con: duckdb.DuckDBPyConnection) -> None:
    [(record,)] = con.execute("SELECT record FROM ops.quarantine").fetchall()
    assert "lost.person@example.com" in record  # people must see it to fix the export
    assert "lost.person" not in _dump(con, "crm_contacts")


def _check_redelivery(con: duckdb.DuckDBPyConnection) -> None:
    assert con.execute("SELECT email FROM pii.crm_contacts").fetchall() == [
        ("anna.mueller@example.de",)
    ]
    assert con.execute("SELECT count(DISTINCT _load_id) FROM pii.crm_contacts").fetchone() == (1,)


def _check_legacy_answers(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute("SELECT answers_json FROM raw.survey_responses ORDER BY _source_row")
    answers = [json.loads(r[0]) for r in rows.fetchall()]
    assert {a["Name"] for a in answers} == {pii_hash("Anonymous", _salt(con))}
    assert "42.4019" not in str(answers)
    assert answers[0]["Q2"] == "3"  # the answers themselves are untouched


def _check_surveymonkey(con: duckdb.DuckDBPyConnection) -> None:
    dump = _dump(con, "survey_responses")
    assert "maria.lopez@example.com" not in dump and "198.51.100.23" not in dump
    [personal] = con.execute(
        "SELECT answers_json FROM pii.survey_responses ORDER BY _source_row LIMIT 1"
    ).fetchone()
    assert json.loads(personal)["First Name"] == "Maria"
    # an answer option named like a field ("... - Phone") is an answer, not personal data
    assert "phone" in dump


def _check_hubspot_labels(con: duckdb.DuckDBPyConnection) -> None:
    dump = _dump(con, "crm_contacts")
    assert "anna.mueller@example.com" not in dump and "müller" not in dump
    assert "anna.mueller@example.com" in str(
        con.execute("SELECT * FROM pii.crm_contacts").fetchall()
    )


CASES: list[Case] = [
    Case(
        id="privacy_contact_email_mixed_case_matches_survey",
        description="A contact's e-mail in mixed case with spaces gets the same salted hash as "
        "the survey's RecipientEmail, so they still match; pii keeps it as exported.",
        deliveries=[{"crm/Contact.csv": CONTACT_MIXED_CASE, "survey/nps.csv": QUALTRICS}],
        outcomes={
            "crm/Contact.csv": Outcome("loaded", rows=(1, 1, 0)),
            "survey/nps.csv": Outcome("loaded", rows=(6, 4, 2)),
        },
        check=_check_mixed_case_email_matches_survey,
    ),
    Case(
        id="privacy_contact_names_phones_street_birthdate",
        description="Name, every phone field, MailingStreet (with a line break) and Birthdate "
        "of a contact are hashed in raw; Salutation, Title, City and the opt-out flag are not.",
        deliveries=[{"crm/Contact.csv": CONTACT_FULL}],
        outcomes={"crm/Contact.csv": Outcome("loaded", rows=(1, 1, 0))},
        check=_check_contact_fields,
    ),
    Case(
        id="privacy_case_supplied_contact_fields",
        description="A web-to-case record's SuppliedName, SuppliedEmail and SuppliedPhone go to "
        "pii.crm_cases; SuppliedCompany stays.",
        deliveries=[{"crm/Case.csv": CASE_SUPPLIED}],
        outcomes={"crm/Case.csv": Outcome("loaded", rows=(1, 1, 0))},
        check=_check_case_supplied_fields,
    ),
    Case(
        id="privacy_survey_recipient_in_answers_json",
        description="RecipientEmail, names, IPAddress and location inside answers_json are "
        "replaced by their hashes; pii.survey_responses holds them as exported.",
        deliveries=[{"survey/nps.csv": QUALTRICS}],
        outcomes={"survey/nps.csv": Outcome("loaded", rows=(6, 4, 2))},
        check=_check_answers_json,
    ),
    Case(
        id="privacy_blank_email_is_not_hashed",
        description="Empty and blank e-mails stay as exported: hashing them would merge every "
        "contact without an e-mail into one customer.",
        deliveries=[{"crm/Contact.csv": CONTACTS_BLANK_EMAILS}],
        outcomes={"crm/Contact.csv": Outcome("loaded", rows=(3, 3, 0))},
        check=_check_blank_emails,
    ),
    Case(
        id="privacy_quarantined_record_keeps_the_address",
        description="A contact without Id is quarantined with its record as exported (people "
        "need it to fix the export; `cjm forget` erases it); raw never sees it.",
        deliveries=[{"crm/Contact.csv": CONTACT_WITHOUT_ID}],
        outcomes={"crm/Contact.csv": Outcome("loaded", rows=(2, 1, 1))},
        quarantined=[Quarantined("crm/Contact.csv", 2, "Id", "no Salesforce Id")],
        check=_check_quarantine_keeps_the_record,
    ),
    Case(
        id="privacy_redelivery_replaces_personal_values",
        description="A corrected export under the same name replaces the earlier copy's "
        "personal values in pii as well as its raw rows.",
        deliveries=[
            {"crm/Contact.csv": CONTACT_MIXED_CASE},
            {
                "crm/Contact.csv": CONTACT_MIXED_CASE.replace(
                    "  Anna.MUELLER@Example.com ", "anna.mueller@example.de"
                )
            },
        ],  # fmt: skip
        outcomes={"crm/Contact.csv": Outcome("loaded", rows=(1, 1, 0))},
        check=_check_redelivery,
    ),
    Case(
        id="privacy_legacy_qualtrics_name_and_location",
        description="The legacy export's Name, IPAddress and LocationLatitude/Longitude keys are "
        "hashed inside answers_json.",
        deliveries=[{"survey/legacy.csv": LEGACY_SAMPLE}],
        outcomes={"survey/legacy.csv": Outcome("loaded", rows=(5, 5, 0))},
        check=_check_legacy_answers,
    ),
    Case(
        id="privacy_surveymonkey_email_name_ip",
        description="SurveyMonkey's 'Email Address', 'First Name', 'Last Name' and 'IP Address' "
        "columns are hashed; an answer option such as '... - Phone' is not.",
        deliveries=[{"survey/feedback.csv": SURVEYMONKEY}],
        outcomes={"survey/feedback.csv": Outcome("loaded")},
        check=_check_surveymonkey,
    ),
    Case(
        id="privacy_hubspot_display_labels",
        description="A HubSpot contacts export with display labels (First Name, Last Name, "
        "Email) has its personal columns hashed like Salesforce's.",
        deliveries=[{"crm/hubspot-crm-exports-all-contacts-2024-01-31.csv": HUBSPOT_CONTACTS}],
        outcomes={"crm/hubspot-crm-exports-all-contacts-2024-01-31.csv": Outcome("loaded")},
        check=_check_hubspot_labels,
    ),
]
