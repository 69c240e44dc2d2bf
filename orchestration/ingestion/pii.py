"""Personal data: which fields hold it, the salted hash raw keeps, and schema ``pii``.

Before a file's rows reach ``raw.<table>``, every personal value is moved to ``pii.<table>``
(the lineage columns ``_load_id``, ``_source_file``, ``_source_row`` plus the personal columns,
as exported) and raw keeps a salted hash in its place. dbt reads raw only, so staging,
intermediate and the marts see hashes, never an address, a name or a phone number.

The hash (one rule for every field, so that the CRM's and the survey's e-mails still match):
``lower-hex sha256(salt || lower(trim(value)))`` where ``trim`` removes surrounding spaces (as
SQL ``trim`` does) and ``lower`` lower-cases. A value that is empty after trimming is not
personal data and stays as exported (NULL stays NULL).

The salt comes from ``CJM_PII_SALT``; when that is unset, a random salt is created once and kept
in ``<warehouse file>.pii_salt`` beside the warehouse (never in the published file). A
fingerprint of the salt (not the salt) is kept in ``ops.pii_salt``, so a lost salt file or a
different ``CJM_PII_SALT`` is an error that says what to do instead of hashes that silently stop
matching.

Quarantine keeps a rejected record's original text (``ops.quarantine.record``), personal values
included: people must see the record to fix the export. ``cjm forget`` erases such records.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from fnmatch import fnmatch
from pathlib import Path

import duckdb

from .readers import FormatError, ReadResult, TempScope
from .schema import VARCHAR, qualified, quote_ident, sql_literal

PII_SCHEMA = "pii"
SALT_ENV = "CJM_PII_SALT"
SALT_TABLE = qualified("ops", "pii_salt")
SALT_FILE_SUFFIX = ".pii_salt"
ANSWERS_COLUMN = "answers_json"  # survey answers: a JSON object whose keys are checked as well
ANSWER_VALUES = "__answer_values"  # a column of separate_pii's relations: answers_json's values
PII_LINEAGE = ("_load_id", "_source_file", "_source_row")


@dataclass(frozen=True)
class PersonalField:
    """Field names that hold personal data, in the raw tables matching ``tables``.

    Names are compared normalised: lower case, letters and digits only, so ``RecipientEmail``,
    ``recipient_email`` and ``Email Address`` compare as ``recipientemail`` / ``emailaddress``.
    ``exact``: whole normalised names; ``suffixes``: a normalised name ending in one of them.
    """

    what: str
    exact: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()
    tables: tuple[str, ...] = ("*",)  # fnmatch patterns of raw table names
    reason: str = ""


# Where people are: contacts (Salesforce Contact, HubSpot contacts), the survey's recipients
# and the people who open cases. Accounts, opportunities and GA4 events hold no such fields
# (GA4 exports no IP address or e-mail; the Snowplow reader leaves user_ipaddress out of raw).
_PEOPLE_TABLES = ("*contact*", "survey_responses", "crm_cases", "*person*")

PERSONAL_FIELDS: tuple[PersonalField, ...] = (
    PersonalField(
        "e-mail address",
        exact=("email", "emails"),
        suffixes=("email", "emails", "emailaddress"),
        reason="identifies a person directly (Salesforce Email, Case SuppliedEmail, HubSpot "
        "email, Qualtrics RecipientEmail, SurveyMonkey 'Email Address')",
    ),
    PersonalField(
        "name",
        suffixes=(
            "firstname",
            "lastname",
            "middlename",
            "fullname",
            "suppliedname",
            "recipientname",
            "assistantname",
        ),
        reason="a person's name (Salesforce FirstName/LastName, Case SuppliedName, Qualtrics "
        "RecipientFirstName/RecipientLastName, SurveyMonkey 'First Name'/'Last Name')",
    ),  # fmt: skip
    PersonalField(
        "full name",
        exact=("name",),
        tables=("*contact*", "survey_responses", "*person*"),
        reason="Salesforce Contact Name is the person's full name, as is a legacy survey "
        "export's Name column (an Account's or Opportunity's Name is not a person's)",
    ),
    PersonalField(
        "phone number",
        suffixes=("phone", "phonenumber", "fax"),
        tables=_PEOPLE_TABLES,
        reason="reaches a person directly (Phone, MobilePhone, HomePhone, OtherPhone, Case "
        "SuppliedPhone, HubSpot phone/mobilephone)",
    ),
    PersonalField(
        "postal address",
        exact=("address",),
        suffixes=("street",),
        tables=_PEOPLE_TABLES,
        reason="where a person lives (MailingStreet, OtherStreet, HubSpot address)",
    ),
    PersonalField(
        "IP address",
        suffixes=("ipaddress",),
        reason="online identifier of the person's device (Qualtrics IPAddress, legacy "
        "'IP Address', Snowplow user_ipaddress)",
    ),
    PersonalField(
        "location",
        exact=("locationlatitude", "locationlongitude"),
        reason="Qualtrics geolocates the respondent's IP address to these coordinates",
    ),
    PersonalField(
        "date of birth",
        exact=("birthdate", "dateofbirth"),
        tables=_PEOPLE_TABLES,
        reason="with a name, identifies a person (Salesforce Contact Birthdate)",
    ),
)

# Names that look personal by the rules above but hold no personal value.
NOT_PERSONAL = frozenset({"hasoptedoutofemail", "hsemailoptout"})


class PiiSaltError(FormatError):
    """The salt is missing or differs from the one the warehouse's hashes were made with."""


