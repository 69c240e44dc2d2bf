"""The generator at scale: K copies of a simulated base, with their own ids and the same rates."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orchestration.benchmark import plain_duckdb_journey_metrics
from orchestration.generate import generate_exports, replicate
from orchestration.generate.ids import salesforce_checksum
from orchestration.generate.replicate import (
    BASE_POD_HEAD,
    MAX_COPIES,
    _copy_parts,
    _copy_ranges,
    plan_copies,
    salesforce_code,
)

BASE = {"customers": 300, "days": 21, "seed": 8, "start_date": dt.date(2026, 10, 10)}
COPIES = 3
HEADER_ROWS = {"survey": 3, "crm": 1, "followups": 1}
SALESFORCE_ID = re.compile(r"^[0-9A-Za-z]{18}$")


@pytest.fixture(scope="module")
def landings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("base")
    scaled = tmp_path_factory.mktemp("scaled")
    base_truth = generate_exports(base, **BASE)
    scaled_truth = generate_exports(
        scaled, **{**BASE, "customers": 3 * BASE["customers"]}, base_customers=BASE["customers"]
    )
    return {"base": base, "scaled": scaled, "base_truth": base_truth, "truth": scaled_truth}


def _text(path: Path) -> str:
    data = path.read_bytes()
    return (gzip.decompress(data) if path.suffix == ".gz" else data).decode("utf-8")


def _records(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def _web_rows(folder: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for path in sorted((folder / "web").iterdir())
        for line in _text(path).splitlines()
    ]


def _export_files(folder: Path) -> list[str]:
    return sorted(
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file() and path.name not in ("truth.json", ".cjmignore")
    )


def test_same_files_and_k_times_the_rows(landings: dict[str, Any]) -> None:
    base, scaled = landings["base"], landings["scaled"]
    assert _export_files(scaled) == _export_files(base)
    for name in _export_files(base):
        if name.startswith("web/"):
            assert len(_text(scaled / name).splitlines()) == COPIES * len(
                _text(base / name).splitlines()
            ), name
            continue
        header = HEADER_ROWS[name.split("/")[0]]
        base_records, scaled_records = _records(base / name), _records(scaled / name)
        assert scaled_records[:header] == base_records[:header], name
        assert len(scaled_records) - header == COPIES * (len(base_records) - header), name


def test_copy_zero_is_the_base(landings: dict[str, Any]) -> None:
    """The first copy keeps the base's bytes, so ids the base truth names exist in the landing."""
    base, scaled = landings["base"], landings["scaled"]
    for name in _export_files(base):
        base_text, scaled_text = _text(base / name), _text(scaled / name)
        if name.startswith("web/"):
            late = _late_lines(base_text.splitlines())
            first = base_text.splitlines()[: len(base_text.splitlines()) - late]
            assert scaled_text.splitlines()[: len(first)] == first, name
        else:
            assert scaled_text.startswith(base_text), name


def _late_lines(lines: list[str]) -> int:
    """How many lines at the end of a day file repeat an earlier line."""
    count, seen = 0, set()
    firsts = []
    for line in lines:
        firsts.append(line not in seen)
        seen.add(line)
    while count < len(lines) and not firsts[len(lines) - 1 - count]:
        count += 1
    return count


def test_redelivered_duplicates_stay_at_the_end_of_the_day(landings: dict[str, Any]) -> None:
    base, scaled = landings["base"], landings["scaled"]
    planted = 0
    for path in sorted((base / "web").iterdir()):
        base_lines = _text(path).splitlines()
        scaled_lines = _text(scaled / "web" / path.name).splitlines()
        late = _late_lines(base_lines)
        planted += late
        assert _late_lines(scaled_lines) == COPIES * late, path.name
        duplicates = sum(n - 1 for n in Counter(scaled_lines).values())
        assert duplicates == COPIES * late, path.name
    assert planted > 0


def test_salesforce_ids_distinct_valid_and_referenced(landings: dict[str, Any]) -> None:
    base, scaled = landings["base"], landings["scaled"]
    objects = ("Account", "Contact", "Opportunity", "OpportunityHistory", "Case")
    ids: dict[str, set[str]] = {}
    for sobject in (*objects, "OpportunityContactRole"):
        rows = [
            {k.lower(): v for k, v in r.items()} for r in _rows(scaled / "crm" / f"{sobject}.csv")
        ]
        base_rows = _rows(base / "crm" / f"{sobject}.csv")
        ids[sobject] = {row["id"] for row in rows}
        assert len(ids[sobject]) == len(rows) == COPIES * len(base_rows), sobject
        for value in ids[sobject]:
            assert SALESFORCE_ID.match(value) and salesforce_checksum(value[:15]) == value[15:]
        owners = {row["ownerid"] for row in rows if row.get("ownerid")}
        base_owners = {row.get("OwnerId") or row.get("OWNERID") for row in base_rows} - {None, ""}
        assert owners == base_owners, f"{sobject}: record owners are one sales team"
    references = {
        ("Contact", "accountid"): "Account",
        ("Opportunity", "accountid"): "Account",
        ("Opportunity", "contactid"): "Contact",
        ("OpportunityHistory", "opportunityid"): "Opportunity",
        ("Case", "contactid"): "Contact",
        ("Case", "accountid"): "Account",
        ("OpportunityContactRole", "opportunityid"): "Opportunity",
        ("OpportunityContactRole", "contactid"): "Contact",
    }
    for (sobject, column), target in references.items():
        rows = [
            {k.lower(): v for k, v in r.items()} for r in _rows(scaled / "crm" / f"{sobject}.csv")
        ]
        dangling = {row[column] for row in rows if row[column]} - ids[target]
        assert dangling == set(), (sobject, column)
    contacts = [row for row in _rows(scaled / "crm" / "Contact.csv")]
    emails = [row["Email"].strip().lower() for row in contacts if row["Email"].strip()]
    base_emails = {
        row["Email"].strip().lower()
        for row in _rows(base / "crm" / "Contact.csv")
        if row["Email"].strip()
    }
    assert len(set(emails)) == COPIES * len(base_emails)


