"""Byte- and text-level facts about an export file, found without loading it.

Hashing, the first bytes (decompressed for gzip), the text encoding and, for CSV files, the
delimiter and the first few records. Only the head of a file is parsed in Python; rows are
loaded by DuckDB. Files DuckDB cannot read as they are (Windows-1252, UTF-16, mixed CRLF and
LF record ends) are converted to a UTF-8 copy by ``convert_to_utf8``, streamed, never whole in
memory.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

HEAD_BYTES = 1 << 20  # enough for three Qualtrics header rows of a survey with ~1,000 columns
_CHUNK = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"


def file_digest(path: Path) -> tuple[str, int]:
    """sha256 (hex) and size in bytes of the file as delivered."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def is_gzip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == _GZIP_MAGIC


def read_head(path: Path, limit: int = HEAD_BYTES) -> bytes:
    """The first ``limit`` bytes of the file's content (decompressed when it is gzipped).

    A head shorter than ``limit`` is the whole content.
    """
    with path.open("rb") as handle:
        raw = handle.read(limit)
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    out = bytearray()
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    with path.open("rb") as handle:
        while len(out) < limit and (chunk := handle.read(64 * 1024)):
            try:
                out += inflater.decompress(chunk, limit - len(out))
            except zlib.error:
                break
            if inflater.eof:
                break
    return bytes(out[:limit])


def head_is_complete(head: bytes) -> bool:
    """True when ``head`` (from read_head with the default limit) holds the whole content."""
    return len(head) < HEAD_BYTES


# Encodings as named in messages and notes.
UTF8 = "UTF-8"
UTF8_BOM = "UTF-8 with byte-order mark"
UTF16LE = "UTF-16LE"
UTF16BE = "UTF-16BE"
WINDOWS_1252 = "Windows-1252"

# Encodings DuckDB's read_csv reads as they are; the others are converted to UTF-8 first.
# DuckDB 2.0's 'utf-16' is no option: it reads little-endian only (a UTF-16BE file loads as one
# broken column) and fails the whole file ("File is not utf-16 encoded") on any character
# outside the Basic Multilingual Plane (an emoji in a comment).
_DUCKDB_ENCODING = {UTF8: "utf-8", UTF8_BOM: "utf-8"}

# Bytes Windows-1252 leaves undefined. A file holding one is neither UTF-8 nor Windows-1252.
CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")


@dataclass(frozen=True)
class TextHead:
    """Decoded head of a text file."""

    text: str
    duckdb_encoding: str  # value for read_csv(encoding=...) once the file is readable by DuckDB
    python_encoding: str  # codec that reads the whole file in Python (BOM removed)
    encoding: str = UTF8  # the file's encoding for people: UTF8, UTF8_BOM, ... WINDOWS_1252

    @property
    def needs_conversion(self) -> bool:
        """True when DuckDB cannot read the file as it is (see ``convert_to_utf8``)."""
        return self.encoding not in _DUCKDB_ENCODING


def _is_binary(head: bytes) -> bool:
    """NUL bytes in more than 1 of 64 bytes: not text in an 8-bit encoding or UTF-8 (UTF-16
    without a byte-order mark, a spreadsheet or archive renamed to .csv). A NUL here and there
    is left to the readers, which quarantine the records holding one."""
    return head.count(0) * 64 > len(head)


def decode_head(head: bytes, complete: bool, windows_1252: bool = False) -> TextHead | None:
    """Decode a head as UTF-16 (with byte-order mark) or UTF-8 (with or without one).

    With ``windows_1252`` (CSV readers), a head that is not UTF-8 is taken as Windows-1252; the
    whole file is checked when it is converted (``convert_to_utf8``), which refuses bytes
    Windows-1252 leaves undefined. Returns None for other content (binary files, NUL bytes).
    """
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        usable = head if complete else head[: len(head) - (len(head) % 2)]
        try:
            text = usable.decode("utf-16", errors="strict" if complete else "ignore")
        except UnicodeDecodeError:
            return None
        big_endian = head.startswith(codecs.BOM_UTF16_BE)
        # DuckDB reads a UTF-8 copy (see _DUCKDB_ENCODING)
        return TextHead(text, "utf-8", "utf-16", UTF16BE if big_endian else UTF16LE)
    if _is_binary(head):
        return None
    has_bom = head.startswith(codecs.BOM_UTF8)
    encoding = UTF8_BOM if has_bom else UTF8
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        # A head cut in the middle of a multi-byte character is still UTF-8.
        if not complete and err.start >= len(head) - 3:
            try:
                text = head[: err.start].decode("utf-8-sig")
            except UnicodeDecodeError:
                pass
            else:
                return TextHead(text, "utf-8", "utf-8-sig", encoding)
        if not windows_1252 or has_bom:
            return None
        # Undefined bytes are replaced here so that the reader still recognises its format;
        # convert_to_utf8 then fails the file with the line of the first one.
        text = head.decode("cp1252", errors="replace")
        return TextHead(text, "utf-8", "cp1252", WINDOWS_1252)
    return TextHead(text, "utf-8", "utf-8-sig", encoding)


