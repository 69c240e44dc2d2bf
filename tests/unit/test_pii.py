"""Personal data at ingestion: which fields, the salted hash, the salt, and schema pii."""

from __future__ import annotations

import json
import os
import shutil
import stat
import uuid
from pathlib import Path

import duckdb
import pytest

from orchestration.ingestion import ingest_raw_table, pii
from orchestration.ingestion.pii import (
    SALT_ENV,
    PiiSaltError,
    hash_sql,
    personal_field,
    pii_hash,
    resolve_salt,
    salt_file_for,
    separate_pii,
)
from orchestration.ingestion.readers import ReadResult, TempScope
from tests.conftest import make_landing

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SALT = "unit-test-salt"


@pytest.fixture
def con(tmp_path: Path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


@pytest.fixture
def no_env_salt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SALT_ENV, raising=False)


# ------------------------------------------------------------------------------ the hash


def test_hash_normalises_case_and_surrounding_spaces() -> None:
    assert pii_hash(" Anna.Mueller@Example.COM ", SALT) == pii_hash(
        "anna.mueller@example.com", SALT
    )
    assert pii_hash("anna@example.com", SALT) != pii_hash("anna@example.com", "other salt")
    assert pii_hash("anna@example.com", SALT) != pii_hash("anna@example.org", SALT)
    digest = pii_hash("anna@example.com", SALT)
    assert len(digest) == 64 and set(digest) <= set("0123456789abcdef")


def test_blank_values_are_not_hashed() -> None:
    """Blank is not personal data, and hashing '' would make every blank e-mail match."""
    assert pii_hash(None, SALT) is None
    assert pii_hash("", SALT) == ""
    assert pii_hash("   ", SALT) == "   "


@pytest.mark.parametrize(
    "value", ["anna@example.com", " Zoë.Özdemir@Example.DE  ", "+49 30 1234567", "   ", "", None]
)
def test_python_and_sql_hash_agree(value: str | None) -> None:
    """Ingestion hashes in SQL, `cjm forget` in Python: both must give the same text."""
    with duckdb.connect() as db:
        [(in_sql,)] = db.execute(f"SELECT {hash_sql('$1::VARCHAR', SALT)}", [value]).fetchall()
    assert in_sql == pii_hash(value, SALT)


# --------------------------------------------------------------------- personal fields


@pytest.mark.parametrize(
    ("raw_table", "name", "personal"),
    [
        ("crm_contacts", "email", True),
        ("crm_contacts", "FirstName", True),
        ("crm_contacts", "Name", True),
        ("crm_contacts", "MobilePhone", True),
        ("crm_contacts", "MailingStreet", True),
        ("crm_contacts", "Email Address", True),  # HubSpot display label
        ("crm_contacts", "HasOptedOutOfEmail", False),  # a flag, not an address
        ("crm_contacts", "Title", False),
        ("crm_contacts", "createddate", False),
        ("crm_cases", "SuppliedEmail", True),
        ("crm_cases", "SuppliedName", True),
        ("crm_cases", "SuppliedPhone", True),
        ("crm_cases", "Subject", False),
        ("crm_accounts", "Name", False),  # a company's name
        ("crm_opportunities", "name", False),
        ("survey_responses", "recipient_email", True),
        ("survey_responses", "RecipientFirstName", True),
        ("survey_responses", "IPAddress", True),
        ("survey_responses", "IP Address", True),  # legacy Qualtrics / SurveyMonkey
        ("survey_responses", "LocationLatitude", True),
        ("survey_responses", "Name", True),  # legacy Qualtrics: the respondent's name
        ("survey_responses", "Q5_TEXT", False),
        ("survey_responses", "ExternalReference", False),  # the CRM id, pseudonymous
        ("web_events", "user_ipaddress", True),  # Snowplow
        ("web_events", "user_pseudo_id", False),
    ],
)
def test_personal_fields(raw_table: str, name: str, personal: bool) -> None:
    rule = personal_field(raw_table, name)
    assert (rule is not None) == personal
    assert rule is None or rule.reason


