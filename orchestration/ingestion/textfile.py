"""Byte- and text-level facts about an export file, found without loading it.

Hashing, the first bytes (decompressed for gzip), the text encoding and, for CSV files, the
delimiter and the first few records. Only the head of a file is parsed in Python; rows are
loaded by DuckDB.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import zlib
from dataclasses import dataclass
from pathlib import Path

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


@dataclass(frozen=True)
class TextHead:
    """Decoded head of a text file."""

    text: str
    duckdb_encoding: str  # value for read_csv(encoding=...)
    python_encoding: str  # codec that reads the whole file in Python (BOM removed)


def decode_head(head: bytes, complete: bool) -> TextHead | None:
    """Decode a head as UTF-16 (with byte-order mark) or UTF-8 (with or without one).

    Returns None for other encodings (for example Windows-1252), which no reader accepts yet.
    """
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        usable = head if complete else head[: len(head) - (len(head) % 2)]
        try:
            text = usable.decode("utf-16", errors="strict" if complete else "ignore")
        except UnicodeDecodeError:
            return None
        return TextHead(text, "utf-16", "utf-16")
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        # A head cut in the middle of a multi-byte character is still UTF-8.
        if complete or err.start < len(head) - 3:
            return None
        text = head[: err.start].decode("utf-8-sig")
    return TextHead(text, "utf-8", "utf-8-sig")


@dataclass(frozen=True)
class CsvHead:
    """What the head of a CSV file says: encoding, delimiter and its first complete records."""

    duckdb_encoding: str
    python_encoding: str
    delimiter: str
    records: list[list[str]]

    @property
    def header(self) -> list[str]:
        return self.records[0] if self.records else []


_DELIMITERS = (",", ";", "\t")


def sniff_csv(head: bytes, max_records: int = 4) -> CsvHead | None:
    """Parse the first records of a CSV head; None when it is not decodable text.

    The delimiter is the candidate (comma, semicolon, tab) that splits the first record into the
    most fields; ties go to the comma. Only records that end inside the head are returned.
    """
    complete = head_is_complete(head)
    decoded = decode_head(head, complete)
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
    return CsvHead(decoded.duckdb_encoding, decoded.python_encoding, delimiter, records)


@dataclass(frozen=True)
class CsvScan:
    """Record-level facts of a whole CSV file, counted by Python's csv module."""

    records: int  # records including header rows and empty lines
    empty: list[int]  # numbers of empty records (lines)
    wrong_width: list[tuple[int, int, str]]  # (number, values, text) of records of other width


def scan_csv(path: Path, python_encoding: str, delimiter: str, width: int) -> CsvScan | None:
    """Count the values of every record of a CSV file, without keeping the rows.

    DuckDB's CSV reader is the loader, but it skips empty lines (while counting them in its
    rejects' line numbers) and silently drops empty values beyond the header's width (``a,b,,``
    loads as ``a,b`` for two columns), which would shift the values of a record with an unquoted
    delimiter. This pass finds both so that row numbers stay exact and such records are
    quarantined. Returns None when Python cannot parse the file (for example a value longer
    than the csv module's field limit).
    """
    empty: list[int] = []
    wrong: list[tuple[int, int, str]] = []
    number = 0
    try:
        with path.open(encoding=python_encoding, newline="", errors="replace") as handle:
            for record in csv.reader(handle, delimiter=delimiter):
                number += 1
                if not record:
                    empty.append(number)
                elif len(record) != width:
                    out = io.StringIO()
                    csv.writer(out, delimiter=delimiter, lineterminator="").writerow(record)
                    wrong.append((number, len(record), out.getvalue()))
    except csv.Error:
        return None
    return CsvScan(number, empty, wrong)


def preview(head: bytes, limit: int = 80) -> str:
    """The start of the content as text, for messages about files no reader recognises."""
    text = head[: limit * 4].decode("utf-8", errors="replace").lstrip("\ufeff")
    first_line = text.splitlines()[0] if text.strip() else ""
    return first_line[:limit] + ("..." if len(first_line) > limit else "")
