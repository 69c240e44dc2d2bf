"""`cjm forget --email ADDRESS`: erase one person from the warehouse (GDPR Art. 17).

What is erased, in one transaction:

- raw: the rows carrying the address's salted hash (in a personal column or a personal key of
  ``answers_json``); when that hash is a CRM contact's e-mail, also every row carrying the
  contact's id (15 or 18 characters): the contact, its cases, opportunities and contact roles,
  the stage history of those opportunities, survey responses whose ExternalReference is the
  contact, and every GA4 event of each browser that was ever seen with the contact's user_id;
- pii: the personal values of those rows, and any row holding the address;
- ops.quarantine: records containing the address, its hash or the contact's id, and the
  quality-check rows of erased raw rows.

Then the marts are rebuilt (``dbt run``), the warehouse file is rewritten into a fresh file
(deleted rows survive in a DuckDB file's free blocks until they are overwritten) and the marts
are published again. ``ops.erasures`` records the request: its id, when, and rows per table;
never the address or its hash.

The landing folder is not touched: its exports still hold the address. A re-delivery of the
same bytes is skipped, but a new export from the source would bring the person back, so the
command lists those files and says what to do.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import os
import re
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.ingestion.ledger import QUARANTINE, RAW_SCHEMA
from orchestration.ingestion.pii import (
    ANSWERS_COLUMN,
    PII_LINEAGE,
    PII_SCHEMA,
    normalise,
    personal_columns,
    pii_hash,
    pii_tables,
    resolve_salt,
)
from orchestration.ingestion.schema import qualified, quote_ident, sql_literal
from orchestration.resources import (
    RunLock,
    WarehouseBusyError,
    WarehouseLockedError,
    connect_duckdb,
    dbt_project_dir,
    warehouse_paths,
)

ERASURES = qualified("ops", "erasures")
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUSY = 0, 1, 2, 4  # as `cjm run` (cli.py)
_KEYS = "_forget_keys"  # temp table: raw_table, _load_id, _source_row of the rows to erase


@dataclass
class Erasure:
    """What one erasure request removed; ``rows``: table -> rows erased."""

    request_id: str
    erased_at: datetime
    contact_ids: int = 0
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def _tables(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? "
            "AND table_type = 'BASE TABLE' AND table_catalog = current_database() "
            "ORDER BY table_name",
            [schema],
        ).fetchall()
    ]


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> dict[str, str]:
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ? "
        "AND table_name = ? AND table_catalog = current_database() ORDER BY ordinal_position",
        [schema, table],
    ).fetchall()
    return {name.lower(): type_ for name, type_ in rows}


def _in_ids(column: str, ids: list[str]) -> str:
    """SQL: the column's Salesforce-style id (first 15 characters) is one of ``ids``."""
    if not ids:
        return "false"
    listed = ", ".join(sql_literal(i) for i in ids)
    return f"left(trim({quote_ident(column)}), 15) IN ({listed})"


def _hash_condition(raw_table: str, columns: dict[str, str], digest: str) -> list[str]:
    """SQL conditions: a personal column, or a personal key of answers_json, holds the hash."""
    conditions = [
        f"{quote_ident(c)} = {sql_literal(digest)}"
        for c in personal_columns(raw_table, columns.items())
    ]
    if ANSWERS_COLUMN in columns:
        conditions.append(
            f"contains({quote_ident(ANSWERS_COLUMN)}, {sql_literal(chr(34) + digest + chr(34))})"
        )
    return conditions


def _mark(con: duckdb.DuckDBPyConnection, raw_table: str, conditions: list[str]) -> None:
    if not conditions:
        return
    con.execute(
        f"""INSERT INTO {_KEYS}
        SELECT {sql_literal(raw_table)}, _load_id, _source_row
        FROM {qualified(RAW_SCHEMA, raw_table)} WHERE {" OR ".join(f"({c})" for c in conditions)}"""
    ).fetchall()


def _marked_ids(con: duckdb.DuckDBPyConnection, raw_table: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            f"""SELECT DISTINCT left(trim(t.id), 15) FROM {qualified(RAW_SCHEMA, raw_table)} t
            JOIN {_KEYS} k ON k.raw_table = ? AND k._load_id = t._load_id
                AND k._source_row = t._source_row
            WHERE nullif(trim(t.id), '') IS NOT NULL""",
            [raw_table],
        ).fetchall()
    ]


