"""Load one raw table from the landing folder: find files, pick a reader, write raw + ops.

Every file is loaded in one transaction: its raw rows, its quarantine rows, its ledger row and,
when it replaces an earlier copy of the same path, the removal of that copy. A file that fails
leaves the warehouse as it was, apart from a 'failed' ledger row saying why.

Files whose reader can read several files at once (``BatchReader``: GA4 NDJSON days) are read
in batches, in one parallel DuckDB scan per batch, and a batch is applied in one transaction:
each file still gets its own ledger row, the raw rows of all go in with one INSERT. When any
file of the batch fails or is held, that transaction is undone and the batch's files are
applied one by one as above.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from dataclasses import dataclass
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
    is_accepted,
    mark_retired,
    raw_columns,
    rows_for_key,
    rows_for_table,
)
from .pii import delete_pii_for_loads, separate_pii, write_pii
from .readers import (
    BatchReader,
    FormatError,
    ReadContext,
    Reader,
    ReadResult,
    RefusedFormat,
    TempScope,
)
from .report import (
    FAILED,
    HELD,
    IGNORED,
    LOADED,
    MAX_SAMPLES,
    NEEDS_ACTION,
    RETIRED,
    SKIPPED_DUPLICATE,
    SUPERSEDED,
    UNRECOGNISED,
    FileResult,
    IngestReport,
    QuarantineSample,
)
from .schema import qualified, quote_ident, sql_literal
from .settings import IngestSettings
from .specs import IGNORE_FILE, RAW_TABLES, SourceSpec, unclaimed_files
from .textfile import describe_content, file_digest, is_gzip, read_head


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


UNCLAIMED = "(unrecognised)"  # the report name of files no raw table takes


def record_unclaimed_files(con: duckdb.DuckDBPyConnection, landing: Path) -> IngestReport:
    """Put every file of the landing folder that no raw table takes into the ledger.

    Each gets an ``unrecognised`` row (raw_table NULL) saying what the landing folder expects
    and, when a reader recognises the content, where such a file belongs. The same bytes again
    write nothing new; a file that left the landing folder is retired.
    """
    landing = Path(landing)
    ensure_ops_tables(con)
    report = IngestReport(UNCLAIMED)
    present = set(unclaimed_files(landing))
    history: dict[str, list[LedgerRow]] = {}
    for row in rows_for_table(con, None):
        history.setdefault(row.source_file, []).append(row)
    now = datetime.now(UTC).replace(tzinfo=None)
    for source_file in sorted(present):
        path = landing / source_file
        rows = history.get(source_file, [])
        try:
            sha, size = file_digest(path)
            head = read_head(path)
        except OSError as error:
            outcome = FileResult(
                source_file, FAILED, message=_unreadable_message(source_file, error)
            )
            report.files.append(_record_unapplied(con, None, outcome, 0, rows, now))
            continue
        message = _unclaimed_message(landing, path, source_file, head)
        outcome = FileResult(source_file, UNRECOGNISED, message=message, file_sha256=sha)
        report.files.append(_record_unapplied(con, None, outcome, size, rows, now))
    for source_file, rows in sorted(history.items()):
        current = rows[-1]
        if source_file in present or current.status not in NEEDS_ACTION:
            continue
        note = (
            f" Retired at {now:%Y-%m-%d %H:%M:%S} UTC: the file was removed from the landing "
            "folder."
        )
        mark_retired(con, current.load_id, note)
        report.files.append(
            FileResult(source_file, RETIRED, message=current.message + note,
                       load_id=current.load_id)
        )  # fmt: skip
    return report


def _unclaimed_message(landing: Path, path: Path, source_file: str, head: bytes) -> str:
    """Why nothing read the file, and where a file with this content belongs."""
    label, homes = None, []
    for spec in RAW_TABLES.values():
        for reader in spec.readers:
            if not isinstance(reader, RefusedFormat) and _safe_detect(reader, path, head):
                label = label or reader.label
                homes.append(spec.pattern_label)
                break
    expected = ", ".join(spec.pattern_label for spec in RAW_TABLES.values())
    where = (
        f"It looks like a {label}; such files are read from {' or '.join(homes)}: move or "
        "rename it there (only these paths are read)."
        if homes
        else f"{describe_content(head)} The landing folder reads only these paths: {expected} "
        "(formats: see README)."
    )
    return (
        f"{source_file}: not read, because no landing-folder rule takes this path (folder and "
        f"file name). {where} If it is not an export, remove it or list it in "
        f"{IGNORE_FILE} at the top of the landing folder."
    )


def _ingest_files(
    con: duckdb.DuckDBPyConnection,
    landing: Path,
    spec: SourceSpec,
    settings: IngestSettings,
    report: IngestReport,
) -> None:
    files = spec.find_files(landing)
    report.files.extend(_retire_removed_files(con, landing, spec, files))
    chosen, ignored = _one_file_per_path(files, landing)
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
    pending: list[_Pending] = []
    for path in chosen:
        step = _prepare_file(con, landing, spec, path)
        if isinstance(step, FileResult):
            report.files.append(step)
        else:
            pending.append(step)
    for batch in _batches(pending):
        report.files.extend(_read_and_apply_batch(con, spec, batch, settings))


def _relative(path: Path, landing: Path) -> str:
    return path.relative_to(landing).as_posix()


_GA4_DAY = re.compile(r"^(web/events_[0-9]{8})\.(json|parquet)$")


def _path_key(source_file: str) -> str:
    """The identity of a delivered file: its relative path in lower case, without '.gz'; a GA4
    day is one file in any format (ledger.PATH_KEY_SQL is the same rule in SQL).

    ``crm/ACCOUNT.csv`` delivered after ``crm/Account.csv`` replaces it rather than adding the
    same records a second time, and so does ``web/events_20231215.parquet`` after the
    ``.json.gz`` export of that day.
    """
    key = source_file.lower()
    key = key[:-3] if key.endswith(".gz") else key
    return _GA4_DAY.sub(r"\1", key)


def _mtime(path: Path) -> float:
    """Modification time; a dangling link's own (it fails later, with its OS error)."""
    try:
        return path.stat().st_mtime
    except OSError:
        return path.lstat().st_mtime


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
        group.sort(key=lambda p: (_mtime(p), p.name))
        kept = group[-1]
        chosen.append(kept)
        ignored.extend((p, kept) for p in group[:-1])
    return sorted(chosen), ignored