def test_survey_and_web_ids_distinct_and_referenced(landings: dict[str, Any]) -> None:
    base, scaled = landings["base"], landings["scaled"]
    contact_ids = {row["Id"] for row in _rows(scaled / "crm" / "Contact.csv")}
    response_ids: list[str] = []
    for path in sorted((scaled / "survey").glob("*.csv")):
        records = _records(path)
        columns = records[0]
        for record in records[3:]:
            row = dict(zip(columns, record, strict=True))
            response_ids.append(row["ResponseId"])
            assert re.fullmatch(r"R_[0-9A-Za-z]{15}", row["ResponseId"])
            if row["ExternalReference"]:  # 18 characters, or the 15-character form
                assert row["ExternalReference"][:15] in {i[:15] for i in contact_ids}
    base_responses = sum(len(_records(p)) - 3 for p in (base / "survey").glob("*.csv"))
    assert len(set(response_ids)) == len(response_ids) == COPIES * base_responses
    follow_ups = _rows(scaled / "followups" / "outcomes.csv")
    assert {row["Follow-up ID"].removeprefix("fu_") for row in follow_ups} <= set(response_ids)

    web, base_web = _web_rows(scaled), _web_rows(base)
    pseudo = {row["user_pseudo_id"] for row in web}
    assert len(pseudo) == COPIES * len({row["user_pseudo_id"] for row in base_web})
    assert {row["user_id"] for row in web if row.get("user_id")} <= contact_ids
    sessions = {(row["user_pseudo_id"], _param(row, "ga_session_id")) for row in web}
    base_sessions = {(row["user_pseudo_id"], _param(row, "ga_session_id")) for row in base_web}
    assert len(sessions) == COPIES * len(base_sessions)
    orders = {_param(row, "transaction_id") for row in web} - {None}
    base_orders = {_param(row, "transaction_id") for row in base_web} - {None}
    assert base_orders and len(orders) == COPIES * len(base_orders)
    # Timestamps are the base's: every event stays in its export day.
    assert Counter(row["event_timestamp"] for row in web) == Counter(
        {stamp: COPIES * n for stamp, n in Counter(r["event_timestamp"] for r in base_web).items()}
    )


def _param(row: dict[str, Any], key: str) -> str | None:
    for param in row.get("event_params") or []:
        if param["key"] == key:
            value = param["value"]
            return value.get("string_value") or value.get("int_value")
    return None


def test_truth_scales_counts_and_keeps_rates(landings: dict[str, Any]) -> None:
    base, truth = landings["base_truth"], landings["truth"]
    assert truth["parameters"]["copies"] == COPIES
    assert truth["parameters"]["base_customers"] == BASE["customers"]
    assert truth["parameters"]["customers"] == COPIES * BASE["customers"]
    assert truth["planted"] == base["planted"]
    expected, base_expected = truth["expected"], base["expected"]
    for table, count in base_expected["raw_rows"].items():
        assert expected["raw_rows"][table] == COPIES * count
    assert expected["customers"] == COPIES * base_expected["customers"]
    for tp, figures in base_expected["nps_by_touchpoint"].items():
        assert expected["nps_by_touchpoint"][tp]["responses"] == COPIES * figures["responses"]
        assert expected["nps_by_touchpoint"][tp]["nps"] == figures["nps"]
    for row, base_row in zip(expected["funnel"], base_expected["funnel"], strict=True):
        assert row["customers_entered"] == COPIES * base_row["customers_entered"]
        assert row["conversion_to_next"] == base_row["conversion_to_next"]
        assert row["median_hours_to_next"] == base_row["median_hours_to_next"]
    assert expected["churn"]["churn_rate"] == base_expected["churn"]["churn_rate"]
    assert expected["churn"]["churners"] == COPIES * base_expected["churn"]["churners"]
    assert (
        expected["attribution"]["removal_effects"]
        == base_expected["attribution"]["removal_effects"]
    )
    assert expected["revenue_total"] == pytest.approx(COPIES * base_expected["revenue_total"])
    scaling = truth["scaling"]
    assert "churn.churned_customers" in scaling["base_only"]
    assert "funnel.median_hours_to_next" in scaling["base_only"]
    assert expected["churn"]["churned_customers"] == base_expected["churn"]["churned_customers"]
    assert expected["emotion_curve"]["touchpoints"] == base_expected["emotion_curve"]["touchpoints"]
    assert set(base_expected["emotion_curve"]["nps_dips"]) <= set(
        expected["emotion_curve"]["nps_dips"]
    )