def _mark_raw_rows(con: duckdb.DuckDBPyConnection, digest: str) -> list[str]:
    """Fill the keys table with every raw row of the person; returns the contact ids found."""
    con.execute(
        f"CREATE TEMP TABLE {_KEYS} (raw_table VARCHAR, _load_id VARCHAR, _source_row BIGINT)"
    ).fetchall()
    tables = {t: _columns(con, RAW_SCHEMA, t) for t in _tables(con, RAW_SCHEMA)}
    contact_tables = [t for t, cols in tables.items() if "contact" in t and "id" in cols]
    for table in contact_tables:
        _mark(con, table, _hash_condition(table, tables[table], digest))
    contact_ids = sorted({i for t in contact_tables for i in _marked_ids(con, t)})
    opportunity_tables = [t for t, cols in tables.items() if "opportunit" in t and "id" in cols]
    for table, cols in tables.items():
        conditions = [] if table in contact_tables else _hash_condition(table, cols, digest)
        if "id" in cols and table in contact_tables:
            conditions.append(_in_ids("id", contact_ids))
        for column in ("contactid", "external_reference", "user_id"):
            if column in cols:
                conditions.append(_in_ids(column, contact_ids))
        if "user_pseudo_id" in cols and "user_id" in cols and contact_ids:
            conditions.append(
                f"user_pseudo_id IN (SELECT user_pseudo_id FROM {qualified(RAW_SCHEMA, table)} "
                f"WHERE {_in_ids('user_id', contact_ids)})"
            )
        _mark(con, table, [c for c in conditions if c != "false"])
    opportunity_ids = sorted({i for t in opportunity_tables for i in _marked_ids(con, t)})
    for table, cols in tables.items():
        if "opportunityid" in cols and opportunity_ids:
            _mark(con, table, [_in_ids("opportunityid", opportunity_ids)])
    return contact_ids


def _marked_values(con: duckdb.DuckDBPyConnection, column: str) -> list[str]:
    """Distinct values of ``column`` in the marked rows of every raw table that has it."""
    values: set[str] = set()
    for table in _tables(con, RAW_SCHEMA):
        if column not in _columns(con, RAW_SCHEMA, table):
            continue
        values.update(
            r[0]
            for r in con.execute(
                f"""SELECT DISTINCT t.{quote_ident(column)} FROM {qualified(RAW_SCHEMA, table)} t
                JOIN {_KEYS} k ON k.raw_table = ? AND k._load_id = t._load_id
                    AND k._source_row = t._source_row
                WHERE t.{quote_ident(column)} IS NOT NULL""",
                [table],
            ).fetchall()
        )
    return sorted(values)


# Model tables (intermediate, marts) hold the person under these columns.
_ID_COLUMNS = ("customer_id", "user_id", "identity_value")
_BROWSER_COLUMNS = ("user_pseudo_id", "identity_value")
_RESPONSE_COLUMNS = ("response_id", "survey_response_id")


def _scrub_models(
    con: duckdb.DuckDBPyConnection,
    digest: str,
    contact_ids: list[str],
    browsers: list[str],
    responses: list[str],
) -> dict[str, int]:
    """Delete the person's rows from the dbt tables (intermediate, marts) directly.

    ``dbt run`` rebuilds them afterwards (aggregates included); deleting first means the
    person is gone from every table as soon as the transaction commits, even if the rebuild
    fails.
    """

    def listed(values: list[str]) -> str:
        return ", ".join(sql_literal(v) for v in values)

    rows: dict[str, int] = {}
    for schema in ("intermediate", "marts"):
        for table in _tables(con, schema):
            conditions = []
            for column, type_ in _columns(con, schema, table).items():
                col = quote_ident(column)
                if type_ == "VARCHAR":
                    conditions.append(f"{col} = {sql_literal(digest)}")
                if contact_ids and (column.endswith("contact_id") or column in _ID_COLUMNS):
                    conditions.append(_in_ids(column, contact_ids))
                if browsers and column in _BROWSER_COLUMNS:
                    conditions.append(f"{col} IN ({listed(browsers)})")
                if browsers and column == "customer_id":
                    conditions.append(f"{col} IN ({listed(['anon-' + b for b in browsers])})")
                if responses and column in _RESPONSE_COLUMNS:
                    conditions.append(f"{col} IN ({listed(responses)})")
            if conditions:
                rows[f"{schema}.{table}"] = con.execute(
                    f"DELETE FROM {qualified(schema, table)} WHERE {' OR '.join(conditions)}"
                ).fetchall()[0][0]
    return rows


