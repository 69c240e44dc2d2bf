"""Load one raw table from the landing folder: find files, pick a reader, write raw + ops.

Every file is loaded in one transaction: its raw rows, its quarantine rows, its ledger row and,
when it replaces an earlier copy of the same path, the removal of that copy. A file that fails
leaves the warehouse as it was, apart from a 'failed' ledger row saying why.
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from .ledger import (
    LEDGER,
    QUARANTINE,
    RAW_SCHEMA,
    LedgerRow,
    add_missing_columns,
    ensure_ops_tables,
    ensure_raw_table,
    insert_ledger_row,
    raw_columns,
    rows_for_key,
)
from .readers import FormatError, ReadContext, Reader, TempScope
from .report import (
    FAILED,
    IGNORED,
    LOADED,
    MAX_SAMPLES,
    SKIPPED_DUPLICATE,
    SUPERSEDED,
    FileResult,
    IngestReport,
    QuarantineSample,
)
from .schema import qualified, quote_ident, sql_literal
from .settings import IngestSettings
from .specs import RAW_TABLES, SourceSpec
from .textfile import decode_head, file_digest, head_is_complete, preview, read_head


def ingest_raw_table(
    con: duckdb.DuckDBPyConnection,
    landing: Path,
    raw_table: str,
    settings: IngestSettings | None = None,
) -> IngestReport:
    """Load every new or changed file of ``raw_table`` from the landing folder.

    Creates the ops tables and raw.<raw_table> (with its contract columns) when missing, so it
    is safe to call when no file exists. Files already loaded with the same bytes are left
    alone; a path delivered again with new bytes replaces its earlier copy. Never raises for a
    bad file: the report and the ledger say what failed and why.
    """
    if raw_table not in RAW_TABLES:
        known = ", ".join(sorted(RAW_TABLES))
        raise ValueError(f"unknown raw table {raw_table!r}; known raw tables: {known}")
    spec = RAW_TABLES[raw_table]
    settings = settings if settings is not None else IngestSettings()
    landing = Path(landing)
    ensure_ops_tables(con)
    ensure_raw_table(con, spec.raw_table, spec.columns)
    report = IngestReport(raw_table)
    restore_checkpoints = _defer_checkpoints(con)
    try:
        _ingest_files(con, landing, spec, settings, report)
    finally:
        restore_checkpoints()
    report.files.sort(key=lambda f: f.source_file)
    return report


def _ingest_files(
    con: duckdb.DuckDBPyConnection,
    landing: Path,
    spec: SourceSpec,
    settings: IngestSettings,
    report: IngestReport,
) -> None:
    chosen, ignored = _one_file_per_path(spec.find_files(landing), landing)
    for path, kept in ignored:
        report.files.append(
            FileResult(
                source_file=_relative(path, landing),
                status=IGNORED,
                message=(
                    f"Ignored: {_relative(kept, landing)} is the same export (same name without "
                    "'.gz') and newer. Keep only one of the two in the landing folder."
                ),
            )
        )
    for path in chosen:
        report.files.append(_ingest_file(con, landing, spec, path, settings))


def _relative(path: Path, landing: Path) -> str:
    return path.relative_to(landing).as_posix()


def _path_key(source_file: str) -> str:
    """The identity of a delivered file: its relative path without '.gz', in lower case.

    ``crm/ACCOUNT.csv`` delivered after ``crm/Account.csv`` replaces it rather than adding the
    same records a second time.
    """
    key = source_file.lower()
    return key[:-3] if key.endswith(".gz") else key


def _one_file_per_path(
    files: list[Path], landing: Path
) -> tuple[list[Path], list[tuple[Path, Path]]]:
    """Keep the newest file per path key (x.json vs x.json.gz); list the others as ignored."""
    groups: dict[str, list[Path]] = {}
    for path in files:
        groups.setdefault(_path_key(_relative(path, landing)), []).append(path)
    chosen: list[Path] = []
    ignored: list[tuple[Path, Path]] = []
    for group in groups.values():
        group.sort(key=lambda p: (p.stat().st_mtime, p.name))
        kept = group[-1]
        chosen.append(kept)
        ignored.extend((p, kept) for p in group[:-1])
    return sorted(chosen), ignored


def _new_load_id(now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}"


def _safe_detect(reader: Reader, path: Path, head: bytes) -> bool:
    try:
        return bool(reader.detect(path, head))
    except Exception:  # a detector that trips over a strange file simply does not claim it
        return False


def _unrecognised_message(spec: SourceSpec, source_file: str, head: bytes) -> str:
    if not head.strip():
        hint = "The file is empty."
    elif decode_head(head, head_is_complete(head)) is None:
        hint = (
            "The file is not UTF-8 or UTF-16 text (Excel often saves Windows-1252); save or "
            "export it as UTF-8."
        )
    else:
        hint = f"It starts with: {preview(head)!r}."
    return (
        f"{source_file}: no reader recognised this file, so nothing was loaded into "
        f"raw.{spec.raw_table}. Accepted: {'; '.join(spec.accepted_formats)}. {hint} Replace "
        "it with an export in an accepted format, or remove it from the landing folder."
    )


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):
        con.rollback()


def _record_failure(
    con: duckdb.DuckDBPyConnection,
    spec: SourceSpec,
    source_file: str,
    sha: str,
    size: int,
    source_format: str | None,
    message: str,
    history: list[LedgerRow],
    now: datetime,
) -> FileResult:
    """Write a 'failed' ledger row, unless the same bytes already failed the same way."""
    if source_file not in message:
        message = f"{source_file}: {message}"
    earlier = [
        r
        for r in history
        if r.status == FAILED and r.source_file == source_file and r.file_sha256 == sha
    ]
    if any(r.message == message for r in earlier):
        same = next(r for r in earlier if r.message == message)
        return FileResult(
            source_file,
            FAILED,
            source_format,
            message=message,
            load_id=same.load_id,
            file_sha256=sha,
        )
    load_id = _new_load_id(now)
    con.begin()
    try:
        for row in earlier:
            con.execute(f"DELETE FROM {LEDGER} WHERE load_id = ?", [row.load_id]).fetchall()
        insert_ledger_row(
            con,
            load_id=load_id,
            raw_table=spec.raw_table,
            source_file=source_file,
            file_name=Path(source_file).name,
            file_sha256=sha,
            file_bytes=size,
            source_format=source_format,
            rows_read=0,
            rows_loaded=0,
            rows_quarantined=0,
            status=FAILED,
            message=message,
            loaded_at=now,
        )
        con.commit()
    except Exception:
        _rollback(con)
        raise
    return FileResult(
        source_file, FAILED, source_format, message=message, load_id=load_id, file_sha256=sha
    )


def _ingest_file(
    con: duckdb.DuckDBPyConnection,
    landing: Path,
    spec: SourceSpec,
    path: Path,
    settings: IngestSettings,
) -> FileResult:
    source_file = _relative(path, landing)
    sha, size = file_digest(path)
    history = rows_for_key(con, spec.raw_table, _path_key(source_file))
    for row in history:
        if row.status == LOADED and row.file_sha256 == sha and row.source_file == source_file:
            return FileResult(
                source_file,
                SKIPPED_DUPLICATE,
                row.source_format,
                message=(
                    f"Unchanged: these bytes were loaded as {row.load_id} at "
                    f"{row.loaded_at:%Y-%m-%d %H:%M:%S} UTC; nothing to do."
                ),
                load_id=row.load_id,
                file_sha256=sha,
            )

    now = datetime.now(UTC).replace(tzinfo=None)
    head = read_head(path)
    reader = next((r for r in spec.readers if _safe_detect(r, path, head)), None)
    if reader is None:
        message = _unrecognised_message(spec, source_file, head)
        return _record_failure(con, spec, source_file, sha, size, None, message, history, now)

    load_id = _new_load_id(now)
    scope = TempScope(con)
    restore_order = _force_insertion_order(con)
    in_transaction = False
    try:
        # Reading only creates temp objects; it runs outside the transaction because DuckDB
        # numbers the rows of a table created inside a transaction from a large offset, and the
        # row numbers of the file are derived from rowid.
        result = reader.read(
            con,
            path,
            ReadContext(source_file, spec.raw_table, settings, head, scope),
        )
        con.begin()
        in_transaction = True
        added = _prepare_columns(con, spec, result.columns)
        replaced = [r for r in history if r.status == LOADED]
        table = qualified(RAW_SCHEMA, spec.raw_table)
        if replaced:
            ids = [r.load_id for r in replaced]
            marks = ", ".join("?" * len(ids))
            con.execute(f"DELETE FROM {table} WHERE _load_id IN ({marks})", ids).fetchall()
            con.execute(f"DELETE FROM {QUARANTINE} WHERE load_id IN ({marks})", ids).fetchall()
        stamp = f"TIMESTAMP {sql_literal(now.isoformat(sep=' '))}"
        loaded = con.execute(
            f"""INSERT INTO {table} BY NAME
            SELECT {sql_literal(load_id)} AS _load_id, {sql_literal(source_file)} AS _source_file,
                   {stamp} AS _loaded_at, *
            FROM {quote_ident(result.rows)}"""
        ).fetchall()[0][0]
        quarantined = con.execute(
            f"""INSERT INTO {QUARANTINE}
                (load_id, raw_table, source_file, source_row, column_name, reason, record,
                 check_name, quarantined_at)
            SELECT ?, ?, ?, source_row, column_name, reason, record, NULL, {stamp}
            FROM {quote_ident(result.quarantine)}""",
            [load_id, spec.raw_table, source_file],
        ).fetchall()[0][0]
        if loaded + quarantined != result.rows_read:
            raise FormatError(
                f"{source_file}: counts do not reconcile (read {result.rows_read}, loaded "
                f"{loaded}, quarantined {quarantined}); nothing was loaded. This is a bug in "
                f"the {reader.name} reader: please report it with the file."
            )
        samples = [
            QuarantineSample(int(r[0]) if r[0] is not None else None, r[1], r[2])
            for r in con.execute(
                f"""SELECT source_row, column_name, reason FROM {quote_ident(result.quarantine)}
                ORDER BY source_row LIMIT {MAX_SAMPLES}"""
            ).fetchall()
        ]
        current = [r for r in history if r.status in (LOADED, FAILED)]
        if current:
            ids = [r.load_id for r in current]
            con.execute(
                f"""UPDATE {LEDGER}
                SET status = ?, message = message || ?
                WHERE load_id IN ({", ".join("?" * len(ids))})""",
                [
                    SUPERSEDED,
                    f" Superseded by load {load_id} at {now:%Y-%m-%d %H:%M:%S} UTC.",
                    *ids,
                ],
            ).fetchall()
        message = _loaded_message(
            source_file,
            reader,
            load_id,
            result.rows_read,
            loaded,
            quarantined,
            replaced,
            added,
            result.notes,
        )
        insert_ledger_row(
            con,
            load_id=load_id,
            raw_table=spec.raw_table,
            source_file=source_file,
            file_name=path.name,
            file_sha256=sha,
            file_bytes=size,
            source_format=reader.name,
            rows_read=result.rows_read,
            rows_loaded=loaded,
            rows_quarantined=quarantined,
            status=LOADED,
            message=message,
            loaded_at=now,
        )
        con.commit()
    except Exception as exc:
        if in_transaction:
            _rollback(con)
        if isinstance(exc, FormatError):
            message = str(exc)
        else:
            message = (
                f"{source_file}: reading it as {reader.name} failed ({type(exc).__name__}: "
                f"{exc}). Nothing was loaded. Check that the file is a complete, unedited "
                "export; if it is, report this message with the file."
            )
        return _record_failure(
            con, spec, source_file, sha, size, reader.name, message, history, now
        )
    finally:
        scope.drop_all()
        restore_order()
    return FileResult(
        source_file,
        LOADED,
        reader.name,
        rows_read=result.rows_read,
        rows_loaded=loaded,
        rows_quarantined=quarantined,
        message=message,
        load_id=load_id,
        file_sha256=sha,
        quarantine_samples=samples,
    )


def _prepare_columns(
    con: duckdb.DuckDBPyConnection, spec: SourceSpec, columns: list[tuple[str, str]]
) -> list[str]:
    """Add new columns (tables that grow with their files) or check the reader's shape."""
    if spec.adds_columns:
        return add_missing_columns(con, spec.raw_table, columns)
    existing = {name.lower() for name in raw_columns(con, spec.raw_table)}
    unknown = [name for name, _ in columns if name.lower() not in existing]
    if unknown:
        raise FormatError(
            f"raw.{spec.raw_table} has no column(s) {', '.join(unknown)}; the table was "
            "created by another version. Rebuild the warehouse or migrate the table."
        )
    return []