def _retire_removed_files(
    con: duckdb.DuckDBPyConnection, landing: Path, spec: SourceSpec, present: list[Path]
) -> list[FileResult]:
    """Files that left the landing folder stop blocking; loaded data stays.

    A path whose current ledger row is failed, held or unrecognised, or whose loaded rows are
    quarantined by a quality check, and which is no longer in the landing folder, is retired:
    the ledger row says so, its quarantine rows get ``retired_at``, and for a loaded copy that
    a quality check blocks, its raw rows are removed (the file was withdrawn). A loaded file that
    passed its checks keeps its rows: landing folders get cleaned up, and deletions upstream
    come as IsDeleted records, not as missing files.
    """
    keys = {_path_key(_relative(p, landing)) for p in present}
    latest: dict[str, LedgerRow] = {}
    for row in rows_for_table(con, spec.raw_table):
        if row.status in (LOADED, *NEEDS_ACTION):
            latest[_path_key(row.source_file)] = row
    now = datetime.now(UTC).replace(tzinfo=None)
    results = []
    for key, row in sorted(latest.items()):
        if key in keys:
            continue
        blocking = con.execute(
            f"""SELECT count(*) FROM {QUARANTINE}
            WHERE load_id = ? AND check_name IS NOT NULL AND retired_at IS NULL""",
            [row.load_id],
        ).fetchall()[0][0]
        if row.status == LOADED and not blocking:
            continue
        withdrawn = row.status == LOADED
        note = (
            f" Retired at {now:%Y-%m-%d %H:%M:%S} UTC: the file was removed from the landing "
            "folder"
            + (
                f" while {blocking} of its rows failed a quality check, so its rows were "
                "removed from raw and it blocks nothing any more."
                if withdrawn
                else "; it blocks nothing any more."
            )
        )
        con.begin()
        try:
            if withdrawn:
                con.execute(
                    f"DELETE FROM {qualified(RAW_SCHEMA, spec.raw_table)} WHERE _load_id = ?",
                    [row.load_id],
                ).fetchall()
                delete_pii_for_loads(con, spec.raw_table, [row.load_id])
            con.execute(
                f"""UPDATE {QUARANTINE} SET retired_at = ?
                WHERE raw_table = ? AND lower(source_file) = lower(?) AND retired_at IS NULL""",
                [now, spec.raw_table, row.source_file],
            ).fetchall()
            mark_retired(con, row.load_id, note)
            con.commit()
        except Exception:
            _rollback(con)
            raise
        results.append(
            FileResult(row.source_file, RETIRED, row.source_format, message=row.message + note,
                       load_id=row.load_id, file_sha256=row.file_sha256)
        )  # fmt: skip
    return results


