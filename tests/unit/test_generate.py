"""The synthetic export generator: determinism, real-format quirks, and truth.json consistency."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from orchestration.benchmark import plain_duckdb_journey_metrics
from orchestration.generate import generate_exports
from orchestration.generate.clock import date_to_us
from orchestration.generate.taxonomy import (
    PHASES,
    TOUCHPOINT_PHASE,
    match_rule,
    match_touchpoint,
    page_path,
    phase_of,
    touchpoint_version,
)
from orchestration.generate.truth import quantile_cont

REPO = Path(__file__).resolve().parents[2]
SMALL = {"customers": 300, "days": 21, "seed": 8, "start_date": dt.date(2026, 10, 10)}
QUALTRICS_META = [
    "StartDate",
    "EndDate",
    "Status",
    "IPAddress",
    "Progress",
    "Duration (in seconds)",
    "Finished",
    "RecordedDate",
    "ResponseId",
    "RecipientLastName",
    "RecipientFirstName",
    "RecipientEmail",
    "ExternalReference",
    "LocationLatitude",
    "LocationLongitude",
    "DistributionChannel",
    "UserLanguage",
]
SALESFORCE_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("landing")
    truth = generate_exports(out, **SMALL)
    return out, truth


def _digests(folder: Path, *, inflate: bool = False) -> dict[str, str]:
    """sha256 per file; `inflate` hashes gzip members' content (another zlib build may compress
    the same content to other bytes)."""
    digests = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            if inflate and path.suffix == ".gz":
                data = gzip.decompress(data)
            digests[str(path.relative_to(folder))] = hashlib.sha256(data).hexdigest()
    return digests


def _qualtrics(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def _salesforce(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _web_lines(folder: Path) -> list[str]:
    lines: list[str] = []
    for path in sorted((folder / "web").iterdir()):
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        lines += raw.decode("utf-8").splitlines()
    return lines


# --- determinism ------------------------------------------------------------------------------


def test_same_seed_gives_same_bytes(sample: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    out, _ = sample
    generate_exports(tmp_path / "again", **SMALL)
    assert _digests(tmp_path / "again") == _digests(out)


def test_other_seed_gives_other_data(sample: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    out, _ = sample
    generate_exports(tmp_path / "other", **{**SMALL, "seed": 7})
    other = _digests(tmp_path / "other")
    assert other["crm/Contact.csv"] != _digests(out)["crm/Contact.csv"]


def test_landing_layout(sample: tuple[Path, dict[str, Any]]) -> None:
    out, _ = sample
    assert sorted(p.name for p in (out / "crm").iterdir()) == [
        "Account.csv",
        "Case.csv",
        "Contact.csv",
        "Opportunity.csv",
        "OpportunityContactRole.csv",
        "OpportunityHistory.csv",
    ]
    assert sorted(p.name for p in (out / "survey").iterdir()) == [
        "post_interaction_nps.csv",
        "support_followup.csv",
    ]
    assert (out / "truth.json").is_file()


def test_rejects_too_short_window(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="days"):
        generate_exports(tmp_path, customers=5, days=1)


def test_rerun_removes_stale_day_files(tmp_path: Path) -> None:
    generate_exports(tmp_path, customers=20, days=6, seed=1)
    generate_exports(tmp_path, customers=20, days=3, seed=1)
    days = {path.name.split(".")[0] for path in (tmp_path / "web").iterdir()}
    assert days <= {"events_20260901", "events_20260902", "events_20260903"}


# --- Qualtrics --------------------------------------------------------------------------------


def test_qualtrics_three_header_rows_with_time_zone(sample: tuple[Path, dict[str, Any]]) -> None:
    out, _ = sample
    rows = _qualtrics(out / "survey" / "post_interaction_nps.csv")
    ids, labels, imports = rows[0], rows[1], rows[2]
    assert ids[: len(QUALTRICS_META)] == QUALTRICS_META
    assert ids[len(QUALTRICS_META) :] == [
        "Q3.13_NPS_GROUP",
        "Q3.13",
        "CSAT",
        "CES",
        "Q3.14_TEXT",
        "Q3.14 - Sentiment Score",
        "touchpoint",
        "case_id",
        "opportunity_id",
    ]
    assert any("," in label and '"' in label for label in labels)  # German, commas, quotes
    assert "Startdatum" in labels
    parsed = {column: json.loads(text) for column, text in zip(ids, imports, strict=True)}
    for column in ("StartDate", "EndDate", "RecordedDate"):
        assert parsed[column]["timeZone"] == "Europe/Berlin"
    assert parsed["Q3.13"] == {"ImportId": "QID12"}
    assert parsed["CES"] == {"ImportId": "QID16"}
    raw = (out / "survey" / "post_interaction_nps.csv").read_text(encoding="utf-8")
    assert '"{""ImportId"":""startDate"",""timeZone"":""Europe/Berlin""}"' in raw


def test_support_followup_has_no_time_zone_and_no_touchpoint(
    sample: tuple[Path, dict[str, Any]],
) -> None:
    out, _ = sample
    rows = _qualtrics(out / "survey" / "support_followup.csv")
    assert "touchpoint" not in rows[0]
    assert "Q1_NPS_GROUP" in rows[0] and "Q2_TEXT" in rows[0]
    assert all("timeZone" not in json.loads(text) for text in rows[2])


def test_qualtrics_quirks_present(sample: tuple[Path, dict[str, Any]]) -> None:
    out, _ = sample
    rows = _qualtrics(out / "survey" / "post_interaction_nps.csv")
    header, data = rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[3:]]
    assert len(set(header)) == len(header)
    statuses = {row["Status"] for row in data}
    assert statuses == {"IP Address", "Survey Preview"}
    unfinished = [row for row in data if row["Finished"] == "False"]
    assert unfinished and all(int(row["Progress"]) < 100 for row in unfinished)
    comments = [row["Q3.14_TEXT"] for row in data]
    assert "" in comments
    assert any("\n" in text and "," in text for text in comments)
    references = [row["ExternalReference"] for row in data if row["Status"] == "IP Address"]
    assert {len(reference) for reference in references} == {0, 15, 18}
    assert any(
        row["ExternalReference"] == "" and row["RecipientEmail"] != row["RecipientEmail"].lower()
        for row in data
    )
    assert {row["touchpoint"] for row in data} == {
        "sales_call",
        "checkout",
        "contract_signed",
        "support_call",
        "support_email",
    }
    assert all(0 <= int(row["Q3.13"]) <= 10 for row in data if row["Q3.13"])
    assert all(1 <= int(row["CSAT"]) <= 5 for row in data if row["CSAT"])


def test_qualtrics_local_times_convert_back_unambiguously(
    sample: tuple[Path, dict[str, Any]],
) -> None:
    out, _ = sample
    zone = ZoneInfo("Europe/Berlin")
    rows = _qualtrics(out / "survey" / "post_interaction_nps.csv")
    index = rows[0].index("RecordedDate")
    for row in rows[3:]:
        local = dt.datetime.strptime(row[index], "%Y-%m-%d %H:%M:%S")
        early = local.replace(tzinfo=zone, fold=0).astimezone(dt.UTC)
        late = local.replace(tzinfo=zone, fold=1).astimezone(dt.UTC)
        assert early == late, f"{row[index]} is ambiguous in Europe/Berlin"


# --- Salesforce -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sobject", "upper", "prefix"),
    [
        ("Account", False, "001"),
        ("Contact", False, "003"),
        ("Opportunity", True, "006"),
        ("OpportunityHistory", True, "008"),
        ("Case", False, "500"),
        ("OpportunityContactRole", False, "00K"),
    ],
)
def test_salesforce_files(
    sample: tuple[Path, dict[str, Any]], sobject: str, upper: bool, prefix: str
) -> None:
    out, _ = sample
    path = out / "crm" / f"{sobject}.csv"
    text = path.read_text(encoding="utf-8")
    records = list(csv.reader(io.StringIO(text, newline="")))
    again = io.StringIO()
    csv.writer(again, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(records)
    assert again.getvalue() == text, "every value, the header and nulls are double-quoted"
    header = records[0]
    assert header[0] == ("ID" if upper else "Id")
    assert all(name == name.upper() for name in header) == upper
    ids = [record[0] for record in records[1:]]
    assert all(len(value) == 18 and value.startswith(prefix) for value in ids)
    assert len({value[:15] for value in ids}) == len(ids)
    created = header.index("CREATEDDATE" if upper else "CreatedDate")
    assert all(SALESFORCE_DATETIME.match(record[created]) for record in records[1:])


def test_salesforce_quirks(sample: tuple[Path, dict[str, Any]]) -> None:
    out, _ = sample
    accounts = _salesforce(out / "crm" / "Account.csv")
    assert any("," in row["Name"] for row in accounts)
    assert any("\n" in row["Name"] or "\n" in row["BillingStreet"] for row in accounts)
    assert any(char in row["Name"] for row in accounts for char in "äöüß")
    contacts = _salesforce(out / "crm" / "Contact.csv")
    by_email: dict[str, list[dict[str, str]]] = {}
    for row in contacts:
        by_email.setdefault(row["Email"].strip().lower(), []).append(row)
    twins = [rows for rows in by_email.values() if len(rows) > 1]
    assert twins, "some contacts are exported twice"
    assert all(len({row["Email"] for row in rows}) == 2 for rows in twins)
    history = _salesforce(out / "crm" / "OpportunityHistory.csv")
    assert {row["STAGENAME"] for row in history} >= {
        "Prospecting",
        "Proposal/Price Quote",
        "Closed Won",
        "Closed Lost",
    }
    assert all(re.fullmatch(r"\d+\.\d", row["AMOUNT"]) for row in history)
    cases = _salesforce(out / "crm" / "Case.csv")
    assert {"Phone", "Email", "Web"} <= {row["Origin"] for row in cases}
    assert {row["IsClosed"] for row in cases} == {"true", "false"}
    assert all((row["ClosedDate"] == "") == (row["IsClosed"] == "false") for row in cases)
    opportunities = _salesforce(out / "crm" / "Opportunity.csv")
    contact_ids = {row["Id"] for row in contacts}
    # an opportunity names one of the contacts, or none (B2B plants: the account's only)
    assert all(row["CONTACTID"] in contact_ids | {""} for row in opportunities)


# --- GA4 --------------------------------------------------------------------------------------


def test_ga4_files_mostly_gzipped(sample: tuple[Path, dict[str, Any]]) -> None:
    out, _ = sample
    names = sorted(path.name for path in (out / "web").iterdir())
    assert len(names) == SMALL["days"]
    assert all(re.fullmatch(r"events_\d{8}\.json(\.gz)?", name) for name in names)
    assert [name.endswith(".gz") for name in names] == [i % 15 != 0 for i in range(len(names))]
    gz = next((out / "web").glob("*.gz")).read_bytes()
    assert gz[:2] == b"\x1f\x8b"


def test_ga4_shape_and_quirks(sample: tuple[Path, dict[str, Any]]) -> None:
    out, _ = sample
    lines = _web_lines(out)
    assert len(lines) > len(set(lines)), "some lines are exact duplicates"
    events = [json.loads(line) for line in lines]
    assert any("user_id" in event and event["user_id"] is None for event in events)
    assert any("user_id" not in event for event in events)
    assert any(event.get("user_id") for event in events)
    names = {event["event_name"] for event in events}
    assert names >= {
        "session_start",
        "first_visit",
        "page_view",
        "user_engagement",
        "generate_lead",
        "purchase",
        "login",
    }
    for event in events:
        assert isinstance(event["event_timestamp"], str) and event["event_timestamp"].isdigit()
        stamp = dt.datetime.fromtimestamp(int(event["event_timestamp"]) / 1e6, dt.UTC)
        assert event["event_date"] == stamp.strftime("%Y%m%d")
        assert re.fullmatch(r"\d{9}\.\d{10}", event["user_pseudo_id"])
        params = {param["key"]: param["value"] for param in event["event_params"]}
        assert isinstance(params["ga_session_id"]["int_value"], str)
        assert params["page_location"]["string_value"].startswith("https://www.example-saas.com/")
        if event.get("user_id"):
            assert len(event["user_id"]) == 18 and event["user_id"].startswith("003")
    purchases = [event for event in events if event["event_name"] == "purchase"]
    assert all(isinstance(event["ecommerce"]["purchase_revenue"], float) for event in purchases)
    assert all(isinstance(event["items"][0]["quantity"], str) for event in purchases)
    assert any(event["traffic_source"]["name"] == "(not set)" for event in events)
    locations = {
        page_path(param["value"]["string_value"])
        for event in events
        if event["event_name"] == "page_view"
        for param in event["event_params"]
        if param["key"] == "page_location"
    }
    assert {"/", "/pricing", "/demo", "/checkout", "/checkout/complete", "/refer"} <= locations
    assert any(path.startswith(("/careers", "/legal/")) for path in locations)


def test_touchpoint_rules() -> None:
    september = date_to_us(dt.date(2026, 9, 15))

    def web(path: str, at: int = september) -> str | None:
        return match_touchpoint("web", {"event_name": "page_view", "page_path": path}, at)

    assert web("/") == "website_visit"
    assert web("/features/alerts") == "website_visit"
    assert web("/blog/nps") == "blog_article"
    assert web("/blog") is None
    assert web("/demo") is None and web("/checkout") is None and web("/careers") is None
    assert match_touchpoint("web", {"event_name": "purchase"}, september) == "checkout"
    crm = {"opportunity_stage": "Id. Decision Makers"}
    assert match_touchpoint("crm", crm, september) == "sales_call"
    assert match_touchpoint("crm", {"opportunity_stage": "Closed Lost"}, september) is None
    survey = {"survey_name": "support_followup"}
    assert match_touchpoint("survey", survey, september) == "support_portal"
    assert page_path("https://www.example-saas.com/features/?utm_source=x") == "/features"
    assert page_path("https://www.example-saas.com/?gclid=1") == "/"


def test_rule_versions_apply_by_time() -> None:
    """The seed's map edit: rule w08 counts careers pages as website visits from 2026-10-01
    (valid_from inclusive, the earlier version's valid_to exclusive, midnight UTC)."""
    edit = date_to_us(dt.date(2026, 10, 1))
    fields = {"event_name": "page_view", "page_path": "/careers"}
    assert match_touchpoint("web", fields, edit - 1) is None
    assert match_touchpoint("web", fields, edit) == "website_visit"
    home = {"event_name": "page_view", "page_path": "/"}
    before, after = match_rule("web", home, edit - 1), match_rule("web", home, edit)
    assert before is not None and after is not None
    assert (before.version, after.version) == ("w08@always", "w08@2026-10-01")


def test_touchpoint_versions_apply_by_time() -> None:
    """The seed's map edit: `community` moves from loyalty to service, owned by Customer
    Support, from 2026-10-15 (valid_from inclusive); the map now has it in service."""
    edit = date_to_us(dt.date(2026, 10, 15))
    before, after = touchpoint_version("community", edit - 1), touchpoint_version("community", edit)
    assert (before.phase_id, before.owner, before.version) == (
        "loyalty",
        "Customer Success",
        "community@always",
    )
    assert (after.phase_id, after.owner, after.version) == (
        "service",
        "Customer Support",
        "community@2026-10-15",
    )
    assert phase_of("community", edit) == TOUCHPOINT_PHASE["community"] == "service"
    assert phase_of("referral", edit) == phase_of("referral", edit - 1) == "loyalty"


def test_map_version_and_identity_truth_add_up(sample: tuple[Path, dict[str, Any]]) -> None:
    _, truth = sample
    expected = truth["expected"]
    versions = expected["map_versions"]
    occurrences = sum(expected["touchpoints"].values())
    assert sum(versions["touchpoints_by_version"].values()) == occurrences
    assert sum(versions["occurrences_by_phase"].values()) == occurrences
    identity = expected["identity"]
    by = identity["records_by_identifier"]
    assert sum(by["web"].values()) == expected["web_events_distinct"]
    assert sum(by["survey"].values()) == expected["survey_responses"]["total"]
    assert sum(by["crm"].values()) == expected["raw_rows"]["crm_contacts"]
    assert by["crm"]["crm_contact_id"] == expected["known_customers"]
    assert 0 < identity["events_before_login"] <= by["web"]["stitched_browser"]


def test_quantile_cont_interpolates_like_duckdb() -> None:
    values = [1.0, 2.0, 4.0, 10.0]
    assert quantile_cont(values, 0.5) == 3.0
    assert quantile_cont(values, 0.9) == pytest.approx(8.2)
    assert quantile_cont([5.0], 0.9) == 5.0


# --- truth.json -------------------------------------------------------------------------------


def _nps_blocks(expected: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        expected["nps_overall"],
        *expected["nps_by_touchpoint"].values(),
        *expected["nps_by_phase"].values(),
        *expected["nps_by_persona"].values(),
    ]


def test_truth_shape(sample: tuple[Path, dict[str, Any]]) -> None:
    out, truth = sample
    assert json.loads((out / "truth.json").read_text(encoding="utf-8")) == truth
    assert set(truth) == {"parameters", "planted", "expected"}
    assert truth["parameters"] == {
        "customers": 300,
        "days": 21,
        "seed": 8,
        "start_date": "2026-10-10",
    }
    assert set(truth["planted"]) == {
        "nps_by_touchpoint",
        "conversion_probability",
        "nps_offset_by_persona",
        "nps_effect_after_touchpoint",
        "ces_mean_by_touchpoint",
        "nps_shift_in_last_days",
        "churn_logit",
        "emotion_dip",
        "conversion_driver",
        "accounts",
    }
    expected = truth["expected"]
    assert set(expected) == {
        "raw_rows",
        "web_events_distinct",
        "customers",
        "known_customers",
        "anonymous_customers",
        "touchpoints",
        "touchpoints_by_rule_version",
        "map_versions",
        "identity",
        "revenue_total",
        "survey_responses",
        "nps_overall",
        "nps_by_touchpoint",
        "nps_by_phase",
        "funnel",
        "customers_by_persona",
        "nps_by_persona",
        "csat_by_touchpoint",
        "ces_by_touchpoint",
        "moments_that_matter",
        "nps_by_touchpoint_month",
        "follow_ups",
        "comments",
        "attribution",
        "churn",
        "emotion_curve",
        "conversion_drivers",
        "accounts",
    }
    assert set(expected["touchpoints"]) == set(TOUCHPOINT_PHASE)
    for block in _nps_blocks(expected):
        assert set(block) == {"responses", "promoters", "passives", "detractors", "nps"}
    assert [row["phase_id"] for row in expected["funnel"]] == list(PHASES)


def test_truth_internal_consistency(sample: tuple[Path, dict[str, Any]]) -> None:
    _, truth = sample
    expected = truth["expected"]
    for block in _nps_blocks(expected):
        assert block["promoters"] + block["passives"] + block["detractors"] == block["responses"]
        nps = 100 * (block["promoters"] - block["detractors"]) / block["responses"]
        assert block["nps"] == pytest.approx(nps, abs=1e-6)
    overall = expected["nps_overall"]["responses"]
    assert sum(b["responses"] for b in expected["nps_by_touchpoint"].values()) == overall
    assert sum(b["responses"] for b in expected["nps_by_phase"].values()) == overall
    assert expected["survey_responses"]["valid"] == overall
    assert expected["survey_responses"]["total"] > expected["survey_responses"]["valid"]
    assert expected["survey_responses"]["total"] == expected["raw_rows"]["survey_responses"]
    assert expected["customers"] == (expected["known_customers"] + expected["anonymous_customers"])
    assert expected["customers"] == SMALL["customers"]
    assert expected["raw_rows"]["web_events"] > expected["web_events_distinct"]
    funnel = expected["funnel"]
    first = funnel[0]["customers_entered"]
    for row, following in zip(funnel, funnel[1:], strict=False):
        assert following["customers_entered"] <= row["customers_entered"]
        assert row["customers_reached_next"] == following["customers_entered"]
        assert row["conversion_to_next"] == pytest.approx(
            row["customers_reached_next"] / row["customers_entered"], abs=1e-6
        )
        assert 0 < row["median_hours_to_next"] <= row["p90_hours_to_next"]
    for row in funnel:
        assert row["conversion_from_first"] == pytest.approx(
            row["customers_entered"] / first, abs=1e-6
        )
    last = funnel[-1]
    assert last["customers_reached_next"] == 0 and last["conversion_to_next"] is None
    assert last["median_hours_to_next"] is None


def test_truth_counts_match_the_files(sample: tuple[Path, dict[str, Any]]) -> None:
    out, truth = sample
    raw = truth["expected"]["raw_rows"]
    files = {
        "crm_accounts": "Account",
        "crm_contacts": "Contact",
        "crm_opportunities": "Opportunity",
        "crm_opportunity_history": "OpportunityHistory",
        "crm_cases": "Case",
        "crm_opportunity_contact_roles": "OpportunityContactRole",
    }
    for table, sobject in files.items():
        assert raw[table] == len(_salesforce(out / "crm" / f"{sobject}.csv"))
    surveys = sum(len(_qualtrics(path)) - 3 for path in (out / "survey").glob("*.csv"))
    assert raw["survey_responses"] == surveys
    lines = _web_lines(out)
    assert raw["web_events"] == len(lines)
    assert truth["expected"]["web_events_distinct"] == len(set(lines))


def test_truth_agrees_with_sql_over_the_files(sample: tuple[Path, dict[str, Any]]) -> None:
    """A second implementation of the contract's rules: the benchmark's plain-DuckDB baseline."""
    out, truth = sample
    expected = truth["expected"]
    result = plain_duckdb_journey_metrics(out)

    assert result["touchpoints"] == {tp: n for tp, n in expected["touchpoints"].items() if n}
    assert result["revenue_total"] == pytest.approx(expected["revenue_total"], abs=1e-6)
    assert result["customers"] == expected["customers"]
    for tp, figures in expected["nps_by_touchpoint"].items():
        assert result["nps_by_touchpoint"][tp]["responses"] == figures["responses"]
        assert result["nps_by_touchpoint"][tp]["nps"] == pytest.approx(figures["nps"], abs=1e-5)
    for row, want in zip(result["funnel"], expected["funnel"], strict=True):
        assert row["phase_order"] == want["phase_order"]
        assert row["customers_entered"] == want["customers_entered"]
        assert row["customers_reached_next"] == want["customers_reached_next"]
        if want["customers_reached_next"]:
            assert row["median_hours_to_next"] == pytest.approx(
                want["median_hours_to_next"], abs=1e-5
            )
            assert row["p90_hours_to_next"] == pytest.approx(want["p90_hours_to_next"], abs=1e-5)


# --- the bundled sample -----------------------------------------------------------------------


def test_bundled_sample_is_current(tmp_path: Path) -> None:
    """seeds/ holds exactly what the generator writes for the parameters in its truth.json."""
    seeds = REPO / "seeds"
    truth = json.loads((seeds / "truth.json").read_text(encoding="utf-8"))
    parameters = truth["parameters"]
    generate_exports(
        tmp_path,
        customers=parameters["customers"],
        days=parameters["days"],
        seed=parameters["seed"],
        start_date=dt.date.fromisoformat(parameters["start_date"]),
    )
    assert _digests(tmp_path, inflate=True) == _digests(seeds, inflate=True)


def test_the_generator_does_not_load_dagster() -> None:
    """`cjm generate` reads the dbt seeds (personas, service levels) but needs no orchestrator:
    importing it must not pull in Dagster or dbt (seconds of start-up)."""
    import subprocess
    import sys

    probe = (
        "import sys, orchestration.generate, orchestration.generate.personas;"
        " print(sorted(m for m in ('dagster', 'dbt') if m in sys.modules))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "[]"


def test_account_plants(sample: tuple[Path, dict[str, Any]]) -> None:
    """B2B plants: contact roles with one primary (the Opportunity's contact, when it names
    one) among contacts of the opportunity's account; opportunities with no contact at all;
    opportunities without OpportunityHistory; truth.json counts them as written."""
    out, truth = sample
    accounts = truth["expected"]["accounts"]
    opportunities = {row["ID"]: row for row in _salesforce(out / "crm" / "Opportunity.csv")}
    contacts = {row["Id"]: row for row in _salesforce(out / "crm" / "Contact.csv")}
    roles: dict[str, list[dict[str, str]]] = {}
    for row in _salesforce(out / "crm" / "OpportunityContactRole.csv"):
        roles.setdefault(row["OpportunityId"], []).append(row)
    assert roles, "some opportunities have contact roles"
    for opportunity_id, members in roles.items():
        opportunity = opportunities[opportunity_id]
        primary = [row["ContactId"] for row in members if row["IsPrimary"] == "true"]
        assert len(primary) == 1 and len(members) > 1
        assert opportunity["CONTACTID"] in ("", primary[0])
        for row in members:
            assert contacts[row["ContactId"]]["AccountId"] == opportunity["ACCOUNTID"]
    without_contact = [
        key for key, row in opportunities.items() if not row["CONTACTID"] and key not in roles
    ]
    assert len(without_contact) == accounts["opportunities_without_contact"] > 0
    assert all(opportunities[key]["ACCOUNTID"] for key in without_contact)
    with_history = {
        row["OPPORTUNITYID"] for row in _salesforce(out / "crm" / "OpportunityHistory.csv")
    }
    without_history = set(opportunities) - with_history
    assert len(without_history) == accounts["opportunities_without_history"] > 0
    assert accounts["opportunities_with_several_contact_roles"] == len(roles)