def _loaded_message(
    source_file: str,
    reader: Reader,
    load_id: str,
    rows_read: int,
    loaded: int,
    quarantined: int,
    replaced: list[LedgerRow],
    added: list[str],
    notes: list[str],
) -> str:
    parts = [f"Loaded {loaded} of {rows_read} rows from {source_file} as {reader.name}."]
    if quarantined:
        parts.append(
            f"{quarantined} row(s) quarantined: see ops.quarantine where load_id = '{load_id}'."
        )
    if replaced:
        parts.append(
            "Replaced the earlier copy (load "
            + ", ".join(r.load_id for r in replaced)
            + ") delivered under the same path."
        )
    if added:
        parts.append(f"New column(s): {', '.join(added)}.")
    parts.extend(notes)
    return " ".join(parts)


def _force_insertion_order(con: duckdb.DuckDBPyConnection):  # noqa: ANN202
    """Row numbers rely on DuckDB keeping file order; make sure the setting is on."""
    current = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]
    if current:
        return lambda: None
    con.execute("SET preserve_insertion_order = true").fetchall()
    return lambda: con.execute("SET preserve_insertion_order = false").fetchall()


# DuckDB checkpoints after every commit that leaves more than `checkpoint_threshold` (16 MiB by
# default) in the write-ahead log. One GA4 day is more than that, so every file would
# checkpoint, and each checkpoint rewrites the table's last, partly filled row group (up to
# 122,880 rows) and grows with the table: 1.7M GA4 lines took 37 s that way, 27 s without.
# While loading, the threshold is raised so that a checkpoint comes every few files; every
# commit is still durable (the WAL is synced). 128 MiB measured best: 64 MiB is slower, 1 GiB
# was no faster and held far more not yet checkpointed rows in memory.
LOADING_CHECKPOINT_THRESHOLD = "128MiB"


def _defer_checkpoints(con: duckdb.DuckDBPyConnection):  # noqa: ANN202
    """Raise checkpoint_threshold for one ingest_raw_table call; the returned function resets
    it to DuckDB's default and checkpoints once, so the file is complete when loading ends."""
    con.execute(f"SET checkpoint_threshold = '{LOADING_CHECKPOINT_THRESHOLD}'").fetchall()

    def restore() -> None:
        con.execute("RESET checkpoint_threshold").fetchall()
        # Another connection's open transaction makes CHECKPOINT fail; the rows are committed
        # and in the WAL either way, and DuckDB checkpoints at its next commit or on close.
        with contextlib.suppress(duckdb.Error):
            con.execute("CHECKPOINT").fetchall()

    return restore