@pytest.mark.parametrize(
    ("key", "personal"),
    [
        ("RecipientEmail", True),
        ("RecipientFirstName", True),
        ("Email Address", True),  # SurveyMonkey
        ("First Name", True),
        ("IP Address", True),
        ("LocationLongitude", True),
        ("Name", True),
        ("Which channels did you use to contact us? - Phone", False),  # an answer option
        ("Which channels did you use to contact us? - E-mail", False),
        ("Q5_TEXT", False),
    ],
)
def test_survey_answer_keys_match_whole_names_only(key: str, personal: bool) -> None:
    assert (personal_field("survey_responses", key, whole_name=True) is not None) == personal


# ------------------------------------------------------------------------------ the salt


def test_configured_salt_is_used_and_recorded(con, monkeypatch) -> None:
    monkeypatch.setenv(SALT_ENV, "from-the-environment")
    assert resolve_salt(con) == "from-the-environment"
    [(source,)] = con.execute("SELECT salt_source FROM ops.pii_salt").fetchall()
    assert source == SALT_ENV
    # the salt itself is not stored in the warehouse, only its fingerprint
    assert con.execute("SELECT salt FROM ops.pii_salt").fetchall() == [(None,)]
    monkeypatch.setenv(SALT_ENV, "another-salt")
    with pytest.raises(PiiSaltError, match="not the one this warehouse"):
        resolve_salt(con)


def test_generated_salt_is_kept_beside_the_warehouse(tmp_path, no_env_salt) -> None:
    warehouse = tmp_path / "wh" / "cjm.duckdb"
    warehouse.parent.mkdir()
    with duckdb.connect(str(warehouse)) as db:
        salt = resolve_salt(db)
    salt_file = salt_file_for(warehouse)
    assert salt_file == tmp_path / "wh" / "cjm.duckdb.pii_salt"
    assert salt_file.read_text().strip() == salt and len(salt) == 64
    assert stat.S_IMODE(salt_file.stat().st_mode) == 0o600
    assert salt.encode() not in warehouse.read_bytes()
    with duckdb.connect(str(warehouse)) as db:
        assert resolve_salt(db) == salt  # the same salt on every later load


def test_a_lost_salt_file_is_an_error_that_says_what_to_do(tmp_path, no_env_salt) -> None:
    warehouse = tmp_path / "cjm.duckdb"
    with duckdb.connect(str(warehouse)) as db:
        salt = resolve_salt(db)
    salt_file_for(warehouse).unlink()
    with duckdb.connect(str(warehouse)) as db, pytest.raises(PiiSaltError) as error:
        resolve_salt(db)
    message = str(error.value)
    assert str(salt_file_for(warehouse)) in message
    assert "Restore the file" in message and SALT_ENV in message
    assert not salt_file_for(warehouse).exists()  # no new salt was made behind the user's back
    # the original salt, given through the environment, is accepted
    os.environ[SALT_ENV] = salt
    try:
        with duckdb.connect(str(warehouse)) as db:
            assert resolve_salt(db) == salt
    finally:
        del os.environ[SALT_ENV]


def test_in_memory_database_keeps_one_salt(no_env_salt) -> None:
    with duckdb.connect() as db:
        assert resolve_salt(db) == resolve_salt(db)


# --------------------------------------------------------------------------- ingestion


def _ingest(con, tmp_path, files: dict, tables=("crm_contacts", "survey_responses")) -> Path:
    landing = make_landing(tmp_path, files)
    for table in tables:
        for result in ingest_raw_table(con, landing, table).files:
            assert result.status == "loaded", result.message
    return landing


def test_raw_holds_hashes_and_pii_holds_the_values(con, tmp_path) -> None:
    _ingest(
        con,
        tmp_path,
        {
            "crm/Contact.csv": FIXTURES / "salesforce/Contact.csv",
            "survey/post_interaction_nps.csv": FIXTURES / "qualtrics/post_interaction_nps.csv",
        },
    )
    salt = os.environ[SALT_ENV]
    contacts = con.execute(
        """SELECT r.id, r.email, r.firstname, r.lastname, p.email, p.firstname, p.lastname
        FROM raw.crm_contacts r JOIN pii.crm_contacts p USING (_load_id, _source_row)
        ORDER BY r._source_row"""
    ).fetchall()
    assert contacts[1][4:] == (" Anna.Mueller@Example.com ", "Anna", "Müller")  # as exported
    assert contacts[1][1:4] == tuple(pii_hash(v, salt) for v in contacts[1][4:])
    # the contact's e-mail in mixed case with spaces and the survey's RecipientEmail match
    [(survey_hash,)] = con.execute(
        "SELECT recipient_email FROM raw.survey_responses WHERE response_id = 'R_1a2B3c4D5e6F7g8'"
    ).fetchall()
    assert survey_hash == contacts[1][1] == contacts[0][1]
    # nothing of a person is left as text in raw
    for table in ("crm_contacts", "survey_responses"):
        dump = str(con.execute(f"SELECT * FROM raw.{table}").fetchall())
        for value in ("@example.com", "Müller", "203.0.113.7", "52.5200"):
            assert value.lower() not in dump.lower(), (table, value)


