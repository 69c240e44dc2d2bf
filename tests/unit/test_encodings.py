"""Every CSV reader survives every encoding and dialect of real exports (FORMATS.md).

The same Salesforce and Qualtrics data is written by hand in each encoding and dialect
(Windows-1252, UTF-8 with and without byte-order mark, UTF-16LE/BE, semicolons, CRLF, LF and
both mixed, gzip); each must load to the raw values and row numbers of the UTF-8 / LF / comma
version.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
from pathlib import Path

import duckdb
import pytest

from orchestration.ingestion import ingest_raw_table
from orchestration.ingestion.readers.csv_records import DECIMAL_COMMA_PATTERN, decimal_text_sql
from orchestration.ingestion.textfile import (
    HEAD_BYTES,
    UTF16BE,
    UTF16LE,
    WINDOWS_1252,
    convert_to_utf8,
    decode_head,
    describe_content,
    read_head,
    scan_csv,
    sniff_csv,
)
from orchestration.quality import gx_suites
from tests.conftest import REPO_ROOT as REPO
from tests.conftest import make_landing

# --- the data, as records ----------------------------------------------------------------------

# Salesforce Account: every value quoted; umlauts, euro sign, German typographic quotes, a
# semicolon and a CRLF line break inside quoted values, an empty (null) value.
SALESFORCE = [
    ["Id", "Name", "BillingStreet", "Description", "Amount"],
    ["001A000001", "Müller GmbH", "Straße 5", "„Zitat“ kostet 5 €", "500000.0"],
    ["001A000002", "O'Brien; Söhne", "Kölner Str. 1", "Zeile eins\r\nZeile zwei", ""],
    ["001A000003", "Café Zürich", "Gaß 3", "", "12.5"],
]

# Qualtrics current export: three header rows, German question text, ImportId JSON.
QUALTRICS = [
    ["StartDate", "EndDate", "Status", "Progress", "Finished", "RecordedDate", "ResponseId",
     "RecipientEmail", "ExternalReference", "UserLanguage", "Q1_NPS_GROUP", "Q1", "Q2_TEXT"],
    ["Startdatum", "Enddatum", "Antworttyp", "Fortschritt", "Beendet", "Aufgezeichnet",
     "Antwort-ID", "E-Mail", "Externe Referenz", "Sprache", "Wie wahrscheinlich? - Gruppe",
     "Wie wahrscheinlich ist es, dass Sie uns weiterempfehlen?", "Was können wir verbessern?"],
    ['{"ImportId":"startDate","timeZone":"Europe/Berlin"}', '{"ImportId":"endDate"}',
     '{"ImportId":"status"}', '{"ImportId":"progress"}', '{"ImportId":"finished"}',
     '{"ImportId":"recordedDate","timeZone":"Europe/Berlin"}', '{"ImportId":"_recordId"}',
     '{"ImportId":"recipientEmail"}', '{"ImportId":"externalDataReference"}',
     '{"ImportId":"userLanguage"}', '{"ImportId":"QID1_NPS_GROUP"}', '{"ImportId":"QID1"}',
     '{"ImportId":"QID2_TEXT"}'],
    ["2024-03-01 10:00:00", "2024-03-01 10:02:00", "0", "100", "1", "2024-03-01 10:02:01",
     "R_1", "anna@example.de", "003A000001", "DE", "3", "9",
     "Müller sagt „Zitat“: 5 € zu teuer,\r\nStraße gesperrt"],
    ["2024-03-02 11:00:00", "2024-03-02 11:05:00", "0", "100", "1", "2024-03-02 11:05:30",
     "R_2", "", "", "DE", "1", "4", "Größe passt; Öffnungszeiten"],
]  # fmt: skip


def write_csv(
    records: list[list[str]],
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    ends: str | list[str] = "\n",
    quote_all: bool = False,
    bom: bytes = b"",
    compress: bool = False,
) -> bytes:
    """The records as an export file: ``ends`` is the record end, or one per record."""
    quoting = csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
    out = io.StringIO()
    for i, record in enumerate(records):
        line = io.StringIO()
        # the writer's own terminator makes it quote values holding line breaks; cut it off
        csv.writer(line, delimiter=delimiter, quoting=quoting).writerow(record)
        text = line.getvalue().removesuffix("\r\n")
        out.write(text + (ends if isinstance(ends, str) else ends[i % len(ends)]))
    data = bom + out.getvalue().encode(encoding)
    return gzip.compress(data) if compress else data


def salesforce(**kw: object) -> bytes:
    return write_csv(SALESFORCE, quote_all=True, **kw)  # type: ignore[arg-type]


def qualtrics(**kw: object) -> bytes:
    return write_csv(QUALTRICS, **kw)  # type: ignore[arg-type]


MIXED = ["\r\n", "\n"]  # record ends alternate

VARIANTS: dict[str, dict[str, object]] = {
    "utf8_crlf": {"ends": "\r\n"},
    "utf8_bom_crlf": {"ends": "\r\n", "bom": codecs.BOM_UTF8},
    "cp1252_crlf": {"encoding": "cp1252", "ends": "\r\n"},
    "cp1252_semicolon_crlf": {"encoding": "cp1252", "ends": "\r\n", "delimiter": ";"},
    "utf16le_bom_tab": {"encoding": "utf-16-le", "bom": codecs.BOM_UTF16_LE, "delimiter": "\t"},
    "utf16be_bom_crlf": {"encoding": "utf-16-be", "bom": codecs.BOM_UTF16_BE, "ends": "\r\n"},
    "mixed_crlf_lf": {"ends": MIXED},
    "mixed_crlf_lf_cp1252": {"encoding": "cp1252", "ends": MIXED},
    "mixed_crlf_lf_utf16le": {"encoding": "utf-16", "ends": MIXED},
    "gzip": {"compress": True},
    "gzip_cp1252_mixed": {"compress": True, "encoding": "cp1252", "ends": MIXED},
}

EXPECTED_NOTES = {
    "cp1252_crlf": ["converted from Windows-1252"],
    "cp1252_semicolon_crlf": ["converted from Windows-1252"],
    "utf16le_bom_tab": ["converted from UTF-16LE"],
    "utf16be_bom_crlf": ["converted from UTF-16BE"],
    "mixed_crlf_lf": ["mixed CRLF and LF line ends"],
    "mixed_crlf_lf_cp1252": ["converted from Windows-1252", "mixed CRLF and LF line ends"],
    "mixed_crlf_lf_utf16le": ["converted from UTF-16LE", "mixed CRLF and LF line ends"],
    "gzip_cp1252_mixed": ["converted from Windows-1252", "mixed CRLF and LF line ends"],
}


def load(tmp_path: Path, name: str, raw_table: str, files: dict[str, bytes]) -> tuple:
    """Ingest ``files`` into a new warehouse; (connection, report of raw_table)."""
    con = duckdb.connect(str(tmp_path / f"{name}.duckdb"))
    landing = make_landing(tmp_path / name, files)
    return con, ingest_raw_table(con, landing, raw_table)


def raw_rows(con: duckdb.DuckDBPyConnection, table: str, skip: tuple[str, ...] = ()) -> list:
    excluded = ", ".join(("_load_id", "_source_file", "_loaded_at", *skip))
    return con.execute(
        f"SELECT * EXCLUDE ({excluded}) FROM raw.{table} ORDER BY _source_row"
    ).fetchall()


def notes_of(report) -> str:  # noqa: ANN001
    [result] = report.files
    return " ".join([result.message, *getattr(result, "notes", [])])


# --- whole loads -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def expected(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list]:
    """Raw rows of the UTF-8 / LF / comma version of each file."""
    root = tmp_path_factory.mktemp("base")
    crm, _ = load(root, "crm", "crm_accounts", {"crm/Account.csv": salesforce()})
    survey, _ = load(root, "survey", "survey_responses", {"survey/nps.csv": qualtrics()})
    return {
        "crm_accounts": raw_rows(crm, "crm_accounts"),
        "survey_responses": raw_rows(survey, "survey_responses", skip=("survey_name",)),
    }


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_salesforce_variant_loads_the_same_values_and_rows(
    tmp_path: Path, variant: str, expected: dict[str, list]
) -> None:
    suffix = ".gz" if VARIANTS[variant].get("compress") else ""
    con, report = load(
        tmp_path,
        variant,
        "crm_accounts",
        {f"crm/Account.csv{suffix}": salesforce(**VARIANTS[variant])},
    )
    [result] = report.files
    assert result.status == "loaded", result.message
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 3, 0)
    assert [r[0] for r in expected["crm_accounts"]] == [2, 3, 4]
    assert raw_rows(con, "crm_accounts") == expected["crm_accounts"]
    for note in EXPECTED_NOTES.get(variant, []):
        assert note in notes_of(report)
    if variant not in EXPECTED_NOTES:
        assert "converted" not in notes_of(report) and "mixed" not in notes_of(report)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_qualtrics_variant_loads_the_same_values_and_rows(
    tmp_path: Path, variant: str, expected: dict[str, list]
) -> None:
    suffix = ".gz" if VARIANTS[variant].get("compress") else ""
    con, report = load(
        tmp_path,
        variant,
        "survey_responses",
        {f"survey/nps.csv{suffix}": qualtrics(**VARIANTS[variant])},
    )
    [result] = report.files
    assert result.status == "loaded", result.message
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 2, 0)
    # survey_name comes from the file name (without .csv; see the report about .csv.gz)
    assert [r[0] for r in expected["survey_responses"]] == [4, 5]
    assert raw_rows(con, "survey_responses", skip=("survey_name",)) == expected["survey_responses"]
    comment = con.execute("SELECT comment FROM raw.survey_responses WHERE _source_row = 4")
    assert comment.fetchall() == [("Müller sagt „Zitat“: 5 € zu teuer,\r\nStraße gesperrt",)]
    for note in EXPECTED_NOTES.get(variant, []):
        assert note in notes_of(report)


def test_windows_1252_bytes_come_out_right(tmp_path: Path) -> None:
    data = salesforce(encoding="cp1252", ends="\r\n")
    assert b"M\xfcller" in data and b"\x84Zitat\x93 kostet 5 \x80" in data  # real cp1252 bytes
    assert b"Stra\xdfe" in data
    con, report = load(tmp_path, "cp", "crm_accounts", {"crm/Account.csv": data})
    assert con.execute(
        "SELECT name, billingstreet, description FROM raw.crm_accounts WHERE id = '001A000001'"
    ).fetchall() == [("Müller GmbH", "Straße 5", "„Zitat“ kostet 5 €")]


def test_mixed_line_ends_keep_crlf_inside_values_and_exact_rows(tmp_path: Path) -> None:
    text = (
        '"Id","Subject"\r\n'  # CRLF
        '"5001","one\r\ntwo"\n'  # LF record end, CRLF inside the value: row 2
        '"5002","three\nfour"\r\n'  # LF inside, CRLF end: row 3
        "\n"  # an empty line: row 4
        '"5003"\r\n'  # too few values: row 5
        '"5004","last"\n'  # row 6
    )
    con, report = load(tmp_path, "m", "crm_cases", {"crm/Case.csv": text.encode()})
    [result] = report.files
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 3, 1)
    assert "mixed CRLF and LF line ends" in notes_of(report)
    assert con.execute(
        "SELECT _source_row, id, subject FROM raw.crm_cases ORDER BY 1"
    ).fetchall() == [
        (2, "5001", "one\r\ntwo"),
        (3, "5002", "three\nfour"),
        (6, "5004", "last"),
    ]
    assert (
        con.execute(
            "SELECT source_row, reason FROM ops.quarantine WHERE source_file = 'crm/Case.csv'"
        ).fetchall()[0][0]
        == 5
    )


def test_undefined_windows_1252_byte_fails_the_file_with_its_line(tmp_path: Path) -> None:
    data = salesforce(encoding="cp1252", ends="\r\n") + b'"001A000004","Bad \x81 byte","","",""\r\n'
    con, report = load(tmp_path, "u", "crm_accounts", {"crm/Account.csv": data})
    [result] = report.files
    assert result.status == "failed"
    assert "crm/Account.csv" in result.message and "0x81" in result.message
    assert "Line 6" in result.message and "UTF-8" in result.message
    assert con.execute("SELECT count(*) FROM raw.crm_accounts").fetchall() == [(0,)]


def test_undefined_byte_after_the_head_is_found_over_the_whole_file(tmp_path: Path) -> None:
    filler = [[f"001B{i:06d}", "Müller", "Straße", "x" * 200, "1.0"] for i in range(6000)]
    bad = [["001C000001", "Bad \x9d", "", "", ""]]
    data = write_csv(SALESFORCE + filler, encoding="cp1252", quote_all=True)
    data += write_csv(bad, encoding="latin-1", quote_all=True)
    assert len(data) > HEAD_BYTES and b"\x9d" not in data[:HEAD_BYTES]
    _, report = load(tmp_path, "u2", "crm_accounts", {"crm/Account.csv": data})
    [result] = report.files
    assert result.status == "failed" and "0x9D" in result.message
    assert f"Line {len(SALESFORCE) + len(filler) + 2}" in result.message  # +1 for the CRLF


def test_conversion_temp_files_are_removed(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    load(tmp_path, "t", "crm_accounts", {"crm/Account.csv": salesforce(encoding="cp1252")})
    load(tmp_path, "t2", "crm_accounts", {"crm/Account.csv": salesforce(ends=MIXED)})
    assert list(scratch.iterdir()) == []


# --- decimal commas ----------------------------------------------------------------------------


GERMAN_OPPORTUNITIES = (
    '"Id";"Name";"Amount";"Probability";"ExpectedRevenue";"CloseDate"\r\n'
    '"006A000001";"Großauftrag";"500000,0";"10";"50000,0";"2024-06-30"\r\n'
    '"006A000002";"Klein";"1.234,5";"12,5";"154,3125";"2024-07-01"\r\n'
    '"006A000003";"Leer";"";"";"";"2024-07-02"\r\n'
)


def test_decimal_commas_stay_in_raw_and_are_recorded_per_file(tmp_path: Path) -> None:
    con, report = load(
        tmp_path,
        "de",
        "crm_opportunities",
        {
            "crm/Opportunity.csv": GERMAN_OPPORTUNITIES.encode("cp1252"),
        },
    )
    assert "decimal comma" in notes_of(report)
    assert con.execute(
        "SELECT amount, probability, expectedrevenue, _decimal_separator "
        "FROM raw.crm_opportunities ORDER BY _source_row"
    ).fetchall() == [
        ("500000,0", "10", "50000,0", ","),
        ("1.234,5", "12,5", "154,3125", ","),
        (None, None, None, ","),
    ]


def test_decimal_text_reads_decimal_commas_as_staging_does(tmp_path: Path) -> None:
    """decimal_text_sql (for checks in Python) and the dbt macro decimal_text share one rule."""
    macro = (REPO / "dbt_project/macros/decimal_text.sql").read_text(encoding="utf-8")
    assert DECIMAL_COMMA_PATTERN in macro
    assert gx_suites.DECIMAL_COMMA_PATTERN == DECIMAL_COMMA_PATTERN  # the GX checks' copy
    assert "replace(replace(trim({{ column }}), '.', ''), ',', '.')" in macro
    con, _ = load(
        tmp_path, "de2", "crm_opportunities", {"crm/Opportunity.csv": GERMAN_OPPORTUNITIES.encode()}
    )
    numbers = con.execute(
        f"SELECT try_cast({decimal_text_sql('amount')} AS DOUBLE), "
        f"try_cast({decimal_text_sql('probability')} AS DOUBLE) "
        "FROM raw.crm_opportunities ORDER BY _source_row"
    ).fetchall()
    assert numbers == [(500000.0, 10.0), (1234.5, 12.5), (None, None)]
    # a file with decimal points is read unchanged
    point, comma = decimal_text_sql("'1.500'", "'.'"), decimal_text_sql("'1.500'", "','")
    assert con.execute(f"SELECT {point}, {comma}").fetchall() == [("1.500", "1500")]


@pytest.mark.parametrize(
    ("amounts", "delimiter", "separator", "note"),
    [
        (["500000.0", "12.5"], ",", ".", None),  # Salesforce
        (["500000.0", "12.5"], ";", ".", None),  # semicolons alone do not mean decimal commas
        (["500000,0", "7"], ";", ",", "decimal comma"),
        (["1.500", "2.000"], ";", ",", "thousands separator"),  # German Excel, no decimals
        (["1.500", "2.000"], ",", ".", None),
        (["500000,0", "12.5"], ";", ".", "mix decimal commas and decimal points"),
        (["", "abc"], ";", ".", None),
    ],
)
def test_decimal_separator_per_file(
    tmp_path: Path, amounts: list[str], delimiter: str, separator: str, note: str | None
) -> None:
    records = [["Id", "Amount"]] + [[f"006A{i}", a] for i, a in enumerate(amounts)]
    data = write_csv(records, delimiter=delimiter, quote_all=True)
    con, report = load(tmp_path, "d", "crm_opportunities", {"crm/Opportunity.csv": data})
    separators = con.execute("SELECT DISTINCT _decimal_separator FROM raw.crm_opportunities")
    assert separators.fetchall() == [(separator,)]
    raw = con.execute("SELECT amount FROM raw.crm_opportunities ORDER BY _source_row")
    assert raw.fetchall() == [(a or None,) for a in amounts]  # as exported
    text = notes_of(report)
    if note:
        assert note in text
    else:
        assert "decimal" not in text


# --- heads and conversion ------------------------------------------------------------------------


def test_decode_head_names_each_encoding() -> None:
    text = "Id,Name\r\n1,Müller €\r\n"
    assert decode_head(text.encode("cp1252"), True) is None  # only CSV readers take cp1252
    cp = decode_head(text.encode("cp1252"), True, windows_1252=True)
    assert cp is not None and cp.encoding == WINDOWS_1252 and cp.text == text
    le = decode_head(codecs.BOM_UTF16_LE + text.encode("utf-16-le"), True)
    be = decode_head(codecs.BOM_UTF16_BE + text.encode("utf-16-be"), True)
    assert le is not None and le.encoding == UTF16LE and le.needs_conversion
    assert be is not None and be.encoding == UTF16BE and be.needs_conversion and be.text == text
    assert decode_head(codecs.BOM_UTF8 + text.encode("cp1252"), True, windows_1252=True) is None
    assert decode_head(text.encode("utf-16-le"), True, windows_1252=True) is None  # NUL bytes
    assert sniff_csv(codecs.BOM_UTF8) is None  # a file of only a byte-order mark


def test_utf16_head_cut_inside_a_character(tmp_path: Path) -> None:
    """The 1 MiB head ends between the two halves of a surrogate pair; the file still loads."""
    filler = [[f"001D{i:06d}", "x" * 100, "😀" * 3, "", "1.0"] for i in range(5000)]
    records = [list(r) for r in SALESFORCE + filler]

    def encoded() -> bytes:
        return write_csv(records, encoding="utf-16-le", bom=codecs.BOM_UTF16_LE, quote_all=True)

    emoji = "😀".encode("utf-16-le")  # two 16-bit units
    data = encoded()
    before = data.rfind(emoji, 0, HEAD_BYTES - 2)
    records[1][3] += " " * ((HEAD_BYTES - 2 - before) // 2)  # move that emoji onto the cut
    data = encoded()
    assert data[HEAD_BYTES - 2 : HEAD_BYTES + 2] == emoji
    head = read_head_of(tmp_path, data)
    assert len(head) == HEAD_BYTES
    sniffed = sniff_csv(head)
    assert sniffed is not None and sniffed.header == SALESFORCE[0]
    assert sniffed.encoding == UTF16LE and sniffed.records[1][1] == "Müller GmbH"
    for cut in (HEAD_BYTES - 1, HEAD_BYTES + 1):  # inside a 16-bit unit, too
        decoded = decode_head(data[:cut], complete=False)
        assert decoded is not None and decoded.encoding == UTF16LE
    con, report = load(tmp_path, "u16", "crm_accounts", {"crm/Account.csv": data})
    [result] = report.files
    assert result.status == "loaded", result.message
    assert (result.rows_loaded, result.rows_quarantined) == (5003, 0)
    assert con.execute(
        "SELECT count(*) FROM raw.crm_accounts WHERE billingstreet = '😀😀😀'"
    ).fetchall() == [(5000,)]


def read_head_of(tmp_path: Path, data: bytes) -> bytes:
    path = tmp_path / "head.csv"
    path.write_bytes(data)
    return read_head(path)


def test_convert_to_utf8_streams_and_keeps_quoted_line_breaks(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_bytes(('"a","b\r\nc"\r\n"d","e"\n' * 50_000).encode("cp1252"))
    target = tmp_path / "out.csv"
    convert_to_utf8(source, "cp1252", target, record_ends_to_lf=True)
    assert target.read_bytes() == b'"a","b\r\nc"\n"d","e"\n' * 50_000
    scan = scan_csv(source, "cp1252", ",", 2)
    assert scan is not None and (scan.crlf_ends, scan.lf_ends) == (50_000, 50_000)


def test_gzipped_head_and_scan(tmp_path: Path) -> None:
    path = tmp_path / "Account.csv.gz"
    path.write_bytes(salesforce(ends="\r\n", compress=True))
    head = sniff_csv(read_head(path))
    assert head is not None and head.header == SALESFORCE[0]
    scan = scan_csv(path, head.python_encoding, head.delimiter, len(head.header))
    assert scan is not None and scan.records == 4 and not scan.mixed_line_ends


def test_nul_byte_in_a_value_quarantines_that_record(tmp_path: Path) -> None:
    data = salesforce() + b'"001A000009","Nul\x00Name","","",""\n'
    con, report = load(tmp_path, "nul", "crm_accounts", {"crm/Account.csv": data})
    [result] = report.files
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 3, 1)
    [(row, reason)] = con.execute(
        "SELECT source_row, reason FROM ops.quarantine WHERE source_file = 'crm/Account.csv'"
    ).fetchall()
    assert row == 5 and "NUL character" in reason


@pytest.mark.parametrize(
    ("head", "fragment"),
    [
        (b"", "empty"),
        (codecs.BOM_UTF8, "only a byte-order mark"),
        (codecs.BOM_UTF16_LE, "only a byte-order mark"),
        ("Id,Name\r\n1,Müller €\r\n".encode("cp1252"), "'Id,Name' (Windows-1252 text"),
        ("Id,Name\r\n".encode("utf-16-le"), "NUL bytes"),
        (b"PK\x03\x04\x14\x00", "Excel workbook"),
        (b"just some notes\n", "It starts with: 'just some notes'."),
    ],
)
def test_describe_content_of_unrecognised_files(head: bytes, fragment: str) -> None:
    assert fragment in describe_content(head)
