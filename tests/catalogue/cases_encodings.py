"""Catalogue cases for encodings and dialects: Windows-1252, UTF-16BE, mixed line ends,
semicolons with decimal commas, gzip, and files that are not text in any of them."""

from __future__ import annotations

import codecs
import gzip
from pathlib import Path

import duckdb

from tests.catalogue.case import Case, Outcome, Quarantined, ledger_notes

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# Salesforce Account as Data Loader writes it by default: Windows-1252, every value quoted,
# umlauts, euro sign, German typographic quotes and a CRLF line break inside a value.
ACCOUNT_CP1252 = FIXTURES / "salesforce/Account_cp1252.csv"
ACCOUNT = ACCOUNT_CP1252.read_bytes().decode("cp1252")
ACCOUNT_VALUES = [
    (2, "001A000001", "Müller GmbH", "Straße 5", "„Zitat“ kostet 5 €"),
    (3, "001A000002", "O'Brien; Söhne", "Kölner Str. 1", "Zeile eins\r\nZeile zwei"),
]
# A Qualtrics export saved by German Excel: Windows-1252, semicolons, CRLF.
QUALTRICS_DE = FIXTURES / "qualtrics/nps_german_excel.csv"
# Salesforce opportunities saved by German Excel: semicolons and decimal commas.
GERMAN_OPPORTUNITIES = FIXTURES / "salesforce/Opportunity_german_excel.csv"

MIXED_CASES = (
    '"Id","Subject"\r\n'
    '"5001","one\r\ntwo"\n'  # LF record end, CRLF inside the value
    '"5002","three\nfour"\r\n'  # LF inside the value, CRLF record end
    '"5003"\n'  # too few values
    '"5004","last"\r\n'
)


def _accounts(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        "SELECT _source_row, id, name, billingstreet, description FROM raw.crm_accounts "
        "ORDER BY _source_row"
    ).fetchall()


def _check_cp1252_account(con: duckdb.DuckDBPyConnection) -> None:
    assert _accounts(con) == ACCOUNT_VALUES
    assert "converted from Windows-1252" in ledger_notes(con, "crm/Account.csv")


def _check_cp1252_qualtrics(con: duckdb.DuckDBPyConnection) -> None:
    assert con.execute(
        "SELECT _source_row, response_id, nps_score, comment FROM raw.survey_responses "
        "ORDER BY _source_row"
    ).fetchall() == [
        (4, "R_1", "9", "Müller sagt „Zitat“: 5 € zu teuer;\r\nStraße gesperrt"),
        (5, "R_2", "4", "Größe"),
    ]
    assert "converted from Windows-1252" in ledger_notes(con, "survey/nps_de.csv")


def _check_mixed(con: duckdb.DuckDBPyConnection) -> None:
    assert con.execute(
        "SELECT _source_row, id, subject FROM raw.crm_cases ORDER BY _source_row"
    ).fetchall() == [(2, "5001", "one\r\ntwo"), (3, "5002", "three\nfour"), (5, "5004", "last")]
    assert "mixed CRLF and LF line ends" in ledger_notes(con, "crm/Case.csv")


def _check_decimal_commas(con: duckdb.DuckDBPyConnection) -> None:
    assert con.execute(
        "SELECT amount, expectedrevenue, _decimal_separator FROM raw.crm_opportunities "
        "ORDER BY _source_row"
    ).fetchall() == [("500000,0", "50000,0", ","), ("1.234,5", "1.234,5", ",")]
    assert "decimal comma" in ledger_notes(con, "crm/Opportunity.csv")


def _check_gzip(con: duckdb.DuckDBPyConnection) -> None:
    assert _accounts(con) == ACCOUNT_VALUES
    assert con.execute(
        "SELECT _source_row, response_id FROM raw.survey_responses ORDER BY 1"
    ).fetchall() == [(4, "R_1"), (5, "R_2")]


def _check_utf16be(con: duckdb.DuckDBPyConnection) -> None:
    assert _accounts(con) == ACCOUNT_VALUES
    assert "converted from UTF-16BE" in ledger_notes(con, "crm/Account.csv")


_LONG_ACCOUNTS = '"Id","Name"\n' + "".join(f'"001A{i:06d}","Name {i}"\n' for i in range(20_000))
_GZIPPED = gzip.compress(_LONG_ACCOUNTS.encode())