def _delete_marked(con: duckdb.DuckDBPyConnection, schema: str, raw_table: str) -> int:
    return con.execute(
        f"""DELETE FROM {qualified(schema, raw_table)} AS t
        USING (SELECT DISTINCT * FROM {_KEYS}) AS k
        WHERE k.raw_table = ? AND t._load_id = k._load_id AND t._source_row = k._source_row""",
        [raw_table],
    ).fetchall()[0][0]


def _delete_pii(con: duckdb.DuckDBPyConnection, table: str, text: str) -> int:
    """Rows of pii.<table> of erased raw rows, or holding the address as a value."""
    marked = _delete_marked(con, PII_SCHEMA, table)
    values = [c for c in _columns(con, PII_SCHEMA, table) if c not in PII_LINEAGE]
    holds = [
        f"contains(lower({quote_ident(c)}), {sql_literal(chr(34) + text + chr(34))})"
        if c == ANSWERS_COLUMN
        else f"lower(trim(CAST({quote_ident(c)} AS VARCHAR))) = {sql_literal(text)}"
        for c in values
    ]
    if not holds:
        return marked
    extra = con.execute(
        f"DELETE FROM {qualified(PII_SCHEMA, table)} WHERE {' OR '.join(holds)}"
    ).fetchall()[0][0]
    return marked + extra


def _delete_quarantine(
    con: duckdb.DuckDBPyConnection, text: str, digest: str, contact_ids: list[str]
) -> int:
    """Quarantined records holding the address (as a whole word), its hash or a Salesforce
    contact id (short ids such as HubSpot's '51' would match unrelated numbers, so they are
    left to the rows' own keys), and check rows of erased raw rows."""
    word = "(^|[^a-z0-9._%+-]){}($|[^a-z0-9._%+-])"
    needles = [f"regexp_matches(lower(q.record), {sql_literal(word.format(re.escape(text)))})"]
    needles.append(f"contains(q.record, {sql_literal(digest)})")
    needles += [
        f"regexp_matches(q.record, {sql_literal('(^|[^A-Za-z0-9])' + re.escape(i))})"
        for i in contact_ids
        if len(i) == 15
    ]
    return con.execute(
        f"""DELETE FROM {QUARANTINE} AS q
        WHERE {" OR ".join(needles)}
           OR EXISTS (SELECT 1 FROM {_KEYS} k WHERE k.raw_table = q.raw_table
                      AND k._load_id = q.load_id AND k._source_row = q.source_row)"""
    ).fetchall()[0][0]


def erase_person(con: duckdb.DuckDBPyConnection, email: str) -> Erasure:
    """Erase everything of the person with ``email`` from raw, pii, ops.quarantine and the
    dbt tables, and record the request in ops.erasures; one transaction. The marts are rebuilt
    and published by the caller."""
    text = normalise(email)
    if not text:
        raise ValueError("the e-mail address is empty")
    digest = pii_hash(email, resolve_salt(con))
    assert digest is not None
    erasure = Erasure(uuid.uuid4().hex, datetime.now(UTC).replace(tzinfo=None))
    con.execute(
        f"""CREATE TABLE IF NOT EXISTS {ERASURES} (request_id VARCHAR, erased_at TIMESTAMP,
            table_name VARCHAR, rows_erased BIGINT)"""
    ).fetchall()
    con.begin()
    try:
        contact_ids = _mark_raw_rows(con, digest)
        erasure.contact_ids = len(contact_ids)
        browsers = _marked_values(con, "user_pseudo_id")
        responses = _marked_values(con, "response_id")
        for table in _tables(con, RAW_SCHEMA):
            erasure.rows[f"{RAW_SCHEMA}.{table}"] = _delete_marked(con, RAW_SCHEMA, table)
        for table in pii_tables(con):
            erasure.rows[f"{PII_SCHEMA}.{table}"] = _delete_pii(con, table, text)
        erasure.rows["ops.quarantine"] = _delete_quarantine(con, text, digest, contact_ids)
        erasure.rows.update(_scrub_models(con, digest, contact_ids, browsers, responses))
        con.executemany(
            f"INSERT INTO {ERASURES} VALUES (?, ?, ?, ?)",
            [[erasure.request_id, erasure.erased_at, t, n] for t, n in erasure.rows.items()],
        )
        con.commit()
    except Exception:
        con.rollback()
        raise
    finally:
        con.execute(f"DROP TABLE IF EXISTS temp.{_KEYS}").fetchall()
    return erasure