def _new_load_id(now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}"


def _safe_detect(reader: Reader, path: Path, head: bytes) -> bool:
    try:
        return bool(reader.detect(path, head))
    except Exception:  # a detector that trips over a strange file simply does not claim it
        return False


def _unrecognised_message(spec: SourceSpec, source_file: str, head: bytes) -> str:
    hint = describe_content(head)
    return (
        f"{source_file}: no reader recognised this file, so nothing was loaded into "
        f"raw.{spec.raw_table}. Accepted: {'; '.join(spec.accepted_formats)}. {hint} Replace "
        "it with an export in an accepted format, or remove it from the landing folder."
    )


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):
        con.rollback()


def _record_unapplied(
    con: duckdb.DuckDBPyConnection,
    raw_table: str | None,
    outcome: FileResult,
    size: int,
    history: list[LedgerRow],
    now: datetime,
) -> FileResult:
    """Write the ledger row of a file that was not applied (failed, held, unrecognised).

    The same bytes failing (or held) the same way again write nothing new, so a file that stays
    in the landing folder does not fill the ledger; its earlier row of that kind is replaced
    otherwise.
    """
    source_file, sha, status = outcome.source_file, outcome.file_sha256, outcome.status
    if source_file not in outcome.message:
        outcome.message = f"{source_file}: {outcome.message}"
    earlier = [
        r
        for r in history
        if r.status == status and r.source_file == source_file and r.file_sha256 == sha
    ]
    same = next((r for r in earlier if r.message == outcome.message), None)
    if same is not None:
        outcome.load_id = same.load_id
        return outcome
    outcome.load_id = _new_load_id(now)
    con.begin()
    try:
        for row in earlier:
            con.execute(f"DELETE FROM {LEDGER} WHERE load_id = ?", [row.load_id]).fetchall()
        insert_ledger_row(
            con,
            load_id=outcome.load_id,
            raw_table=raw_table,
            source_file=source_file,
            file_name=Path(source_file).name,
            file_sha256=sha,
            file_bytes=size,
            source_format=outcome.source_format,
            rows_read=outcome.rows_read,
            rows_loaded=0,
            rows_quarantined=0,
            rows_held=outcome.rows_held,
            status=status,
            message=outcome.message,
            notes="\n".join(outcome.notes) or None,
            loaded_at=now,
        )
        con.commit()
    except Exception:
        _rollback(con)
        raise
    return outcome


def _unreadable_message(source_file: str, error: OSError) -> str:
    return (
        f"{source_file}: the file cannot be read ({error.strerror or error}); nothing was "
        "loaded and the other files went on. Make it readable by the user that runs cjm (or "
        "copy it again if it is still being written), then run again."
    )


