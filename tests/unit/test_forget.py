"""`cjm forget` without dbt: erasing from raw, pii and quarantine, and rewriting the file."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.ingestion import RAW_TABLES, ingest_raw_table
from orchestration.privacy import erase_person, landing_files_with, rewrite_database
from tests.conftest import make_landing

CONTACTS = (
    '"Id","FirstName","LastName","Email","Phone","CreatedDate"\n'
    '"0035g00000Frg01AAA","Greta","Vogel","greta.vogel@example.com","+49 30 111",'
    '"2023-01-06T09:00:00.000Z"\n'
    '"0035g00000Kep01AAA","Karl","Keller","karl.keller@example.com","+49 30 222",'
    '"2023-01-06T09:00:00.000Z"\n'
    '"","No","Id","GRETA.VOGEL@example.com","","2023-01-06T09:00:00.000Z"\n'
    '"","No","Id","agreta.vogel@example.com","","2023-01-06T09:00:00.000Z"\n'
)
CASES = (
    '"Id","ContactId","Origin","Status","CreatedDate"\n'
    '"5005g00000Cas01AAA","0035g00000Frg01","Web","New","2023-02-01T10:00:00.000Z"\n'
    '"5005g00000Cas02AAA","0035g00000Kep01AAA","Web","New","2023-02-01T10:00:00.000Z"\n'
)
OPPORTUNITIES = (
    '"Id","ContactId","StageName","CreatedDate"\n'
    '"0065g00000Opp01AAA","0035g00000Frg01AAA","Prospecting","2023-02-01T10:00:00.000Z"\n'
)
HISTORY = (
    '"Id","OpportunityId","StageName","CreatedDate"\n'
    '"0085g00000His01AAA","0065g00000Opp01AAA","Prospecting","2023-02-01T10:00:00.000Z"\n'
)
WEB = (
    '{"event_date":"20230201","event_timestamp":"1675245600000000","event_name":"page_view",'
    '"user_pseudo_id":"b1","user_id":null}\n'
    '{"event_date":"20230201","event_timestamp":"1675245700000000","event_name":"login",'
    '"user_pseudo_id":"b1","user_id":"0035g00000Frg01AAA"}\n'
    '{"event_date":"20230201","event_timestamp":"1675245800000000","event_name":"page_view",'
    '"user_pseudo_id":"b2","user_id":"0035g00000Kep01AAA"}\n'
)


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    landing = make_landing(
        tmp_path,
        {
            "crm/Contact.csv": CONTACTS,
            "crm/Case.csv": CASES,
            "crm/Opportunity.csv": OPPORTUNITIES,
            "crm/OpportunityHistory.csv": HISTORY,
            "web/events_20230201.json": WEB,
        },
    )
    path = tmp_path / "cjm.duckdb"
    with duckdb.connect(str(path)) as con:
        for table in RAW_TABLES:
            ingest_raw_table(con, landing, table)
    return path


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return con.execute(sql).fetchall()[0][0]


def test_erase_person_removes_every_row_of_the_person(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse)) as con:
        erasure = erase_person(con, "  Greta.Vogel@EXAMPLE.com ")
        assert erasure.contact_ids == 1
        assert {t: n for t, n in erasure.rows.items() if n} == {
            "raw.crm_contacts": 1,
            "raw.crm_cases": 1,  # its ContactId has 15 characters
            "raw.crm_opportunities": 1,
            "raw.crm_opportunity_history": 1,
            "raw.web_events": 2,  # the browser's events before the login too
            "pii.crm_contacts": 1,
            "ops.quarantine": 1,  # the record with the address, not 'agreta.vogel@...'
        }
        assert _count(con, "SELECT count(*) FROM raw.crm_contacts") == 1  # Karl stays
        assert _count(con, "SELECT count(*) FROM raw.crm_cases") == 1
        assert _count(con, "SELECT count(*) FROM raw.web_events") == 1
        assert _count(con, "SELECT count(*) FROM ops.quarantine") == 1
        assert con.execute("SELECT email FROM pii.crm_contacts").fetchall() == [
            ("karl.keller@example.com",)
        ]
        rows = con.execute("SELECT * FROM ops.erasures").fetchall()
        assert {r[0] for r in rows} == {erasure.request_id}
        assert "greta" not in str(rows).lower()


def test_erasing_an_unknown_address_changes_nothing_but_is_recorded(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse)) as con:
        erasure = erase_person(con, "nobody@example.com")
        assert erasure.total == 0
        assert _count(con, "SELECT count(*) FROM raw.crm_contacts") == 2
        assert _count(con, "SELECT count(DISTINCT request_id) FROM ops.erasures") == 1


def test_deleted_rows_survive_in_the_file_until_it_is_rewritten(tmp_path: Path) -> None:
    """Measured on DuckDB 2.0: DELETE + CHECKPOINT leaves a deleted value in the file's bytes
    (deletes only mark rows; dropped tables' blocks are only marked free)."""
    path = tmp_path / "w.duckdb"
    secret = "5f1d0c3e9a7b4c2d8e6f0a1b3c5d7e9f2a4b6c8d0e1f3a5b7c9d1e3f5a7b9c0d"  # a hash in raw
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA raw")
        con.execute("CREATE VIEW main.v AS SELECT 1 AS one")
        con.execute("CREATE TABLE raw.t AS SELECT sha256(i::VARCHAR) AS v FROM range(5000) r(i)")
        con.execute("INSERT INTO raw.t VALUES (?)", [secret])
        con.execute("CREATE TABLE raw.dropped AS SELECT ? AS v", [secret])
        con.execute("CHECKPOINT")
        con.execute("DELETE FROM raw.t WHERE v = ?", [secret])
        con.execute("DROP TABLE raw.dropped")
        con.execute("CHECKPOINT")
    assert secret.encode() in path.read_bytes()
    rewrite_database(path)
    assert secret.encode() not in path.read_bytes()
    with duckdb.connect(str(path)) as con:  # the copy is a working database
        assert con.execute("SELECT count(*) FROM raw.t").fetchall() == [(5000,)]
        assert con.execute("SELECT one FROM main.v").fetchall() == [(1,)]


def test_landing_files_holding_the_address_are_listed(tmp_path: Path) -> None:
    import gzip

    landing = make_landing(
        tmp_path,
        {
            "crm/Contact.csv": CONTACTS,
            "survey/a.csv": "Email\nGreta.Vogel@Example.com\n".encode("utf-16"),
            "web/events_20230201.json.gz": gzip.compress(b'{"x":"greta.vogel@example.com"}'),
            "crm/Case.csv": CASES,
        },
    )
    assert landing_files_with(landing, "greta.vogel@example.com") == [
        "crm/Contact.csv",
        "survey/a.csv",
        "web/events_20230201.json.gz",
    ]