def test_planted_rates_hold_over_the_files(landings: dict[str, Any]) -> None:
    """The plain-SQL baseline over the scaled files gives K x the counts and the base's NPS."""
    base_expected, truth = landings["base_truth"]["expected"], landings["truth"]
    result = plain_duckdb_journey_metrics(landings["scaled"])
    expected = truth["expected"]
    assert result["touchpoints"] == {tp: n for tp, n in expected["touchpoints"].items() if n}
    assert result["customers"] == expected["customers"] == COPIES * base_expected["customers"]
    assert result["revenue_total"] == pytest.approx(expected["revenue_total"], abs=1e-6)
    for tp, figures in base_expected["nps_by_touchpoint"].items():
        assert result["nps_by_touchpoint"][tp]["responses"] == COPIES * figures["responses"]
        assert result["nps_by_touchpoint"][tp]["nps"] == pytest.approx(figures["nps"], abs=1e-5)
    for row, want in zip(result["funnel"], base_expected["funnel"], strict=True):
        assert row["customers_entered"] == COPIES * want["customers_entered"]
        assert row["customers_reached_next"] == COPIES * want["customers_reached_next"]


def test_same_arguments_give_the_same_bytes(landings: dict[str, Any], tmp_path: Path) -> None:
    generate_exports(
        tmp_path, **{**BASE, "customers": 3 * BASE["customers"]}, base_customers=BASE["customers"]
    )
    assert _digests(tmp_path) == _digests(landings["scaled"])


def _digests(folder: Path) -> dict[str, str]:
    return {
        name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
        for name in [*_export_files(folder), "truth.json"]
    }


def test_copy_codes() -> None:
    codes = [salesforce_code(k) for k in range(1, MAX_COPIES + 1)]
    assert len(set(codes)) == len(codes) and BASE_POD_HEAD not in codes
    assert all(re.fullmatch(r"[A-Z][a-z][0-9]", code) for code in codes)
    plan = plan_copies(4, ["R_abc123456789012", "R_xyz999999999999"])
    assert [copy.number for copy in plan] == [0, 1, 2, 3]
    response_codes = [copy.response_code for copy in plan[1:]]
    assert len(set(response_codes)) == 3 and not {"abc", "xyz"} & set(response_codes)
    with pytest.raises(ValueError, match="last 12"):
        plan_copies(2, ["R_abc123456789012", "R_xyz123456789012"])


def test_customers_round_up_to_whole_copies(tmp_path: Path) -> None:
    truth = generate_exports(tmp_path, customers=200, days=7, seed=3, base_customers=80)
    assert truth["parameters"]["copies"] == 3
    assert truth["parameters"]["base_customers"] == 67
    assert truth["parameters"]["customers"] == 201
    assert truth["parameters"]["customers_requested"] == 200


def test_a_failing_copy_into_a_gzipped_day_raises_and_leaves_no_pipe(tmp_path: Path) -> None:
    con = duckdb.connect()
    day = tmp_path / "day.json.gz"
    with pytest.raises(duckdb.Error):
        _copy_parts(con, ["select 'a'", "select * from no_such_table", "select 'c'"], day, tmp_path)
    assert list(tmp_path.glob("*.pipe")) == []


def test_parts_are_written_in_order_after_the_prefix(tmp_path: Path) -> None:
    con = duckdb.connect()
    queries = [
        "select 'a' as line union all select 'b' order by 1",
        "select 'x' as line where false",  # a part without rows
        "select 'c' as line",
    ]
    _copy_parts(con, queries, tmp_path / "ok.json.gz", tmp_path, prefix=b"head\n")
    assert gzip.decompress((tmp_path / "ok.json.gz").read_bytes()) == b"head\na\nb\nc\n"
    _copy_parts(con, queries, tmp_path / "ok.csv", tmp_path)
    assert (tmp_path / "ok.csv").read_bytes() == b"a\nb\nc\n"
    assert list(tmp_path.glob("*.pipe")) == []
    assert _copy_ranges(5, 2) == [(0, 1), (2, 3), (4, 4)]


def test_files_written_in_many_parts_equal_those_written_in_one(
    landings: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replicate, "PART_BYTES", 1)  # every copy of every file a part of its own
    replicate.replicate_landing(landings["base"], tmp_path, COPIES)
    files = _export_files(landings["scaled"])
    assert files == _export_files(tmp_path)
    for name in files:
        assert _text(tmp_path / name) == _text(landings["scaled"] / name), name