def normalised_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def personal_field(raw_table: str, name: str, whole_name: bool = False) -> PersonalField | None:
    """The rule that makes field ``name`` of raw.<raw_table> personal data, or None.

    ``whole_name``: match whole names only (a suffix alone, or ``Recipient`` + a suffix), for
    survey answer keys, where a question such as "Which channels did you use? - Phone" ends
    like a personal field but holds an answer.
    """
    key = normalised_name(name)
    if not key or key in NOT_PERSONAL:
        return None
    for rule in PERSONAL_FIELDS:
        if not any(fnmatch(raw_table, pattern) for pattern in rule.tables):
            continue
        if whole_name:
            bare = key.removeprefix("recipient")
            if key in rule.exact or key in rule.suffixes or bare in rule.suffixes:
                return rule
        elif key in rule.exact or key.endswith(rule.suffixes):
            return rule
    return None


def normalise(value: str) -> str:
    """The text that is hashed: surrounding spaces removed (as SQL trim), lower case."""
    return value.strip(" ").lower()


def pii_hash(value: str | None, salt: str) -> str | None:
    """The salted hash raw keeps for a personal value; None or filled values are kept as is."""
    if value is None or not normalise(value):
        return value
    return hashlib.sha256((salt + normalise(value)).encode("utf-8")).hexdigest()


def hash_sql(expression: str, salt: str) -> str:
    """SQL for ``pii_hash``: the same text, hashed by DuckDB."""
    return (
        f"CASE WHEN nullif(trim({expression}), '') IS NULL THEN {expression} "
        f"ELSE sha256({sql_literal(salt)} || lower(trim({expression}))) END"
    )


# ----------------------------------------------------------------------------------- salt


def salt_fingerprint(salt: str) -> str:
    return hashlib.sha256(("cjm-pii-salt-check:" + salt).encode("utf-8")).hexdigest()