@dataclass(frozen=True)
class CsvHead:
    """What the head of a CSV file says: encoding, delimiter and its first complete records.

    ``duckdb_encoding`` is the encoding of the file DuckDB reads: the file itself, or its UTF-8
    copy when ``needs_conversion`` (Windows-1252, UTF-16). ``encoding`` names the file's own.
    """

    duckdb_encoding: str
    python_encoding: str
    delimiter: str
    records: list[list[str]]
    encoding: str = UTF8

    @property
    def header(self) -> list[str]:
        return self.records[0] if self.records else []

    @property
    def needs_conversion(self) -> bool:
        return self.encoding not in _DUCKDB_ENCODING


_DELIMITERS = (",", ";", "\t")


def sniff_csv(head: bytes, max_records: int = 4) -> CsvHead | None:
    """Parse the first records of a CSV head; None when it is not decodable text.

    The delimiter is the candidate (comma, semicolon, tab) that splits the first record into the
    most fields; ties go to the comma. Only records that end inside the head are returned.
    """
    complete = head_is_complete(head)
    decoded = decode_head(head, complete, windows_1252=True)
    if decoded is None or not decoded.text.strip():
        return None
    text = decoded.text

    def first_record(delimiter: str) -> list[str]:
        try:
            return next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
        except csv.Error:
            return []

    delimiter = max(_DELIMITERS, key=lambda d: (len(first_record(d)), d == ","))
    records: list[list[str]] = []
    stream = io.StringIO(text, newline="")
    reader = csv.reader(stream, delimiter=delimiter)
    try:
        for record in reader:
            records.append(record)
            if len(records) > max_records:
                break
    except csv.Error:
        return None
    if len(records) > max_records:
        records = records[:max_records]
    elif not complete and records:
        records = records[:-1]  # the last record may be cut off by the end of the head
    return CsvHead(
        decoded.duckdb_encoding, decoded.python_encoding, delimiter, records, decoded.encoding
    )


@dataclass(frozen=True)
class CsvScan:
    """Record-level facts of a whole CSV file, counted by Python's csv module."""

    records: int  # records including header rows and empty lines
    empty: list[int]  # numbers of empty records (lines)
    wrong_width: list[tuple[int, int, str]]  # (number, values, text) of records of other width
    crlf_ends: int = 0  # records ending in CRLF
    lf_ends: int = 0  # records ending in a bare LF
    nul: list[int] | None = None  # numbers of records holding a NUL character

    @property
    def mixed_line_ends(self) -> bool:
        return self.crlf_ends > 0 and self.lf_ends > 0


def open_content(path: Path) -> IO[bytes]:
    """The file's content as a binary stream, decompressed when it is gzipped."""
    return gzip.open(path, "rb") if is_gzip(path) else path.open("rb")


class EncodingError(ValueError):
    """The file's content cannot be read as text: a byte its encoding does not define, or a
    damaged gzip stream. The message says where and what to do."""


def scan_csv(path: Path, python_encoding: str, delimiter: str, width: int) -> CsvScan | None:
    """Count the values of every record of a CSV file, without keeping the rows.

    DuckDB's CSV reader is the loader, but it skips empty lines (while counting them in its
    rejects' line numbers) and silently drops empty values beyond the header's width (``a,b,,``
    loads as ``a,b`` for two columns), which would shift the values of a record with an unquoted
    delimiter. This pass finds both so that row numbers stay exact and such records are
    quarantined. It also counts how records end (CRLF or LF: DuckDB cannot read a file that
    mixes both) and finds records holding a NUL character. Gzipped files are read decompressed.
    Returns None when Python cannot parse the file (for example a value longer than the csv
    module's field limit); raises EncodingError when a gzipped file is cut short or damaged.
    """
    empty: list[int] = []
    wrong: list[tuple[int, int, str]] = []
    nul: list[int] = []
    number = crlf = lf = 0
    last = [""]
    has_nul = [False]

    def lines(handle: IO[str]) -> Iterator[str]:
        for line in handle:
            last[0] = line
            if "\x00" in line:
                has_nul[0] = True
            yield line

    try:
        opener = gzip.open if is_gzip(path) else open
        with opener(path, "rt", encoding=python_encoding, errors="replace", newline="") as text:
            for record in csv.reader(lines(text), delimiter=delimiter):
                number += 1
                ending = last[0]
                if ending.endswith("\r\n"):
                    crlf += 1
                elif ending.endswith("\n"):
                    lf += 1
                if has_nul[0]:
                    nul.append(number)
                    has_nul[0] = False
                if not record:
                    empty.append(number)
                elif len(record) != width:
                    out = io.StringIO()
                    csv.writer(out, delimiter=delimiter, lineterminator="").writerow(record)
                    wrong.append((number, len(record), out.getvalue()))
    except csv.Error:
        return None
    except (OSError, EOFError, zlib.error) as err:
        if is_gzip(path):
            raise EncodingError(_damaged_gzip_message(err, number)) from err
        raise
    return CsvScan(number, empty, wrong, crlf, lf, nul)