CASES: list[Case] = [
    Case(
        id="enc_cp1252_salesforce",
        description="Salesforce Data Loader's default: Windows-1252 (ü, ß, €, „“ as cp1252 bytes)",
        deliveries=[{"crm/Account.csv": ACCOUNT_CP1252}],
        outcomes={"crm/Account.csv": Outcome("loaded", (2, 2, 0))},
        check=_check_cp1252_account,
    ),
    Case(
        id="enc_cp1252_semicolon_qualtrics",
        description="A Qualtrics export saved by German Excel: Windows-1252 and semicolons",
        deliveries=[{"survey/nps_de.csv": QUALTRICS_DE}],
        outcomes={"survey/nps_de.csv": Outcome("loaded", (2, 2, 0))},
        check=_check_cp1252_qualtrics,
    ),
    Case(
        id="enc_mixed_crlf_lf",
        description="Record ends mixing CRLF and LF; line breaks inside values kept as they are",
        deliveries=[{"crm/Case.csv": MIXED_CASES}],
        outcomes={"crm/Case.csv": Outcome("loaded", (4, 3, 1))},
        quarantined=[Quarantined("crm/Case.csv", 4, "Subject", "fewer values")],
        check=_check_mixed,
    ),
    Case(
        id="enc_semicolon_decimal_comma",
        description="German Excel opportunities: semicolons, 500000,0 and 1.234,5 kept in raw",
        deliveries=[{"crm/Opportunity.csv": GERMAN_OPPORTUNITIES}],
        outcomes={"crm/Opportunity.csv": Outcome("loaded", (2, 2, 0))},
        check=_check_decimal_commas,
    ),
    Case(
        id="enc_gzip_csv",
        description="Gzipped CSVs: a UTF-8 Salesforce Account and a Windows-1252 Qualtrics export",
        deliveries=[
            {
                "crm/Account.csv.gz": gzip.compress(ACCOUNT.encode()),
                "survey/nps_de.csv.gz": gzip.compress(QUALTRICS_DE.read_bytes()),
            }
        ],
        outcomes={
            "crm/Account.csv.gz": Outcome("loaded", (2, 2, 0)),
            "survey/nps_de.csv.gz": Outcome("loaded", (2, 2, 0)),
        },
        check=_check_gzip,
    ),
    Case(
        id="enc_utf16_be",
        description="UTF-16 big-endian with byte-order mark (DuckDB reads little-endian only)",
        deliveries=[{"crm/Account.csv": codecs.BOM_UTF16_BE + ACCOUNT.encode("utf-16-be")}],
        outcomes={"crm/Account.csv": Outcome("loaded", (2, 2, 0))},
        check=_check_utf16be,
    ),
    Case(
        id="enc_cp1252_undefined_byte",
        description="Byte 0x81 is neither UTF-8 nor Windows-1252: the file fails with advice",
        deliveries=[
            {"crm/Account.csv": ACCOUNT_CP1252.read_bytes() + b'"001A000003","Bad \x81","",""\r\n'}
        ],
        outcomes={
            "crm/Account.csv": Outcome(
                "failed", (0, 0, 0), ("0x81", "line 5", "Windows-1252", "export the file again")
            )
        },
    ),
    Case(
        id="enc_bom_only",
        description="A file of only a UTF-8 byte-order mark (an empty export saved by Excel)",
        deliveries=[{"survey/empty.csv": codecs.BOM_UTF8}],
        outcomes={
            "survey/empty.csv": Outcome(
                "unrecognised", (0, 0, 0), ("no reader", "only a byte-order mark")
            )
        },
    ),
    Case(
        id="enc_utf16_without_bom",
        description="NUL bytes everywhere: UTF-16LE without byte-order mark is not text we read",
        deliveries=[{"crm/Account.csv": ACCOUNT.encode("utf-16-le")}],
        outcomes={
            "crm/Account.csv": Outcome(
                "unrecognised", (0, 0, 0), ("holds NUL bytes", "byte-order mark")
            )
        },
    ),
    Case(
        id="enc_nul_in_a_value",
        description="One NUL byte inside a value: that record is quarantined, the rest loads",
        deliveries=[{"crm/Account.csv": ACCOUNT.encode() + b'"001A000003","Nul\x00","",""\r\n'}],
        outcomes={"crm/Account.csv": Outcome("loaded", (3, 2, 1))},
        quarantined=[Quarantined("crm/Account.csv", 4, None, "NUL character")],
    ),
    Case(
        id="enc_gzip_cut_short",
        description="A gzipped CSV cut off in transfer: the file fails, nothing half-loaded",
        deliveries=[{"crm/Account.csv.gz": _GZIPPED[: len(_GZIPPED) // 2]}],
        outcomes={
            "crm/Account.csv.gz": Outcome(
                "failed", (0, 0, 0), ("gzip file is cut short or damaged", "deliver the complete")
            )
        },
    ),
]