def test_answers_json_keeps_its_keys_in_order_with_personal_values_hashed(con, tmp_path) -> None:
    _ingest(
        con,
        tmp_path,
        {"survey/post_interaction_nps.csv": FIXTURES / "qualtrics/post_interaction_nps.csv"},
        tables=("survey_responses",),
    )
    salt = os.environ[SALT_ENV]
    [(raw_text, pii_text)] = con.execute(
        """SELECT r.answers_json, p.answers_json FROM raw.survey_responses r
        JOIN pii.survey_responses p USING (_load_id, _source_row)
        WHERE r.response_id = 'R_1a2B3c4D5e6F7g8'"""
    ).fetchall()
    answers, personal = json.loads(raw_text), json.loads(pii_text)
    assert personal == {
        "IPAddress": "203.0.113.7",
        "RecipientLastName": "Müller",
        "RecipientFirstName": "Anna",
        "RecipientEmail": "anna.mueller@example.com",
        "LocationLatitude": "52.5200",
        "LocationLongitude": "13.4050",
    }
    assert {k: answers[k] for k in personal} == {k: pii_hash(v, salt) for k, v in personal.items()}
    assert list(answers)[:5] == ["StartDate", "EndDate", "Status", "IPAddress", "Progress"]
    assert answers["Q5_TEXT"] == "Schnell, freundlich und kompetent.\r\nGerne wieder!"
    assert answers["case_id"] is None  # JSON nulls stay nulls


# Every value shape an answer can take: text with quotes, backslashes, line breaks and
# non-ASCII letters, blanks, JSON null; keys with spaces, dots and parentheses.
SAME_KEY_ANSWERS = [
    {
        "StartDate": "2026-01-02 10:00:00",
        "RecipientEmail": " Anna.Mueller@Example.com ",
        "Q3.14 - Sentiment Score": "1.7",
        "IPAddress": "203.0.113.7",
        "Q5_TEXT": 'Sehr "gut"\\ und\r\nschnell, Müller',
        "RecipientLastName": "Müller",
    },
    {
        "StartDate": None,
        "RecipientEmail": "",
        "Q3.14 - Sentiment Score": None,
        "IPAddress": "   ",
        "Q5_TEXT": "",
        "RecipientLastName": None,
    },
    {
        "StartDate": "2026-01-03 11:00:00",
        "RecipientEmail": "b@example.org",
        "Q3.14 - Sentiment Score": "-0.2",
        "IPAddress": None,
        "Q5_TEXT": "ok",
        "RecipientLastName": "Ødegård",
    },
]


def _separated(con, answers: list[dict | None]) -> tuple[list, list]:
    """separate_pii on survey rows with these answers: (raw rows, pii rows), in row order."""
    rows = f"answers_{uuid.uuid4().hex[:8]}"
    con.execute(
        f"CREATE TEMP TABLE {rows}"
        " (_source_row BIGINT, recipient_email VARCHAR, answers_json VARCHAR)"
    )
    con.executemany(
        f"INSERT INTO {rows} VALUES (?, ?, ?)",
        [
            (i, a and a.get("RecipientEmail"), a and json.dumps(a, ensure_ascii=False))
            for i, a in enumerate(answers, start=1)
        ],
    )
    columns = [("recipient_email", "VARCHAR"), ("answers_json", "VARCHAR")]
    result = ReadResult(rows=rows, columns=columns, quarantine=rows, rows_read=len(answers))
    hashed, personal = separate_pii(con, "survey_responses", result, TempScope(con), SALT)
    order = " ORDER BY _source_row"
    return (
        con.execute(f"SELECT * FROM {hashed.rows}{order}").fetchall(),
        con.execute(f"SELECT * FROM {personal}{order}").fetchall(),
    )