def rebuild_marts(warehouse: Path) -> tuple[bool, str]:
    """``dbt run`` (every model, no tests) against ``warehouse``; returns (ok, dbt's output).

    Tests are not run: they passed before and a blocked rebuild would leave the erased person
    in the marts. The next `cjm run` builds and tests everything as usual.
    """
    dbt = Path(sys.executable).with_name("dbt")
    project = dbt_project_dir()
    env = {**os.environ, "CJM_WAREHOUSE": str(warehouse)}
    # dbt's artefacts go to a scratch folder: the project's target/ (the manifest Dagster
    # reads) stays as the last `cjm run` left it. It starts from the prepared parse.
    with tempfile.TemporaryDirectory(prefix="cjm-forget-dbt-") as scratch:
        from orchestration.transform.manifest import start_from_prepared_parse

        start_from_prepared_parse(Path(scratch), project)
        completed = subprocess.run(
            [str(dbt), "run", "--quiet", "--project-dir", str(project), "--profiles-dir",
             str(project), "--target-path", scratch, "--log-path", scratch],
            cwd=project, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
    return completed.returncode == 0, (completed.stdout + completed.stderr).strip()


def rewrite_database(warehouse: Path) -> None:
    """Copy the warehouse into a fresh file and put it in place: no free block survives.

    DuckDB marks the blocks of deleted rows and dropped tables free but does not overwrite
    them, so erased values stay readable in the file's bytes until reused. The old file is
    attached under its own name, so that views naming their catalog (dbt's) still bind.
    """
    tmp = warehouse.with_name(f".{warehouse.name}.rewrite.tmp")
    tmp.unlink(missing_ok=True)
    try:
        with duckdb.connect() as con:
            con.execute(
                f"ATTACH {sql_literal(str(warehouse))} AS {quote_ident(warehouse.stem)} (READ_ONLY)"
            ).fetchall()
            con.execute(f"ATTACH {sql_literal(str(tmp))} AS _fresh_copy").fetchall()
            con.execute(f"COPY FROM DATABASE {quote_ident(warehouse.stem)} TO _fresh_copy")
            con.execute("DETACH _fresh_copy").fetchall()
        os.replace(tmp, warehouse)
    finally:
        tmp.unlink(missing_ok=True)


def file_contains(path: Path, needles: list[str]) -> bool:
    """True when the file's bytes (decompressed for .gz) hold any needle, ignoring case."""
    data = path.read_bytes()
    if path.suffix.lower() == ".gz":
        with contextlib.suppress(OSError, EOFError):
            data = gzip.decompress(data)
    data = data.lower()
    return any(
        n.lower().encode(encoding) in data for n in needles for encoding in ("utf-8", "utf-16-le")
    )


def landing_files_with(landing: Path, text: str) -> list[str]:
    """Export files in the landing folder that still hold the address."""
    if not landing.is_dir():
        return []
    return sorted(
        p.relative_to(landing).as_posix()
        for p in landing.rglob("*")
        if p.is_file() and file_contains(p, [text])
    )


# ------------------------------------------------------------------------------- command


def add_forget_command(
    subparsers: argparse._SubParsersAction, add_flags: Callable[[argparse.ArgumentParser], None]
) -> None:
    """Register `cjm forget` on the `cjm` parser's sub-commands; ``add_flags`` adds the
    --landing, --warehouse and --published flags every command shares."""
    forget = subparsers.add_parser(
        "forget",
        help="erase a person (GDPR Art. 17) from raw, pii, quarantine and the marts",
        description="Erase everything of the person with this e-mail address: raw rows "
        "carrying its salted hash and the CRM contact's id (cases, opportunities, survey "
        "responses, web events of the contact's browsers), its personal values in pii.*, "
        "quarantined records holding it; then rebuild the marts, rewrite the warehouse file "
        "and publish again. Records the request in ops.erasures without the address. The "
        "exports in the landing folder are not changed: delete or correct them at the source.",
    )
    forget.add_argument("--email", required=True, metavar="ADDRESS", help="the person's e-mail")
    add_flags(forget)
    forget.set_defaults(handler=command_forget)


def command_forget(args: argparse.Namespace) -> int:
    warehouse, published = warehouse_paths(args.warehouse, args.published)
    if not warehouse.exists():
        print(f"error: no warehouse at {warehouse}; nothing to erase.", file=sys.stderr)
        return EXIT_USAGE
    try:  # no `cjm run` may work on the file while it is erased and rewritten
        with RunLock(warehouse):
            return _forget(args, warehouse, published)
    except WarehouseBusyError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BUSY


def _forget(args: argparse.Namespace, warehouse: Path, published: Path) -> int:
    try:
        con = connect_duckdb(warehouse)
    except WarehouseLockedError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    try:
        with con:
            erasure = erase_person(con, args.email)
            has_marts = bool(_tables(con, "marts"))
            con.execute("CHECKPOINT").fetchall()
    except ValueError as error:  # PiiSaltError is a FormatError, not a ValueError
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as error:  # noqa: BLE001 - say what failed and that nothing changed
        print(f"error: nothing was erased: {error}", file=sys.stderr)
        return EXIT_FAILED
    _print_erasure(erasure)
    code = _rebuild_and_publish(warehouse, published, erasure, has_marts)
    _print_landing_note(Path(args.landing).resolve(), args.email)
    return code


def _print_erasure(erasure: Erasure) -> None:
    found = "found" if erasure.total else "found no data of"
    print(f"cjm forget: {found} the person with this address (request {erasure.request_id}).")
    if erasure.contact_ids:
        print(f"  CRM contact ids of the person: {erasure.contact_ids}")
    for table, rows in erasure.rows.items():
        if rows:
            print(f"  {table:<46} {rows:>7} row(s) erased")
    print("  recorded in ops.erasures (request id, time, rows per table; not the address)")


def _rebuild_and_publish(
    warehouse: Path, published: Path, erasure: Erasure, has_marts: bool
) -> int:
    from orchestration.publish import publish_marts

    code = EXIT_OK
    if has_marts:
        ok, output = rebuild_marts(warehouse)
        if not ok:
            print(
                "error: `dbt run` failed: the person's rows were deleted from the marts, but "
                "aggregates (agg_*) still count them until the next successful `cjm run`. "
                f"dbt said:\n{output}",
                file=sys.stderr,
            )
            code = EXIT_FAILED
        else:
            print("  marts rebuilt without the person (dbt run)")
    rewrite_database(warehouse)
    print(f"  {warehouse.name} rewritten into a fresh file (no erased value in free blocks)")
    if has_marts:
        # written from nothing (no partitioned marts patched in a copy of the last file): no
        # erased row survives in the published file's free blocks either
        publish_marts(warehouse, published, run_id=f"forget {erasure.request_id}")
        print(f"  published again: {published}")
    return code


def _print_landing_note(landing: Path, email: str) -> None:
    files = landing_files_with(landing, normalise(email))
    if not files:
        return
    print(
        "\nThe landing folder still holds the address in: "
        + ", ".join(files)
        + f" (in {landing}). Delete or correct these exports, and the record at the source "
        "(Salesforce, HubSpot, Qualtrics, ...): the same bytes delivered again are skipped, "
        "but a new export that still holds the person would bring them back."
    )
