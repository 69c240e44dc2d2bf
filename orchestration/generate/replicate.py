"""Scale a simulated landing folder by replicating it: DuckDB rewrites the identifiers, K times.

The simulation (`population.Simulator`) costs milliseconds per customer in Python; at a million
customers it would take most of an hour. Instead a base population is simulated once, and
`replicate_landing` writes K copies of every base file into the landing folder. Each copy gets
its own identifiers in every export format, by rewriting the text of each line (so the files
keep the writers' exact bytes: key order, both GA4 null styles, CSV quoting, header rows):

- Salesforce ids (`001`, `003`, `006`, `008`, `500`, `00K` objects, wherever they occur: CSV
  fields, `ExternalReference`, GA4 `user_id`): the 3 characters after the key prefix (`Dn0`)
  become a copy code of the same letter cases (upper, lower, digit), so the case-sensitivity
  checksum (the last 3 characters) stays right. User ids (`005`, record owners) are shared: the
  same sales team serves every copy.
- E-mail addresses: `.c<k>` before the `@` (the letter case and stray blanks of the base stay).
- GA4 `user_pseudo_id`: the copy number before the 9-digit random part; `ga_session_id` is only
  unique together with it, so it stays. Order ids `T-0000042` become `T-<k>0000042`.
- Qualtrics `ResponseId` (`R_` + 15 characters; also inside follow-up ids `fu_R_...`): the first
  3 characters become a copy code that no base id starts with; the other 12 are checked to be
  unique in the base, so ids stay unique across copies.

Copy 0 is the base unchanged. Timestamps are not touched, so every event stays in its export
day and every rate the simulation planted is the same in the scaled landing, while every count
is K times the base's. Per file: the header rows once, then the K copies of the body; in a GA4
day file the re-delivered duplicate lines stay at the end of the file. The identifiers are
found by regular expressions once per base line (a template with marks); each copy then only
replaces the marks. DuckDB writes the copies of a file in parts of at most ``PART_BYTES`` of
text each (so that no statement sorts all copies of a file at once), each into a named pipe that
a thread copies into the file; gzipped days are compressed by that thread in 16 MB blocks (zlib
in C, no loop per line), because DuckDB's own gzip writer is several times slower.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import re
import shutil
import string
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import duckdb

# Salesforce key prefixes whose records are copied; `005` (users) stays shared.
COPIED_SALESFORCE_PREFIXES = ("001", "003", "006", "008", "500", "00K")
BASE_POD_HEAD = "Dn0"  # the first 3 characters of the pods `Dn000`/`Dn001` (ids.SalesforceIds)
MAX_COPIES = 26 * 26 * 10 - 1
HEADER_ROWS = {"survey": 3, "crm": 1, "followups": 1}
GZIP_LEVEL = 3  # the base writer uses 6; level 3 is ~3x faster and ~1.6x larger
BLOCK = 1 << 24
RESPONSE_ID = re.compile(r"\bR_[0-9A-Za-z]{15}\b")
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase

_NO_DELIMITER = "\x1e"  # never in an export line: read and write whole lines as one column
_LINE_OPTIONS = (
    f"header = false, delim = '{_NO_DELIMITER}', quote = '', escape = '', "
    "columns = {'line': 'VARCHAR'}, auto_detect = false, strict_mode = false"
)
_WRITE_OPTIONS = f"format csv, header false, quote '', escape '', delimiter '{_NO_DELIMITER}'"


@dataclass(frozen=True)
class Copy:
    """Replacement strings of one copy (copy 0 is the base: no replacement)."""

    number: int
    salesforce_code: str  # replaces `Dn0` in copied Salesforce ids
    response_code: str  # replaces the first 3 characters of Qualtrics response ids


def salesforce_code(number: int) -> str:
    """Copy `number` (1 ...) -> 3 characters upper, lower, digit, never the base's `Dn0`."""
    if not 1 <= number <= MAX_COPIES:
        raise ValueError(f"copy number must be 1..{MAX_COPIES}, got {number}")
    index = number - 1 if number - 1 < _base_pod_index() else number
    upper, rest = divmod(index, 260)
    lower, digit = divmod(rest, 10)
    return string.ascii_uppercase[upper] + string.ascii_lowercase[lower] + str(digit)