def _damaged_gzip_message(err: Exception, records: int) -> str:
    return (
        f"The gzip file is cut short or damaged after record {records} ({err}); nothing was "
        "loaded. Deliver the complete file again (compress it again from the export)."
    )


def _undefined_cp1252_message(byte: int, line: int) -> str:
    return (
        f"Line {line} holds the byte 0x{byte:02X}, which is not a character in Windows-1252, "
        "and the file is not valid UTF-8 either, so its text encoding is unknown (another code "
        "page such as Windows-1250 or Mac Roman, or a damaged file). Nothing was loaded, "
        "because guessing would change values. Export the file again as UTF-8 (Excel: Save "
        "as 'CSV UTF-8'; Salesforce Data Loader: Settings > 'Write all CSVs with UTF-8 "
        "encoding'), then deliver it again."
    )


class _RecordEnds:
    """Rewrites CRLF record ends outside quoted values to LF, chunk by chunk.

    A line break inside a quoted value is part of the value and stays as it is. Quotes are
    counted as the CSV standard has them (a doubled quote inside a value toggles twice).
    """

    def __init__(self) -> None:
        self._inside = False
        self._pending = ""

    def feed(self, text: str, final: bool = False) -> str:
        text = self._pending + text
        self._pending = ""
        if not final and text.endswith("\r"):
            text, self._pending = text[:-1], "\r"
        parts = text.split('"')
        first = 1 if self._inside else 0
        parts[first::2] = [p.replace("\r\n", "\n") for p in parts[first::2]]
        if len(parts) % 2 == 0:
            self._inside = not self._inside
        return '"'.join(parts)


def convert_to_utf8(
    path: Path, python_encoding: str, target: Path, record_ends_to_lf: bool = False
) -> None:
    """Write the file's content (decompressed) as UTF-8 without byte-order mark to ``target``.

    Streams in chunks. Decoding is strict: a byte the encoding does not define raises
    EncodingError naming the line (for Windows-1252: 0x81, 0x8D, 0x8F, 0x90, 0x9D). With
    ``record_ends_to_lf`` CRLF record ends outside quoted values become LF, so that a file mixing
    both reads as one dialect; values and record numbers stay the same.
    """
    decoder = codecs.getincrementaldecoder(python_encoding)(errors="strict")
    ends = _RecordEnds() if record_ends_to_lf else None
    lines_before = 0
    with open_content(path) as source, target.open("w", encoding="utf-8", newline="") as out:
        while True:
            try:
                chunk = source.read(_CHUNK)
            except (OSError, EOFError, zlib.error) as err:
                raise EncodingError(_damaged_gzip_message(err, lines_before)) from err
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as err:
                if python_encoding != "cp1252":
                    raise EncodingError(
                        f"The text is not valid {python_encoding} after line {lines_before} "
                        f"({err.reason}). Export the file again as UTF-8, then deliver it "
                        "again."
                    ) from err
                bad = chunk[err.start]
                line = lines_before + chunk[: err.start].count(b"\n") + 1
                raise EncodingError(_undefined_cp1252_message(bad, line)) from err
            lines_before += text.count("\n")
            out.write(ends.feed(text, final=not chunk) if ends else text)
            if not chunk:
                break


def preview(head: bytes, limit: int = 80) -> str:
    """The start of the content as text, for messages about files no reader recognises."""
    decoded = decode_head(head[: limit * 4], complete=False, windows_1252=True)
    if decoded is not None:
        text = decoded.text
    else:
        text = head[: limit * 4].decode("utf-8", errors="replace")
    text = text.lstrip("\ufeff")
    first_line = text.splitlines()[0] if text.strip() else ""
    return first_line[:limit] + ("..." if len(first_line) > limit else "")


_ZIP_MAGIC = b"PK\x03\x04"


def describe_content(head: bytes) -> str:
    """One sentence on what a file no reader recognised holds, with what to do when its text
    cannot be read at all (for the 'no reader recognised this file' message)."""
    if not head.strip():
        return "The file is empty."
    if head.startswith(_ZIP_MAGIC):
        return (
            "The file is a zip archive, for example an Excel workbook (.xlsx) renamed to .csv; "
            "save it from Excel as 'CSV UTF-8' instead."
        )
    decoded = decode_head(head, head_is_complete(head), windows_1252=True)
    if decoded is None:
        return (
            "The file is not text: it holds NUL bytes (UTF-16 without a byte-order mark, or a "
            "binary file). Export it as UTF-8 (or UTF-16 with a byte-order mark)."
        )
    if not decoded.text.strip():
        return "The file holds only a byte-order mark and no records (an empty export)."
    start = f"It starts with: {preview(head)!r}"
    if decoded.encoding == WINDOWS_1252:
        return f"{start} (Windows-1252 text; CSV exports in it are converted to UTF-8)."
    return f"{start}."