def database_path(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The file of the connection's current database; None for an in-memory database."""
    rows = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    path = rows[0][0] if rows else None
    return Path(path).resolve() if path and path != ":memory:" else None


def salt_file_for(warehouse: Path) -> Path:
    """Where the generated salt of ``warehouse`` is kept: ``<warehouse file>.pii_salt``."""
    return warehouse.with_name(warehouse.name + SALT_FILE_SUFFIX)


def _recorded_salt(con: duckdb.DuckDBPyConnection) -> tuple[str | None, str | None]:
    con.execute("CREATE SCHEMA IF NOT EXISTS ops").fetchall()
    con.execute(
        f"""CREATE TABLE IF NOT EXISTS {SALT_TABLE} (
            fingerprint VARCHAR, salt_source VARCHAR, created_at TIMESTAMP, salt VARCHAR)"""
    ).fetchall()
    rows = con.execute(f"SELECT fingerprint, salt FROM {SALT_TABLE} LIMIT 1").fetchall()
    return rows[0] if rows else (None, None)


def _new_salt_file(path: Path) -> str:
    salt = secrets.token_hex(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(salt + "\n")
    return salt


def resolve_salt(con: duckdb.DuckDBPyConnection, environ: Mapping[str, str] | None = None) -> str:
    """The salt of this warehouse: ``CJM_PII_SALT``, else the salt file beside the warehouse.

    The first call on a new warehouse creates the salt file (when the variable is unset) and
    records the salt's fingerprint in ``ops.pii_salt``; later calls check against it. An
    in-memory database (tests, notebooks) keeps its generated salt in ``ops.pii_salt`` itself:
    it vanishes with the database.
    """
    environ = os.environ if environ is None else environ
    configured = environ.get(SALT_ENV, "")
    recorded, memory_salt = _recorded_salt(con)
    warehouse = database_path(con)
    if configured:
        salt, source = configured, SALT_ENV
    elif warehouse is None:
        salt, source = memory_salt or secrets.token_hex(32), "in-memory database"
    else:
        path = salt_file_for(warehouse)
        source = str(path)
        if path.exists():
            salt = path.read_text(encoding="utf-8").strip()
            if not salt:
                raise PiiSaltError(
                    f"The salt file {path} is empty. Restore it from a backup, or set "
                    f"{SALT_ENV} to the salt this warehouse was built with."
                )
        elif recorded is not None:
            raise PiiSaltError(
                f"The salt file {path} is missing, but {warehouse} holds personal data hashed "
                f"with the salt it held (fingerprint in ops.pii_salt). Restore the file from a "
                f"backup, or set {SALT_ENV} to that salt; nothing was loaded, because new "
                "hashes would no longer match the stored ones (contacts and survey responses "
                "would stop merging by e-mail). To start over with a new salt, delete the "
                "warehouse and run `cjm run` again: it reloads every export in the landing "
                "folder."
            )
        else:
            salt = _new_salt_file(path)
    fingerprint = salt_fingerprint(salt)
    if recorded is None:
        con.execute(
            f"INSERT INTO {SALT_TABLE} VALUES (?, ?, ?, ?)",
            [
                fingerprint,
                source,
                datetime.now(UTC).replace(tzinfo=None),
                salt if warehouse is None and not configured else None,
            ],
        ).fetchall()
    elif recorded != fingerprint:
        raise PiiSaltError(
            f"The salt from {source} is not the one this warehouse's personal data was hashed "
            f"with (fingerprint in ops.pii_salt). Set {SALT_ENV} to the original salt, or "
            f"unset it to use the salt file {_salt_file_hint(warehouse)}; nothing was loaded. "
            "To start over with a new salt, delete the warehouse and run `cjm run` again."
        )
    return salt


def _salt_file_hint(warehouse: Path | None) -> str:
    return str(salt_file_for(warehouse)) if warehouse else "(none: in-memory database)"


# ---------------------------------------------------------------------- ingestion interface


def personal_columns(raw_table: str, columns: Iterable[tuple[str, str]]) -> list[str]:
    """Text columns of raw.<raw_table> that hold personal data (``answers_json`` aside)."""
    return [
        name
        for name, type_ in columns
        if type_.upper() == VARCHAR
        and name != ANSWERS_COLUMN
        and personal_field(raw_table, name) is not None
    ]


@dataclass(frozen=True)
class _AnswerKeys:
    """The keys of ``answers_json`` in a reader's rows: ``personal`` (sorted), and ``in_order``
    when every row has the same keys in the same order (a survey export: one object per row
    built from the file's columns), else None."""

    personal: list[str]
    in_order: list[str] | None


def _answer_keys(con: duckdb.DuckDBPyConnection, raw_table: str, result: ReadResult) -> _AnswerKeys:
    if ANSWERS_COLUMN not in (name for name, _ in result.columns):
        return _AnswerKeys([], None)
    key_lists = [
        keys
        for (keys,) in con.execute(
            f"""SELECT DISTINCT json_keys({quote_ident(ANSWERS_COLUMN)})
            FROM {quote_ident(result.rows)} WHERE {quote_ident(ANSWERS_COLUMN)} IS NOT NULL"""
        ).fetchall()
    ]
    every_key = {key for keys in key_lists for key in keys}
    personal = sorted(k for k in every_key if personal_field(raw_table, k, whole_name=True))
    single = key_lists[0] if len(key_lists) == 1 else None
    # a path names a key between double quotes: keys that would need escaping take the
    # general path, as do repeated keys
    if single is not None and (
        len(set(single)) != len(single) or any('"' in k or "\\" in k for k in single)
    ):
        single = None
    return _AnswerKeys(personal, single)


def _filled_sql(expression: str) -> str:
    """SQL: the text ``expression`` holds something besides spaces (what gets hashed)."""
    return f"nullif(trim({expression}), '') IS NOT NULL"


def _json_text_sql(value: str) -> str:
    """SQL: the text of the JSON value ``value`` (NULL for a JSON null)."""
    return f"({value} ->> '$')"


def _answers_sql(keys: list[str], salt: str, keep_only_personal: bool) -> str:
    """answers_json with the personal keys' values hashed, or (keep_only_personal) only them.

    Any object: each row's object is parsed into a map and written again."""
    column = quote_ident(ANSWERS_COLUMN)
    entries = f"""map_entries(json_transform({column}, '"MAP(VARCHAR, JSON)"'))"""
    in_keys = f"x.key IN ({', '.join(sql_literal(k) for k in keys)})"
    text = _json_text_sql("x.value")
    personal = f"{in_keys} AND {_filled_sql(text)}"
    if keep_only_personal:
        body = f"list_filter({entries}, lambda x: {personal})"
        return f"nullif(to_json(map_from_entries({body}))::VARCHAR, '{{}}')"
    value = f"CASE WHEN {personal} THEN to_json({hash_sql(text, salt)}) ELSE x.value END"
    body = f"list_transform({entries}, lambda x: {{'key': x.key, 'value': {value}}})"
    return (
        f"CASE WHEN {column} IS NULL THEN NULL ELSE to_json(map_from_entries({body}))::VARCHAR END"
    )


def _same_keys_answers_sql(
    in_order: list[str], personal: list[str], salt: str, keep_only_personal: bool
) -> tuple[str, str]:
    """``_answers_sql`` for rows whose objects all have the keys ``in_order``: the same text,
    built from the values of the keys it needs, taken from one parse of each object, instead of
    a map of each object written again (at a million survey responses the hashed answers took
    about half the time). Returns the SQL of those values (a list, to select as column
    ``ANSWER_VALUES``) and the SQL of the answers from it."""
    column = quote_ident(ANSWERS_COLUMN)
    keys = [k for k in in_order if k in personal] if keep_only_personal else in_order
    paths = ", ".join(sql_literal(f'$."{k}"') for k in keys)
    values_sql = f"json_extract({column}, [{paths}])"
    values = [f"{quote_ident(ANSWER_VALUES)}[{i}]" for i in range(1, len(keys) + 1)]
    if keep_only_personal:
        entries = ", ".join(
            f"{{'key': {sql_literal(k)}, 'value': {v}}}" for k, v in zip(keys, values, strict=True)
        )
        body = f"list_filter([{entries}], lambda x: {_filled_sql(_json_text_sql('x.value'))})"
        answers = f"nullif(to_json(map_from_entries({body}))::VARCHAR, '{{}}')"
    else:
        fields = []
        for key, value in zip(keys, values, strict=True):
            if key in personal:
                text = _json_text_sql(value)
                value = (
                    f"CASE WHEN {_filled_sql(text)} "
                    f"THEN to_json({hash_sql(text, salt)}) ELSE {value} END"
                )
            fields.append(f"{sql_literal(key)}, {value}")
        answers = f"json_object({', '.join(fields)})::VARCHAR"
    return values_sql, f"CASE WHEN {column} IS NULL THEN NULL ELSE {answers} END"


def _with_answers(
    source: str, keys: _AnswerKeys, salt: str, keep_only_personal: bool
) -> tuple[str, str]:
    """(relation, answers SQL): ``source`` and the SQL of its answers_json with the personal
    keys hashed (or only the personal keys), by the faster path when every row has the same
    keys (the relation then also has column ``ANSWER_VALUES``)."""
    if keys.in_order is None:
        return source, _answers_sql(keys.personal, salt, keep_only_personal)
    values_sql, answers = _same_keys_answers_sql(
        keys.in_order, keys.personal, salt, keep_only_personal
    )
    return f"(SELECT *, {values_sql} AS {quote_ident(ANSWER_VALUES)} FROM {source})", answers


def separate_pii(
    con: duckdb.DuckDBPyConnection,
    raw_table: str,
    result: ReadResult,
    scope: TempScope,
    salt: str | None = None,
) -> tuple[ReadResult, str | None]:
    """Split a reader's rows into hashed rows for raw and a temp table of personal values.

    Returns the result whose ``rows`` view hashes every personal column (and the personal keys
    of ``answers_json``), and the name of a temp table with ``_source_row`` plus the personal
    values as exported (None when the file has no personal fields). ``salt`` None: resolved by
    ``resolve_salt`` (only when the file has personal fields).
    """
    columns = personal_columns(raw_table, result.columns)
    if ANSWERS_COLUMN in (name for name, _ in result.columns):
        # Survey rows are built from the records by a long select list (answers_json from
        # every question column, parsed dates); reading them three times (answer keys, personal
        # values, raw insert) cost three times that: build them once.
        built = scope.table("rows_built")
        con.execute(
            f"CREATE TEMP TABLE {quote_ident(built)} AS SELECT * FROM {quote_ident(result.rows)}"
        ).fetchall()
        result = replace(result, rows=built)
    keys = _answer_keys(con, raw_table, result)
    if not columns and not keys.personal:
        return result, None
    salt = resolve_salt(con) if salt is None else salt
    source = quote_ident(result.rows)
    hashed = [f"{hash_sql(quote_ident(c), salt)} AS {quote_ident(c)}" for c in columns]
    kept = [f"CAST({quote_ident(c)} AS VARCHAR) AS {quote_ident(c)}" for c in columns]
    filled = [_filled_sql(quote_ident(c)) for c in columns]
    hashed_from = kept_from = source
    excluded = ""
    if keys.personal:
        hashed_from, answers = _with_answers(source, keys, salt, False)
        hashed.append(f"{answers} AS {quote_ident(ANSWERS_COLUMN)}")
        kept_from, answers = _with_answers(source, keys, salt, True)
        kept.append(f"{answers} AS {quote_ident(ANSWERS_COLUMN)}")
        filled.append(f"{quote_ident(ANSWERS_COLUMN)} IS NOT NULL")
        if keys.in_order is not None:
            excluded = f" EXCLUDE ({quote_ident(ANSWER_VALUES)})"
    rows = scope.view("rows_hashed")
    con.execute(
        f"CREATE TEMP VIEW {quote_ident(rows)} AS "
        f"SELECT *{excluded} REPLACE ({', '.join(hashed)}) FROM {hashed_from}"
    ).fetchall()
    personal = scope.table("pii")
    con.execute(
        f"""CREATE TEMP TABLE {quote_ident(personal)} AS
        SELECT * FROM (SELECT _source_row, {", ".join(kept)} FROM {kept_from})
        WHERE {" OR ".join(filled)}"""
    ).fetchall()
    return replace(result, rows=rows), personal


def pii_table(raw_table: str) -> str:
    return qualified(PII_SCHEMA, raw_table)


def pii_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Names of the tables in schema ``pii`` (one per raw table that had personal data)."""
    return [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? "
            "AND table_catalog = current_database() ORDER BY table_name",
            [PII_SCHEMA],
        ).fetchall()
    ]


def write_pii(
    con: duckdb.DuckDBPyConnection,
    raw_table: str,
    personal: str,
    load_id: str,
    source_file: str,
) -> int:
    """Insert the temp table from ``separate_pii`` into pii.<raw_table>; returns the rows.

    Creates the schema and table on first use and adds columns a new file brings. Runs inside
    the loader's transaction, so raw and pii change together.
    """
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(PII_SCHEMA)}").fetchall()
    table = pii_table(raw_table)
    con.execute(
        f"""CREATE TABLE IF NOT EXISTS {table}
        (_load_id VARCHAR, _source_file VARCHAR, _source_row BIGINT)"""
    ).fetchall()
    existing = {
        r[0].lower()
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? "
            "AND table_name = ? AND table_catalog = current_database()",
            [PII_SCHEMA, raw_table],
        ).fetchall()
    }
    described = con.execute(f"DESCRIBE {quote_ident(personal)}").fetchall()
    for name, type_, *_ in described:
        if name.lower() not in existing:
            con.execute(f"ALTER TABLE {table} ADD COLUMN {quote_ident(name)} {type_}").fetchall()
    return con.execute(
        f"""INSERT INTO {table} BY NAME
        SELECT ? AS _load_id, ? AS _source_file, * FROM {quote_ident(personal)}""",
        [load_id, source_file],
    ).fetchall()[0][0]


def delete_pii_for_loads(
    con: duckdb.DuckDBPyConnection, raw_table: str, load_ids: list[str]
) -> int:
    """Delete the personal values of these loads (a file replaced by a new copy)."""
    if not load_ids or raw_table not in pii_tables(con):
        return 0
    marks = ", ".join("?" * len(load_ids))
    return con.execute(
        f"DELETE FROM {pii_table(raw_table)} WHERE _load_id IN ({marks})", load_ids
    ).fetchall()[0][0]