class _Held(Exception):
    """A re-delivery that would remove too many rows; raised inside the load transaction."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _hold_message(
    spec: SourceSpec,
    source_file: str,
    settings: IngestSettings,
    replaced: list[LedgerRow],
    loaded: int,
    quarantined: int,
) -> str | None:
    """Why this re-delivery must be held, or None when it may replace the earlier copy."""
    before = sum(r.rows_loaded or 0 for r in replaced)
    if not replaced or before == 0 or loaded >= before:
        return None
    share = (before - loaded) / before
    allowed = settings.max_drop.get(spec.folder, 0.0)
    if loaded > 0 and share <= allowed:
        return None
    variable = f"CJM_HOLD_MAX_DROP_{spec.folder.upper()}"
    limit = "no drop" if allowed == 0 else f"a drop of at most {allowed:.0%}"
    quarantine = f" ({quarantined} more row(s) would be quarantined)" if quarantined else ""
    return (
        f"{source_file} was held, not applied: it would replace the {before} rows of the copy "
        f"loaded earlier ({', '.join(r.load_id for r in replaced)}) with {loaded}{quarantine}, "
        f"a drop of {share:.0%}; {spec.folder}/ files allow {limit} ({variable}). The earlier "
        "copy stays loaded and the published marts stay as they were. A shorter export is "
        "usually cut off or filtered by mistake; records deleted at the source come as "
        "IsDeleted rows, not as a shorter file. If the export is complete, deliver it again; "
        f"if the drop is real, run `cjm accept {source_file}` and then `cjm run` (or `cjm run "
        f"--accept {source_file}`)."
    )


@dataclass
class _Pending:
    """A file that has to be read: new or changed bytes, recognised by ``reader``."""

    path: Path
    source_file: str
    sha: str
    size: int
    head: bytes
    reader: Reader
    history: list[LedgerRow]
    now: datetime


def _prepare_file(
    con: duckdb.DuckDBPyConnection, landing: Path, spec: SourceSpec, path: Path
) -> FileResult | _Pending:
    """The file's result when nothing is to be read (unchanged, unreadable, unrecognised),
    otherwise what reading it needs."""
    source_file = _relative(path, landing)
    history = rows_for_key(con, spec.raw_table, _path_key(source_file))
    now = datetime.now(UTC).replace(tzinfo=None)
    try:
        sha, size = file_digest(path)
        head = read_head(path)
    except OSError as error:
        outcome = FileResult(source_file, FAILED, message=_unreadable_message(source_file, error))
        return _record_unapplied(con, spec.raw_table, outcome, 0, history, now)
    unchanged = _unchanged(history, source_file, sha)
    if unchanged is not None:
        return unchanged

    reader = next((r for r in spec.readers if _safe_detect(r, path, head)), None)
    if reader is None:
        message = _unrecognised_message(spec, source_file, head)
        outcome = FileResult(source_file, UNRECOGNISED, message=message, file_sha256=sha)
        return _record_unapplied(con, spec.raw_table, outcome, size, history, now)
    return _Pending(path, source_file, sha, size, head, reader, history, now)


# A batch's lines are held as temp tables while it is applied: at most about this many bytes
# of text per batch (a gzipped file counted at GZIP_EXPANSION times its size; GA4 NDJSON
# compresses about 10:1), so that a batch stays a small share of memory at any scale.
BATCH_MAX_BYTES = 512 << 20
GZIP_EXPANSION = 8
# Files a batch takes whatever their size: DuckDB reads a gzipped file with one thread, so a
# batch of one large day would leave the second core idle while it is read.
BATCH_MIN_FILES = 2


def _text_bytes(item: _Pending) -> int:
    """Estimated bytes of text the file holds once decompressed."""
    return item.size * (GZIP_EXPANSION if _is_gz(item) else 1)


def _is_gz(item: _Pending) -> bool:
    try:
        return is_gzip(item.path)
    except OSError:
        return False


def _batch_key(item: _Pending) -> tuple[str, bool] | None:
    """Files with the same key may be read together: same batch reader, same compression."""
    if not isinstance(item.reader, BatchReader):
        return None
    return (item.reader.name, _is_gz(item))


def _batches(pending: list[_Pending]) -> list[list[_Pending]]:
    """Files that one ``read_batch`` can read together (same batch key), in file order within
    the reader's file count and ``BATCH_MAX_BYTES`` (but at least ``BATCH_MIN_FILES``); every
    other file is a batch of its own.

    Files of one key are grouped even when files of another key lie between them (GA4 days
    mostly gzipped with a plain day now and then), so that a plain day does not cut the
    gzipped days into small batches. Files are independent (one per path key), so their order
    of application does not matter.
    """
    batches: list[list[_Pending]] = []
    open_batches: dict[tuple[str, bool], list[_Pending]] = {}
    for item in pending:
        key = _batch_key(item)
        if key is None:
            batches.append([item])
            continue
        current = open_batches.get(key)
        if current is not None:
            limit = getattr(current[0].reader, "batch_max_files", 1)
            fits = len(current) < limit and (
                len(current) < BATCH_MIN_FILES
                or sum(_text_bytes(i) for i in current) + _text_bytes(item) <= BATCH_MAX_BYTES
            )
            if fits:
                current.append(item)
                continue
        current = [item]
        open_batches[key] = current
        batches.append(current)
    return batches


def _read_and_apply_batch(
    con: duckdb.DuckDBPyConnection, spec: SourceSpec, batch: list[_Pending],
    settings: IngestSettings,
) -> list[FileResult]:  # fmt: skip
    """Read the batch in one scan when its reader can, then apply its files in one transaction.

    One transaction for several files writes their rows as whole row groups straight into the
    database file instead of through the write-ahead log (DuckDB does so from ~120,000 rows on),
    which halves the writing of a GA4 day. When anything in it fails or is held, it is rolled
    back and each file is applied on its own, so that a bad file fails alone with its message
    (and when the batch read itself fails, each file is also read alone).
    """
    reader = batch[0].reader
    scope = TempScope(con)
    restore_order = _force_insertion_order(con)
    prefetched = None
    try:
        if len(batch) > 1 and isinstance(reader, BatchReader):
            try:
                prefetched = reader.read_batch(con, [item.path for item in batch], scope)
            except duckdb.Error:
                scope.drop_all()
                prefetched = None
        if prefetched is not None:
            applied = _apply_in_one_transaction(con, spec, batch, settings, prefetched)
            if applied is not None:
                return applied
        return [_read_and_apply(con, spec, item, settings, prefetched) for item in batch]
    finally:
        scope.drop_all()
        restore_order()


def _apply_in_one_transaction(
    con: duckdb.DuckDBPyConnection,
    spec: SourceSpec,
    batch: list[_Pending],
    settings: IngestSettings,
    prefetched: object,
) -> list[FileResult] | None:
    """Apply every file of the batch in one transaction; None (rolled back) when any of them
    fails or is held.

    The raw rows of all files go in with one INSERT (``_BatchRows``): DuckDB writes the rows of
    a large insert straight to the database file as compressed row groups, while many small
    inserts in one transaction are kept aside and go through the write-ahead log at commit, to
    be written a second time at the next checkpoint (at 1.7M GA4 events, 11 of 40 s of CPU).
    """
    results = []
    scopes: list[TempScope] = []  # dropped after the transaction (a rollback would undo drops)
    rows = _BatchRows(qualified(RAW_SCHEMA, spec.raw_table))
    con.begin()
    try:
        for item in batch:
            scope = TempScope(con)
            scopes.append(scope)
            context = ReadContext(
                item.source_file, spec.raw_table, settings, item.head, scope, prefetched
            )
            result = item.reader.read(con, item.path, context)
            result, personal = separate_pii(con, spec.raw_table, result, scope)
            results.append(
                _apply(con, spec, item.path, item.source_file, item.sha, item.size, item.reader,
                       result, item.history, item.now, settings, personal, batch_rows=rows)
            )  # fmt: skip
        rows.insert(con)
        con.commit()
    except Exception:
        _rollback(con)
        return None
    finally:
        for scope in scopes:
            scope.drop_all()
    return results


class _BatchRows:
    """The raw rows of a batch's files, inserted together by one statement at the end."""

    def __init__(self, table: str) -> None:
        self.table = table
        self.selects: list[str] = []
        self.expected = 0

    def add(self, select_sql: str, rows: int) -> None:
        self.selects.append(select_sql)
        self.expected += rows

    def insert(self, con: duckdb.DuckDBPyConnection) -> None:
        """Insert every file's rows; raise when the count differs from the files' counts."""
        if not self.selects:
            return
        union = "\nUNION ALL BY NAME\n".join(f"({sql})" for sql in self.selects)
        inserted = con.execute(f"INSERT INTO {self.table} BY NAME {union}").fetchall()[0][0]
        if inserted != self.expected:
            raise RuntimeError(
                f"{self.table}: the batch inserted {inserted} rows, its files counted "
                f"{self.expected}"
            )