def _base_pod_index() -> int:
    upper = string.ascii_uppercase.index(BASE_POD_HEAD[0])
    lower = string.ascii_lowercase.index(BASE_POD_HEAD[1])
    return upper * 260 + lower * 10 + int(BASE_POD_HEAD[2])


def response_codes(count: int, taken: set[str]) -> list[str]:
    """`count` 3-character base-62 codes that no base response id starts with, in order."""
    codes: list[str] = []
    for number in range(62**3):
        code = "".join(BASE62[(number // 62**power) % 62] for power in (2, 1, 0))
        if code not in taken:
            codes.append(code)
            if len(codes) == count:
                return codes
    raise ValueError(f"not enough free response-id codes for {count} copies")


def plan_copies(copies: int, response_ids: list[str]) -> list[Copy]:
    """Copy 0 (the base) and copies 1..K-1 with their codes.

    Raises if two base response ids share their last 12 characters: then rewriting the first 3
    could give two records of different copies the same id."""
    if not 1 <= copies <= MAX_COPIES + 1:
        raise ValueError(f"copies must be 1..{MAX_COPIES + 1}, got {copies}")
    tails = {response_id[5:] for response_id in response_ids}
    if len(tails) != len(set(response_ids)):
        raise ValueError("base response ids are not unique in their last 12 characters")
    codes = response_codes(copies - 1, {response_id[2:5] for response_id in response_ids})
    plan = [Copy(0, BASE_POD_HEAD, "")]
    plan += [Copy(k, salesforce_code(k), codes[k - 1]) for k in range(1, copies)]
    return plan


# Marks left in a base line where a copy's value goes (control characters never occur raw in
# the exports: JSON escapes them, the CSV writers write none).
MARKS = {"salesforce": "\x01", "email": "\x02", "number": "\x03", "response": "\x04"}


def _template(column: str) -> str:
    """SQL: `column` with a mark where each identifier takes its copy's value. Run once per
    base line; `_fill` then only needs plain `replace`, several times faster than a regex
    per copy."""
    prefixes = "|".join(COPIED_SALESFORCE_PREFIXES)
    sf, email, number, response = (f"chr({ord(mark)})" for mark in MARKS.values())
    expression = column
    for pattern, replacement in (
        (rf"(^|[^0-9A-Za-z])({prefixes}){BASE_POD_HEAD}([0-9])", rf"'\1\2' || {sf} || '\3'"),
        (r"([0-9A-Za-z_%+-])@", rf"'\1' || {email} || '@'"),
        (r'"user_pseudo_id":"([0-9]{9})\.', rf"""'"user_pseudo_id":"' || {number} || '\1.'"""),
        (r"T-([0-9]{7})([^0-9]|$)", rf"'T-' || {number} || '\1\2'"),
        (r"R_[0-9A-Za-z]{3}([0-9A-Za-z]{12})([^0-9A-Za-z]|$)", rf"'R_' || {response} || '\1\2'"),
    ):
        expression = f"regexp_replace({expression}, '{pattern}', {replacement}, 'g')"
    return expression


def _fill(column: str, template: str) -> str:
    """SQL: the text of copy `k` (table `copies`): the base text for copy 0, else the template
    with the marks replaced by the copy's codes."""
    sf, email, number, response = (f"chr({ord(mark)})" for mark in MARKS.values())
    filled = template
    for mark, value in ((sf, "sf"), (email, "'.c' || k"), (number, "k"), (response, "resp")):
        filled = f"replace({filled}, {mark}, {value})"
    return f"case when n = 0 then {column} else {filled} end"


def _check_no_marks(con: duckdb.DuckDBPyConnection, column: str, table: str, source: Path) -> None:
    marks = "".join(MARKS.values())
    found = con.execute(
        f"select count(*) from {table} where regexp_matches({column}, '[{marks}]')"
    ).fetchone()
    if found and found[0]:
        raise ValueError(f"{source} holds control characters the replication uses as marks")


def _connect(copies: list[Copy], memory_limit: str, temp_dir: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"set memory_limit = '{memory_limit}'")
    con.execute(f"set temp_directory = '{temp_dir}'")
    con.execute("create table copies (k varchar, n integer, sf varchar, resp varchar)")
    con.executemany(
        "insert into copies values (?, ?, ?, ?)",
        [(str(c.number), c.number, c.salesforce_code, c.response_code) for c in copies],
    )
    return con


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def replicate_csv(
    con: duckdb.DuckDBPyConnection, source: Path, target: Path, header_rows: int, scratch: Path
) -> None:
    """Header rows once, then the body once per copy with its identifiers rewritten."""
    text = source.read_bytes().decode("utf-8")  # keep the line ends as they are
    cut = 0
    for _ in range(header_rows):
        cut = text.index("\n", cut) + 1
    header, body = text[:cut], text[cut:]
    target.parent.mkdir(parents=True, exist_ok=True)
    if not body:
        target.write_text(header, encoding="utf-8", newline="")
        return
    # One output row per copy: the body without its last line break (COPY adds it back).
    con.execute(
        f"create or replace temp table csv_body as"
        f" select body, {_template('body')} as template from (select ? as body)",
        [body[:-1]],
    )
    _check_no_marks(con, "body", "csv_body", source)
    count = _copy_count(con)
    queries = [
        f"""select {_fill("body", "template")} as part from copies, csv_body
        where n between {first} and {last} order by n"""
        for first, last in _copy_ranges(count, _copies_per_part(len(body), count))
    ]
    _copy_parts(con, queries, target, scratch, prefix=header.encode("utf-8"))


def replicate_ga4_day(
    con: duckdb.DuckDBPyConnection, source: Path, target: Path, scratch: Path
) -> None:
    """One GA4 day file: K copies of its lines, the re-delivered duplicates of all copies last."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # A table made from read_csv keeps the file's line order in its rowids (as the ingestion's
    # line reader relies on); a window over the scan alone would not promise it.
    con.execute(
        "create or replace temp table day_lines as select line"
        f" from read_csv('{_sql_path(source)}', {_LINE_OPTIONS})"
    )
    _check_no_marks(con, "line", "day_lines", source)
    con.execute(
        f"""
        create or replace temp table day_templates as
        select
            rowid as line_number,
            line,
            {_template("line")} as template,
            row_number() over (partition by line order by rowid) > 1 as is_late
        from day_lines
        """
    )
    # The copies in parts of bounded size (a sort of every copy of a day at once held ~10 GB of
    # text at 590 copies), written one after the other; the re-delivered lines of every copy last.
    base_bytes, late = con.execute(
        "select coalesce(sum(strlen(line) + 1), 0), count(*) filter (where is_late)"
        " from day_templates"
    ).fetchone()
    count = _copy_count(con)
    queries = [
        f"""select {_fill("line", "template")} as line from day_templates, copies
        where not is_late and n between {first} and {last} order by n, line_number"""
        for first, last in _copy_ranges(count, _copies_per_part(base_bytes, count))
    ]
    if late:
        queries.append(
            f"""select {_fill("line", "template")} as line from day_templates, copies
            where is_late order by n, line_number"""
        )
    _copy_parts(con, queries, target, scratch)


# Text one COPY statement of the replication sorts at most (the copies of a base file it writes).
PART_BYTES = 256 << 20


def _copy_count(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("select count(*) from copies").fetchone()[0]


def _copies_per_part(base_bytes: int, copies: int) -> int:
    return max(1, min(copies, PART_BYTES // max(1, base_bytes)))


def _copy_ranges(copies: int, per_part: int) -> list[tuple[int, int]]:
    """Copy numbers 0..copies-1 as consecutive (first, last) ranges of ``per_part`` copies."""
    return [(first, min(first + per_part, copies) - 1) for first in range(0, copies, per_part)]


def _copy(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> None:
    con.execute(f"copy ({query}) to '{_sql_path(path)}' ({_WRITE_OPTIONS})")


def _copy_parts(
    con: duckdb.DuckDBPyConnection,
    queries: list[str],
    target: Path,
    scratch: Path,
    prefix: bytes = b"",
) -> None:
    """``prefix``, then the lines of each query in turn, into ``target`` (gzipped when its name
    ends in .gz). DuckDB writes each query as plain text into a named pipe of its own that a
    thread copies (and compresses) into the target, so the text never reaches the disk; one
    pipe per query, so that each ends where its COPY closes it."""
    if not hasattr(os, "mkfifo"):  # no named pipes (Windows): through scratch files
        with _output(target) as out:
            out.write(prefix)
            for number, query in enumerate(queries):
                plain = scratch / f"{target.name}.{number}.part"
                _copy(con, query, plain)
                with plain.open("rb") as reader:
                    shutil.copyfileobj(reader, out, BLOCK)
                plain.unlink()
        return
    pipes = [scratch / f"{target.name}.{number}.pipe" for number in range(len(queries))]
    for pipe in pipes:
        os.mkfifo(pipe)
    drained = [threading.Event() for _ in pipes]
    stopped = threading.Event()
    failure: list[BaseException] = []

    def drain() -> None:
        try:
            with _output(target) as out:
                out.write(prefix)
                for pipe, done in zip(pipes, drained, strict=True):
                    with pipe.open("rb") as reader:
                        shutil.copyfileobj(reader, out, BLOCK)
                    done.set()
                    if stopped.is_set():
                        return
        except BaseException as error:  # noqa: BLE001 - re-raised in the caller's thread
            failure.append(error)
        finally:
            for done in drained:
                done.set()

    worker = threading.Thread(target=drain)
    worker.start()
    try:
        for pipe, query, done in zip(pipes, queries, drained, strict=True):
            _copy(con, query, pipe)
            # Wait until the thread is through this pipe. A COPY of no rows may not have opened
            # it: then the thread waits in open() and is let go with an empty write end.
            while not done.wait(0.05):
                _release(pipe)
    except BaseException:
        stopped.set()
        raise
    finally:
        while worker.is_alive():  # after a failure: let the thread out of any pipe it waits on
            for pipe in pipes:
                _release(pipe)
            worker.join(0.05)
        for pipe in pipes:
            pipe.unlink()
    if failure:
        raise failure[0]


@contextlib.contextmanager
def _output(target: Path) -> Iterator[BinaryIO]:
    """The target file opened for writing; through gzip (level GZIP_LEVEL) for a .gz name."""
    with target.open("wb") as raw:
        if target.suffix != ".gz":
            yield raw
            return
        with gzip.GzipFile(
            filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=GZIP_LEVEL
        ) as out:
            yield out


def _release(pipe: Path) -> None:
    """If DuckDB failed before opening the pipe, the reader still waits: open and close it."""
    with contextlib.suppress(OSError):  # no reader left waiting
        os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))


def _response_ids(base: Path) -> list[str]:
    """Every Qualtrics response id of the base survey files (follow-ups refer to them)."""
    ids: list[str] = []
    for path in sorted((base / "survey").glob("*.csv")):
        ids += RESPONSE_ID.findall(path.read_text(encoding="utf-8"))
    return sorted(set(ids))


def _files(base: Path) -> Iterator[tuple[str, Path]]:
    for folder in HEADER_ROWS:
        for path in sorted((base / folder).glob("*.csv")):
            yield folder, path
    for path in sorted((base / "web").glob("events_*.json*")):
        yield "web", path


def replicate_landing(
    base: Path,
    out_dir: Path,
    copies: int,
    memory_limit: str = "2GB",
    threads: int = 2,
) -> None:
    """Write `copies` copies of the base landing's export files into `out_dir` (same names)."""
    plan = plan_copies(copies, _response_ids(base))
    scratch = out_dir / ".replicate-tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    con = _connect(plan, memory_limit, scratch)
    try:
        jobs = list(_files(base))

        def run(job: tuple[str, Path]) -> None:
            folder, path = job
            cursor = con.cursor()
            target = out_dir / folder / path.name
            if folder == "web":
                replicate_ga4_day(cursor, path, target, scratch)
            else:
                replicate_csv(cursor, path, target, HEADER_ROWS[folder], scratch)
            cursor.close()

        # Two files at a time: while DuckDB writes one day, zlib compresses another.
        with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
            list(pool.map(run, jobs))
    finally:
        con.close()
        shutil.rmtree(scratch, ignore_errors=True)
