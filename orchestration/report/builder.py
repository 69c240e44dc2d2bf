"""Fill the page template with the marts extract, the chart specs and the inlined scripts."""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestration.report.bundle import vega_bundle
from orchestration.report.charts import emotion_spec, funnel_spec, sparkline_spec
from orchestration.report.data import read_report_data

HERE = Path(__file__).parent

_SLOT = re.compile(r"/\*CJM:(CSS|DATA|SPECS|VEGA|APP)\*/")


@dataclass(frozen=True)
class ReportResult:
    path: Path
    size_bytes: int
    seconds: float
    touchpoints: int
    missing_sections: dict[str, list[str]]


def _inline_json(value: Any) -> str:
    """JSON that cannot end the <script> element it sits in."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def chart_specs(data: dict[str, Any]) -> dict[str, Any]:
    funnels: dict[str, Any] = {}
    for row in data.get("funnel", []):
        funnels.setdefault(row["journey_id"], []).append(row)
    lanes: dict[str, Any] = {}
    for row in data.get("emotion", []):
        lanes.setdefault(row["journey_id"], []).append(row)
    names = {tp["id"]: tp["name"] for tp in data.get("touchpoints", [])}
    return {
        "sparkline": sparkline_spec(),
        "funnels": {journey: funnel_spec(rows) for journey, rows in funnels.items()},
        "emotion": {journey: emotion_spec(rows, names) for journey, rows in lanes.items()},
    }


def render_page(data: dict[str, Any]) -> str:
    slots = {
        "CSS": (HERE / "report.css").read_text(encoding="utf-8"),
        "DATA": _inline_json(data),
        "SPECS": _inline_json(chart_specs(data)),
        "VEGA": vega_bundle(),
        "APP": (HERE / "report.js").read_text(encoding="utf-8"),
    }
    template = (HERE / "template.html").read_text(encoding="utf-8")
    # one pass: text put into a slot is never searched for slots again
    return _SLOT.sub(lambda match: slots[match.group(1)], template)


def write_report(published: Path, output: Path) -> ReportResult:
    """Build the page from the published marts file and write it to ``output`` atomically."""
    started = time.monotonic()
    data = read_report_data(published)
    page = render_page(data)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)
    return ReportResult(
        path=output,
        size_bytes=output.stat().st_size,
        seconds=time.monotonic() - started,
        touchpoints=len(data.get("touchpoints", [])),
        missing_sections=data["missing"],
    )