def _read_and_apply(
    con: duckdb.DuckDBPyConnection,
    spec: SourceSpec,
    item: _Pending,
    settings: IngestSettings,
    prefetched: object | None = None,
) -> FileResult:
    source_file, sha, size, reader = item.source_file, item.sha, item.size, item.reader
    history, now = item.history, item.now
    scope = TempScope(con)
    restore_order = _force_insertion_order(con)
    result: ReadResult | None = None
    try:
        # Reading only creates temp objects; it runs outside the transaction because DuckDB
        # numbers the rows of a table created inside a transaction from a large offset, and the
        # row numbers of the file are derived from rowid.
        context = ReadContext(source_file, spec.raw_table, settings, item.head, scope, prefetched)
        result = reader.read(con, item.path, context)
        result, personal = separate_pii(con, spec.raw_table, result, scope)
        return _apply(
            con, spec, item.path, source_file, sha, size, reader, result, history, now, settings,
            personal,
        )  # fmt: skip
    except _Held as held:
        rows = result.rows_read if result is not None else 0
        outcome = FileResult(
            source_file, HELD, reader.name, rows_read=rows, rows_held=rows,
            message=held.message, file_sha256=sha, notes=list(result.notes) if result else [],
        )  # fmt: skip
        return _record_unapplied(con, spec.raw_table, outcome, size, history, now)
    except Exception as exc:
        if isinstance(exc, FormatError):
            message = str(exc)
        else:
            message = (
                f"{source_file}: reading it as {reader.name} failed ({type(exc).__name__}: "
                f"{exc}). Nothing was loaded. Check that the file is a complete, unedited "
                "export; if it is, report this message with the file."
            )
        outcome = FileResult(source_file, FAILED, reader.name, message=message, file_sha256=sha)
        return _record_unapplied(con, spec.raw_table, outcome, size, history, now)
    finally:
        scope.drop_all()
        restore_order()


