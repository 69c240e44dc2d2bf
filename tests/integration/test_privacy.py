"""Personal data lives in schema pii only, and `cjm forget` erases a person everywhere.

One whole job run on a copy of the sample landing, then `cjm forget` on that warehouse.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import main
from orchestration.ingestion.pii import pii_hash, resolve_salt
from tests.integration.conftest import JobRun, copy_landing

MODEL_SCHEMAS = ("raw", "staging", "intermediate", "marts")
LOCAL_PART = re.compile(rb"[a-z0-9._%+-]+$")
DOMAIN = re.compile(rb"[a-z0-9-]+(?:\.[a-z0-9-]+)+")


def _email_addresses(data: bytes) -> set[str]:
    """E-mail-shaped byte runs in ``data``, found around each '@'.

    (One regular expression over the whole file takes minutes: a DuckDB file holds long runs of
    hex digits, and an unanchored ``[a-z0-9...]+@`` retries every position of such a run.)
    """
    found = set()
    for at in re.finditer(rb"@", data):
        local = LOCAL_PART.search(data[max(0, at.start() - 64) : at.start()])
        domain = DOMAIN.match(data, at.end(), at.end() + 255)
        if local and domain:
            found.add((local.group(0) + b"@" + domain.group(0)).decode())
    return found


pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def privacy_run(sample_run: JobRun, tmp_path_factory: pytest.TempPathFactory) -> JobRun:
    """A copy of the session's sample run (same salt: tests/conftest.py) that forget may change."""
    root = tmp_path_factory.mktemp("privacy")
    warehouse = root / "wh" / "cjm.duckdb"
    warehouse.parent.mkdir()
    shutil.copy(sample_run.warehouse, warehouse)
    published = warehouse.with_name("cjm_marts.duckdb")
    shutil.copy(sample_run.published, published)
    return JobRun(
        copy_landing(root / "landing"), warehouse, published, sample_run.success, sample_run.run_id
    )


def _text_columns(con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...]) -> list[tuple]:
    marks = ", ".join("?" * len(schemas))
    return con.execute(
        f"""SELECT c.table_schema, c.table_name, c.column_name FROM information_schema.columns c
        JOIN information_schema.tables t USING (table_catalog, table_schema, table_name)
        WHERE c.table_catalog = current_database() AND c.table_schema IN ({marks})
          AND c.data_type = 'VARCHAR' ORDER BY 1, 2, 3""",
        list(schemas),
    ).fetchall()


def _personal_values(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """E-mail addresses, full names and phone numbers of the exports, from schema pii."""
    values: dict[str, set[str]] = {"email": set(), "name": set(), "phone": set()}
    for schema, table, column in _text_columns(con, ("pii",)):
        if column.startswith("_"):
            continue
        cells = [r[0] for r in con.execute(f'SELECT "{column}" FROM {schema}.{table}').fetchall()]
        if column == "answers_json":
            pairs = [(k, v) for c in cells if c for k, v in json.loads(c).items()]
        else:
            pairs = [(column, c) for c in cells]
        for key, value in pairs:
            if not value or not value.strip():
                continue
            kind = next((k for k in values if k in key.lower()), None)
            if kind is not None and (kind != "name" or " " in value.strip()):
                values[kind].add(value.strip().lower())
    return values


def _found(con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...], needles: set[str]) -> list:
    """(table, column, value) of text values equal to a needle or holding one as an e-mail."""
    con.execute("CREATE OR REPLACE TEMP TABLE needles (n VARCHAR)")
    con.executemany("INSERT INTO needles VALUES (?)", [[n] for n in needles])
    hits = []
    for schema, table, column in _text_columns(con, schemas):
        hits += con.execute(
            f"""WITH cells AS (SELECT DISTINCT lower(trim("{column}")) AS v FROM {schema}.{table}),
            candidates AS (
                SELECT v AS c FROM cells
                UNION SELECT unnest(regexp_extract_all(v, '[a-z0-9._%+-]+@[a-z0-9.-]+')) FROM cells
            )
            SELECT '{schema}.{table}', '{column}', c
            FROM candidates JOIN needles ON c = n LIMIT 5"""
        ).fetchall()
    return hits