def test_answers_with_the_same_keys_take_the_faster_path_to_the_same_text(con, monkeypatch) -> None:
    """Rows whose objects share their keys (every survey export) are hashed from one parse of
    each object (`_same_keys_answers_sql`); the text must be what the general path (a map of
    each object) writes, for raw and for pii."""
    answers = [*SAME_KEY_ANSWERS, None]
    faster = _separated(con, answers)
    general_keys = pii._answer_keys
    seen = []

    def keys_without_order(*args):
        keys = general_keys(*args)
        seen.append(keys.in_order)
        return pii._AnswerKeys(keys.personal, None)

    monkeypatch.setattr(pii, "_answer_keys", keys_without_order)
    general = _separated(con, answers)
    assert seen == [list(SAME_KEY_ANSWERS[0])]  # the faster path applied to these rows
    assert faster == general
    raw_rows, pii_rows = faster
    first = json.loads(raw_rows[0][2])
    assert list(first) == list(SAME_KEY_ANSWERS[0])  # key order kept
    assert first["RecipientLastName"] == pii_hash("Müller", SALT)
    assert first["Q5_TEXT"] == SAME_KEY_ANSWERS[0]["Q5_TEXT"]
    assert json.loads(raw_rows[1][2]) == SAME_KEY_ANSWERS[1]  # blanks and nulls kept as they are
    assert raw_rows[3][2] is None
    assert json.loads(pii_rows[0][2]) == {
        k: SAME_KEY_ANSWERS[0][k] for k in ("RecipientEmail", "IPAddress", "RecipientLastName")
    }


def test_answers_with_other_keys_per_row_take_the_general_path(con) -> None:
    mixed = [SAME_KEY_ANSWERS[0], {"RecipientEmail": "c@example.com", "Q1": "9"}]
    raw_rows, pii_rows = _separated(con, mixed)
    assert json.loads(raw_rows[1][2]) == {
        "RecipientEmail": pii_hash("c@example.com", SALT),
        "Q1": "9",
    }
    assert json.loads(pii_rows[1][2]) == {"RecipientEmail": "c@example.com"}


def test_a_replaced_file_replaces_its_personal_values(con, tmp_path) -> None:
    original = (FIXTURES / "salesforce/Contact.csv").read_text(encoding="utf-8")
    landing = _ingest(con, tmp_path, {"crm/Contact.csv": original}, ("crm_contacts",))
    corrected = original.replace("lena@example.com", "lena.obrien@example.com")
    (landing / "crm/Contact.csv").write_text(corrected, encoding="utf-8")
    [result] = ingest_raw_table(con, landing, "crm_contacts").files
    assert result.status == "loaded", result.message
    emails = con.execute("SELECT _load_id, email FROM pii.crm_contacts ORDER BY _source_row")
    assert emails.fetchall() == [
        (result.load_id, "anna.mueller@example.com"),
        (result.load_id, " Anna.Mueller@Example.com "),
        (result.load_id, "lena.obrien@example.com"),
    ]


def test_a_lost_salt_fails_the_file_and_loads_nothing(tmp_path, no_env_salt) -> None:
    warehouse = tmp_path / "cjm.duckdb"
    landing = make_landing(tmp_path, {"crm/Contact.csv": FIXTURES / "salesforce/Contact.csv"})
    with duckdb.connect(str(warehouse)) as db:
        [first] = ingest_raw_table(db, landing, "crm_contacts").files
        assert first.status == "loaded"
    salt_file_for(warehouse).unlink()
    shutil.copyfile(FIXTURES / "salesforce/Contact_with_new_field.csv", landing / "crm/Contact.csv")
    with duckdb.connect(str(warehouse)) as db:
        [second] = ingest_raw_table(db, landing, "crm_contacts").files
        assert second.status == "failed"
        assert "salt file" in second.message and "Restore the file" in second.message
        assert db.execute("SELECT DISTINCT _load_id FROM raw.crm_contacts").fetchall() == [
            (first.load_id,)
        ]