def _unchanged(history: list[LedgerRow], source_file: str, sha: str) -> FileResult | None:
    """The report of a file whose bytes are already loaded under the same path, if they are."""
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
    return None


def _apply(
    con: duckdb.DuckDBPyConnection,
    spec: SourceSpec,
    path: Path,
    source_file: str,
    sha: str,
    size: int,
    reader: Reader,
    result: ReadResult,
    history: list[LedgerRow],
    now: datetime,
    settings: IngestSettings,
    personal: str | None = None,
    batch_rows: _BatchRows | None = None,
) -> FileResult:
    """One transaction: replace the earlier copy, insert rows and quarantine, write the ledger.

    Raises ``_Held`` (after rolling back) when the new copy would remove too many rows.
    ``batch_rows``: the caller has begun the transaction, commits or rolls back, and inserts
    the raw rows it collects there (a file with personal data is inserted at once).
    """
    shared_transaction = batch_rows is not None
    load_id = _new_load_id(now)
    if not shared_transaction:
        con.begin()
    try:
        added = _prepare_columns(con, spec, result.columns)
        replaced = [r for r in history if r.status == LOADED]
        _delete_loads(con, spec.raw_table, [r.load_id for r in replaced])
        deferred = batch_rows if personal is None else None
        loaded, quarantined = _insert_rows(
            con, spec, source_file, load_id, result, now, reader, deferred
        )
        if personal is not None:  # personal values go to pii.<table>, raw holds their hashes
            write_pii(con, spec.raw_table, personal, load_id, source_file)
        acceptance = None
        hold = _hold_message(spec, source_file, settings, replaced, loaded, quarantined)
        if hold is not None:
            acceptance = is_accepted(con, source_file, sha)
            if acceptance is None:
                raise _Held(hold)
        samples = [
            QuarantineSample(int(r[0]) if r[0] is not None else None, r[1], r[2])
            for r in con.execute(
                f"""SELECT source_row, column_name, reason FROM {quote_ident(result.quarantine)}
                ORDER BY source_row LIMIT {MAX_SAMPLES}"""
            ).fetchall()
        ]
        _supersede(con, history, load_id, now)
        message = _loaded_message(
            source_file, reader, load_id, result.rows_read, loaded, quarantined, replaced, added
        )
        if acceptance is not None:
            message += (
                f" Applied although it has fewer rows than the earlier copy: accepted by "
                f"{acceptance[1]} at {acceptance[0]:%Y-%m-%d %H:%M:%S} UTC (cjm accept)."
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
            notes="\n".join(result.notes) or None,
            loaded_at=now,
        )
        if not shared_transaction:
            con.commit()
    except Exception:
        if not shared_transaction:
            _rollback(con)
        raise
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
        notes=list(result.notes),
    )


