"""The journey map page of the shared sample run: written by the job, self-contained, and
rendered offline by headless Chromium with the numbers the marts give."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration import cli
from tests import browser
from tests.integration.conftest import JobRun

pytestmark = pytest.mark.slow

MAX_BYTES = 5 * 1024 * 1024
# References that would make the browser fetch something: external scripts, style sheets,
# fonts, images or imports. (Strings such as SVG namespace URIs inside the inlined Vega code
# are not fetched and are not matched.)
EXTERNAL_REFERENCE = re.compile(
    r"<script[^>]*\ssrc\s*=|<link[^>]*\shref\s*=\s*[\"']?https?:|@import|"
    r"url\(\s*[\"']?(https?:)?//|<img[^>]*\ssrc\s*=\s*[\"']?https?:",
    re.IGNORECASE,
)
CI_TEXT = re.compile(r"95% (-?[\d.]+) to (-?[\d.]+) · n = ([\d,]+)")


def _page(run: JobRun) -> Path:
    return run.warehouse.parent / "reports" / "journey_map.html"


def _embedded_data(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="cjm-data">(.*?)</script>', html, re.S)
    assert match, "the page embeds no marts extract"
    return json.loads(match.group(1))


def _touchpoint_nps(run: JobRun, where: str = "period_grain = 'all'") -> dict[str, tuple]:
    rows = run.query(
        "select scope_id, nps, nps_ci_low, nps_ci_high, responses from marts.agg_nps"
        f" where scope_type = 'touchpoint' and {where}",
        published=True,
    )
    return {tp: (nps, low, high, n) for tp, nps, low, high, n in rows}


def _cards(dom: str) -> dict[str, str]:
    """Touchpoint id -> the HTML of its card."""
    cards = re.findall(r'<article class="card[^"]*" data-touchpoint="([^"]+)">(.*?)</article>', dom)
    return dict(cards)


def _card_nps(card: str) -> tuple[float, float, float, int] | None:
    value = re.search(r'data-nps="(-?[\d.]+)"', card)
    if value is None:
        return None
    low, high, n = CI_TEXT.search(card).groups()
    return float(value.group(1)), float(low), float(high), int(n.replace(",", ""))


def _assert_cards_match(cards: dict[str, str], expected: dict[str, tuple]) -> None:
    for tp, (nps, low, high, n) in expected.items():
        shown = _card_nps(cards[tp])
        assert shown is not None, f"card {tp} shows no NPS although the marts have {n} answers"
        assert shown[3] == n, tp
        for got, want in zip(shown[:3], (nps, low, high), strict=True):
            assert got == pytest.approx(want, abs=0.051), (tp, shown, (nps, low, high))


def _chromium_or_fail() -> None:
    if browser.chromium_binary() is None:
        pytest.fail("chromium is not installed: apt-get install -y chromium (`make test` does)")


def test_every_run_writes_the_page_and_links_it(sample_run):
    metadata = sample_run.materialized["bi/journey_report"]
    page = _page(sample_run)
    assert metadata["path"] == str(page)
    assert metadata["url"] == page.as_uri()
    assert page.is_file()
    assert 0 < page.stat().st_size < MAX_BYTES


def test_page_is_self_contained_and_holds_the_journey_map(sample_run):
    html = _page(sample_run).read_text(encoding="utf-8")
    assert EXTERNAL_REFERENCE.search(html) is None
    assert "vegaEmbed" in html  # the chart library is inlined
    data = _embedded_data(html)
    assert data["missing"] == {}
    phases = sample_run.query("select phase_id, phase_name from marts.dim_phases", published=True)
    touchpoints = sample_run.query(
        "select touchpoint_id, touchpoint_name from marts.dim_touchpoints", published=True
    )
    assert {p["id"] for p in data["phases"]} == {p for p, _ in phases}
    assert {t["id"] for t in data["touchpoints"]} == {t for t, _ in touchpoints}
    for _, name in [*phases, *touchpoints]:
        assert json.dumps(name)[1:-1] in html
    expected = _touchpoint_nps(sample_run)
    assert expected, "the sample has touchpoint NPS"
    for tp, (nps, low, high, n) in expected.items():
        shown = data["nps_all_time"][tp]
        assert (shown["n"], shown["nps"]) == (n, pytest.approx(nps, abs=1e-3))
        assert shown["low"] == pytest.approx(low, abs=1e-3)
        assert shown["high"] == pytest.approx(high, abs=1e-3)


def test_chromium_without_network_renders_charts_and_cards(sample_run, tmp_path):
    _chromium_or_fail()
    dom = browser.dump_dom(_page(sample_run))
    assert 'data-rendered="true"' in dom
    assert 'class="chart-error"' not in dom
    cards = _cards(dom)
    touchpoints = sample_run.query(
        "select touchpoint_id from marts.dim_touchpoints", published=True
    )
    assert set(cards) == {t for (t,) in touchpoints}
    expected = _touchpoint_nps(sample_run)
    _assert_cards_match(cards, expected)
    # Vega drew a sparkline in every card with answers, and the funnel
    sparklines = [card for card in cards.values() if '<div class="spark' in card]
    assert len(sparklines) == len(expected)
    assert all("<svg" in card for card in sparklines)
    assert re.search(r'class="funnel-chart[^>]*><svg', dom)
    # the emotion lane under the phases, with the dips agg_emotion_curve flags (all time)
    assert re.search(r'class="emotion-chart[^>]*><svg', dom)
    dips = sample_run.query(
        "select metric || ':' || touchpoint_id from marts.agg_emotion_curve"
        " where period_grain = 'all' and is_dip order by journey_id, metric, curve_position",
        published=True,
    )
    assert f'data-dips="{" ".join(d for (d,) in dips)}"' in dom
    for phase, entered in sample_run.query(
        "select phase_id, customers_entered from marts.agg_phase_funnel", published=True
    ):
        assert re.search(rf'<tr data-phase="{phase}"><td>[^<]+</td><td>{entered:,}</td>', dom)
    never_rated = set(cards) - set(expected)
    assert all("no survey rates this touchpoint" in cards[t] for t in never_rated)
    assert dom.count('class="comment"') > 0

    png = browser.screenshot(_page(sample_run), tmp_path / "journey_map.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 50_000


def test_picked_month_gives_the_marts_monthly_nps(sample_run):
    """The page's NPS and adjusted-Wald interval for a whole month equal agg_nps's month row."""
    _chromium_or_fail()
    month = sample_run.scalar(
        "select max(period_start) from marts.agg_nps where period_grain = 'month'",
        published=True,
    )
    end = sample_run.scalar("select cast(last_day(?) as varchar)", [month], published=True)
    dom = browser.dump_dom(_page(sample_run), fragment=f"from={month}&to={end}")
    expected = _touchpoint_nps(
        sample_run, f"period_grain = 'month' and period_start = date '{month}'"
    )
    cards = _cards(dom)
    _assert_cards_match(cards, expected)
    rated_before = set(_touchpoint_nps(sample_run)) - set(expected)
    assert all("no responses in this range" in cards[t] for t in rated_before)


def test_picked_persona_recounts_the_answers(sample_run):
    _chromium_or_fail()
    persona, *_ = sample_run.query(
        "select persona_id from marts.fct_survey_responses where persona_id is not null"
        " group by all order by count(*) desc limit 1",
        published=True,
    )[0]
    rows = sample_run.query(
        "select touchpoint_id, count(*), 100.0 * (count(*) filter (where nps_category ="
        " 'promoter') - count(*) filter (where nps_category = 'detractor')) / count(*)"
        " from marts.fct_survey_responses where is_valid_response and nps_category is not null"
        " and touchpoint_id is not null and persona_id = ? group by all",
        [persona],
        published=True,
    )
    cards = _cards(browser.dump_dom(_page(sample_run), fragment=f"persona={persona}"))
    for tp, n, nps in rows:
        shown = _card_nps(cards[tp])
        assert shown is not None and shown[3] == n
        assert shown[0] == pytest.approx(nps, abs=0.051)


def test_cjm_report_writes_the_page_and_prints_its_path(sample_run, tmp_path, capsys):
    output = tmp_path / "page" / "map.html"
    code = cli.main(["report", "--published", str(sample_run.published), "--output", str(output)])
    assert code == cli.EXIT_OK
    assert capsys.readouterr().out.strip() == str(output)
    assert _embedded_data(output.read_text(encoding="utf-8"))["missing"] == {}

    code = cli.main(["report", "--published", str(tmp_path / "none.duckdb")])
    assert code == cli.EXIT_USAGE
    assert "no published marts" in capsys.readouterr().err


def test_missing_marts_leave_their_section_out(sample_run, tmp_path, capsys):
    published = tmp_path / "older_marts.duckdb"
    shutil.copy(sample_run.published, published)
    with duckdb.connect(str(published)) as con:
        for mart in ("agg_phase_funnel", "fct_survey_comments", "fct_survey_responses"):
            con.execute(f"drop table marts.{mart}")
    output = tmp_path / "map.html"
    code = cli.main(["report", "--published", str(published), "--output", str(output)])
    assert code == cli.EXIT_OK
    data = _embedded_data(output.read_text(encoding="utf-8"))
    assert data["missing"] == {
        "nps_counts": ["fct_survey_responses"],
        "funnel": ["agg_phase_funnel"],
        "comments": ["fct_survey_comments"],
    }
    assert "touchpoints" in data and "kpis" in data
    assert "funnel left out" in capsys.readouterr().err
    _chromium_or_fail()
    dom = browser.dump_dom(output)
    assert 'data-rendered="true"' in dom
    cards = _cards(dom)
    assert len(cards) == len(data["touchpoints"])
    assert all("(fct_survey_responses)" in card for card in cards.values())
    assert "Not in the published marts yet (agg_phase_funnel)" in dom
    assert "Not in the published marts yet (fct_survey_comments)" in dom


def test_every_chart_of_the_page_is_valid_vega_lite(sample_run: JobRun):
    """The page builds its chart specs without Altair's validation (it costs every run); the
    specs of the sample page must pass the Vega-Lite schema."""
    from altair.vegalite.v6.schema.core import Root

    from orchestration.report.builder import chart_specs
    from orchestration.report.data import read_report_data

    specs = chart_specs(read_report_data(sample_run.published))
    charts = [specs["sparkline"], *specs["funnels"].values(), *specs["emotion"].values()]
    assert len(charts) >= 3
    for spec in charts:
        Root.validate(spec)