def test_personal_data_is_only_in_pii(privacy_run: JobRun) -> None:
    with duckdb.connect(str(privacy_run.warehouse), read_only=True) as con:
        personal = _personal_values(con)
        assert len(personal["email"]) > 1000, "the sample's contacts and survey e-mails"
        assert personal["name"] and personal["phone"]
        needles = set().union(*personal.values())
        assert _found(con, MODEL_SCHEMAS, needles) == []
    with duckdb.connect(str(privacy_run.published), read_only=True) as con:
        assert _found(con, ("marts",), needles) == []
    published = privacy_run.published.read_bytes().lower()
    assert _email_addresses(published) & personal["email"] == set()


def _person(run: JobRun) -> tuple[str, str, str]:
    """A contact with survey responses (by e-mail), web events (by user_id) and cases."""
    [(email, contact_id, customer_id)] = run.query(
        """SELECT p.email, r.id, d.customer_id
        FROM pii.crm_contacts p JOIN raw.crm_contacts r USING (_load_id, _source_row)
        JOIN marts.dim_customers d ON d.crm_contact_id = r.id
        WHERE EXISTS (SELECT 1 FROM raw.survey_responses s WHERE s.recipient_email = r.email)
          AND EXISTS (SELECT 1 FROM raw.web_events w WHERE w.user_id = r.id)
          AND EXISTS (SELECT 1 FROM raw.crm_cases c WHERE c.contactid = r.id)
          AND (SELECT count(*) FROM raw.crm_contacts o WHERE o.email = r.email) = 1
        ORDER BY r.id LIMIT 1"""
    )
    return email, contact_id, customer_id


def test_forget_erases_a_person_everywhere(privacy_run: JobRun, capsys) -> None:
    run = privacy_run
    email, contact_id, customer_id = _person(run)
    with duckdb.connect(str(run.warehouse)) as con:
        digest = pii_hash(email, resolve_salt(con))
    others_sql = "SELECT * FROM marts.dim_customers WHERE customer_id <> ? ORDER BY customer_id"
    others_before = run.query(others_sql, [customer_id], published=True)
    responses_sql = (
        "SELECT survey_response_id, nps_score FROM marts.fct_survey_responses"
        " WHERE customer_id IS DISTINCT FROM ? ORDER BY 1"
    )
    responses_before = run.query(responses_sql, [customer_id], published=True)
    browsers_sql = "SELECT DISTINCT user_pseudo_id FROM raw.web_events WHERE user_id = ?"
    browsers = [r[0] for r in run.query(browsers_sql, [contact_id])]
    assert browsers

    code = main(
        ["forget", "--email", f" {email.upper()} ", "--warehouse", str(run.warehouse),
         "--landing", str(run.landing)]
    )  # fmt: skip

    out = capsys.readouterr().out
    assert code == 0, out
    assert "crm/Contact.csv" in out and "bring them back" in out  # the landing still has it
    needles = [email.lower(), digest, contact_id[:15].lower()]
    for path in (run.warehouse, run.published):
        with duckdb.connect(str(path), read_only=True) as con:
            for schema, table, column in _text_columns(con, (*MODEL_SCHEMAS, "pii", "ops")):
                holds = " OR ".join([f'contains(lower("{column}"), ?)'] * len(needles))
                hits = con.execute(
                    f"SELECT count(*) FROM {schema}.{table} WHERE {holds}", needles
                ).fetchall()[0][0]
                assert hits == 0, (path.name, schema, table, column)
        data = path.read_bytes().lower()
        assert not any(n.encode() in data for n in needles), path.name
    # every event of the person's browsers is gone, also those before the login
    marks = ", ".join("?" * len(browsers))
    assert (
        run.scalar(
            f"SELECT count(*) FROM raw.web_events WHERE user_pseudo_id IN ({marks})", browsers
        )
        == 0
    )
    [(requests, tables, erased)] = run.query(
        "SELECT count(DISTINCT request_id), count(*), sum(rows_erased) FROM ops.erasures"
    )
    assert requests == 1 and tables > 5 and erased > 5
    assert run.query(others_sql, [customer_id], published=True) == others_before
    assert run.query(responses_sql, [customer_id], published=True) == responses_before
    assert run.scalar("SELECT count(*) FROM marts.dim_customers", published=True) == len(
        others_before
    )


def test_forget_without_a_warehouse_says_so(tmp_path: Path, capsys) -> None:
    code = main(["forget", "--email", "a@b.de", "--warehouse", str(tmp_path / "none.duckdb")])
    assert code == 2
    assert "no warehouse" in capsys.readouterr().err