def _delete_loads(con: duckdb.DuckDBPyConnection, raw_table: str, load_ids: list[str]) -> None:
    """Remove the raw and quarantine rows of earlier loads (a copy being replaced)."""
    if not load_ids:
        return
    marks = ", ".join("?" * len(load_ids))
    table = qualified(RAW_SCHEMA, raw_table)
    con.execute(f"DELETE FROM {table} WHERE _load_id IN ({marks})", load_ids).fetchall()
    con.execute(f"DELETE FROM {QUARANTINE} WHERE load_id IN ({marks})", load_ids).fetchall()
    delete_pii_for_loads(con, raw_table, load_ids)


def _insert_rows(
    con: duckdb.DuckDBPyConnection,
    spec: SourceSpec,
    source_file: str,
    load_id: str,
    result: ReadResult,
    now: datetime,
    reader: Reader,
    deferred: _BatchRows | None = None,
) -> tuple[int, int]:
    """Insert the reader's rows and quarantine; check that the counts reconcile.

    ``deferred``: count the rows now and leave their insert to the batch's single INSERT.
    """
    stamp = f"TIMESTAMP {sql_literal(now.isoformat(sep=' '))}"
    select = f"""SELECT {sql_literal(load_id)} AS _load_id, {sql_literal(source_file)} AS
            _source_file, {stamp} AS _loaded_at, *
        FROM {quote_ident(result.rows)}"""
    if deferred is None:
        table = qualified(RAW_SCHEMA, spec.raw_table)
        loaded = con.execute(f"INSERT INTO {table} BY NAME {select}").fetchall()[0][0]
    else:
        loaded = con.execute(f"SELECT count(*) FROM {quote_ident(result.rows)}").fetchall()[0][0]
        deferred.add(select, loaded)
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
    return loaded, quarantined


def _supersede(
    con: duckdb.DuckDBPyConnection, history: list[LedgerRow], load_id: str, now: datetime
) -> None:
    """Mark the path's current ledger rows as superseded by ``load_id``."""
    current = [r for r in history if r.status in (LOADED, *NEEDS_ACTION)]
    if not current:
        return
    ids = [r.load_id for r in current]
    con.execute(
        f"""UPDATE {LEDGER}
        SET status = ?, message = message || ?
        WHERE load_id IN ({", ".join("?" * len(ids))})""",
        [SUPERSEDED, f" Superseded by load {load_id} at {now:%Y-%m-%d %H:%M:%S} UTC.", *ids],
    ).fetchall()


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
