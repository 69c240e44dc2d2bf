"""Vega-Lite specifications of the page's charts, written with Altair.

The sparkline is a template: its data is the named data set ``rows``, which the page fills with
the weekly NPS it recomputes for the picked date range and persona. The funnel is complete: its
data (agg_phase_funnel) does not change with the picker, nor does the emotion lane's
(agg_emotion_curve, all time).
"""

from __future__ import annotations

from typing import Any

import altair as alt

Json = dict[str, Any]
TEXT_COLOR = "#344054"
LINE_COLOR = "#3b5bdb"


def _spec(chart: alt.TopLevelMixin) -> Json:
    # Not validated against the Vega-Lite schema here (~0.3-0.7 s of every run, in jsonschema):
    # the specs are built from Altair's typed objects, and a test validates every spec of the
    # sample page (tests/integration/test_journey_report.py).
    spec = chart.to_dict(validate=False)
    spec.pop("$schema", None)  # a URL the page never fetches; left out to keep the page offline
    return spec


def sparkline_spec() -> Json:
    """Weekly NPS of one touchpoint: a line with a point per week, zero as a thin rule."""
    base = alt.Chart(alt.NamedData(name="rows"))
    x = alt.X("week:T", axis=None)
    y = alt.Y("nps:Q", axis=None, scale=alt.Scale(domain=[-100, 100]))
    tooltip = [
        alt.Tooltip("week:T", title="week of", format="%d %b %Y"),
        alt.Tooltip("nps:Q", title="NPS", format=".1f"),
        alt.Tooltip("n:Q", title="responses"),
    ]
    zero = base.mark_rule(color="#d0d5dd", strokeWidth=1).encode(y=alt.YDatum(0, axis=None))
    line = base.mark_line(color=LINE_COLOR, strokeWidth=1.5).encode(x=x, y=y)
    points = base.mark_point(color=LINE_COLOR, filled=True, size=18).encode(
        x=x, y=y, tooltip=tooltip
    )
    chart = (
        alt.layer(zero, line, points)
        .properties(width=190, height=38)
        .configure(padding=2, background="transparent")
        .configure_view(strokeWidth=0)
    )
    return _spec(chart)


def funnel_spec(rows: list[Json]) -> Json:
    """Customers entering each phase of one journey, with the conversion to the next phase."""
    data = alt.Data(
        values=[
            {
                "phase": row["phase_name"],
                "order": row["phase_order"],
                "entered": row["customers_entered"],
                "conversion": row["conversion_to_next"],
                "median_hours": row["median_hours_to_next"],
                "label": _funnel_label(row),
            }
            for row in rows
        ]
    )
    y = alt.Y("phase:N", sort=alt.EncodingSortField("order"), title=None)
    base = alt.Chart(data).encode(y=y)
    bars = base.mark_bar(color=LINE_COLOR, cornerRadiusEnd=3).encode(
        x=alt.X("entered:Q", title="customers who entered the phase"),
        tooltip=[
            alt.Tooltip("phase:N"),
            alt.Tooltip("entered:Q", title="customers entered"),
            alt.Tooltip("conversion:Q", title="to next phase", format=".1%"),
            alt.Tooltip("median_hours:Q", title="median hours to next", format=".1f"),
        ],
    )
    labels = base.mark_text(align="left", dx=4, color=TEXT_COLOR, fontSize=11).encode(
        x="entered:Q", text="label:N"
    )
    chart = (
        alt.layer(bars, labels)
        .properties(width=520, height=alt.Step(30))
        .configure(background="transparent")
        .configure_view(strokeWidth=0)
        .configure_axis(labelColor=TEXT_COLOR, titleColor=TEXT_COLOR, labelFontSize=12)
    )
    return _spec(chart)


def _funnel_label(row: Json) -> str:
    entered = row["customers_entered"] or 0
    conversion = row["conversion_to_next"]
    if conversion is None:
        return f"{entered:,}"
    return f"{entered:,} · {100 * conversion:.1f}% to next"


EMOTION_METRICS = {"nps": "NPS", "csat": "CSAT top box %", "sentiment": "comment sentiment"}
DIP_COLOR = "#b42318"


def emotion_spec(rows: list[Json], names: dict[str, str]) -> Json:
    """The emotion lane of one journey: per metric a line through the touchpoints in journey
    order with each point's 95% interval; the dips in red."""
    data = alt.Data(
        values=[
            {
                "metric": EMOTION_METRICS.get(row["metric"], row["metric"]),
                "position": row["position"],
                "touchpoint": names.get(row["touchpoint_id"], row["touchpoint_id"]),
                "value": row["value"],
                "low": row["ci_low"],
                "high": row["ci_high"],
                "n": row["n"],
                "dip": "dip" if row["is_dip"] else "",
            }
            for row in rows
        ]
    )
    x = alt.X(
        "touchpoint:N",
        sort=alt.EncodingSortField("position"),
        title=None,
        axis=alt.Axis(labelAngle=0, labelLimit=110),
    )
    y = alt.Y("value:Q", title=None, scale=alt.Scale(zero=False))
    tooltip = [
        alt.Tooltip("touchpoint:N"),
        alt.Tooltip("metric:N"),
        alt.Tooltip("value:Q", format=".2f"),
        alt.Tooltip("low:Q", title="95% from", format=".2f"),
        alt.Tooltip("high:Q", title="95% to", format=".2f"),
        alt.Tooltip("n:Q"),
        alt.Tooltip("dip:N"),
    ]
    base = alt.Chart().encode(x=x)
    band = base.mark_rule(color="#98a2b3").encode(y=alt.Y("low:Q"), y2="high:Q")
    line = base.mark_line(color=LINE_COLOR, strokeWidth=1.5).encode(y=y)
    points = base.mark_point(filled=True, size=55).encode(
        y=y,
        color=alt.condition(alt.datum.dip == "dip", alt.value(DIP_COLOR), alt.value(LINE_COLOR)),
        tooltip=tooltip,
    )
    labels = base.mark_text(dy=-10, color=DIP_COLOR, fontWeight="bold").encode(y=y, text="dip:N")
    chart = (
        alt.layer(band, line, points, labels, data=data)
        .properties(width=620, height=90)
        .facet(row=alt.Row("metric:N", title=None, sort=list(EMOTION_METRICS.values())))
        .resolve_scale(y="independent")
        .configure(background="transparent")
        .configure_view(strokeWidth=0)
        .configure_axis(labelColor=TEXT_COLOR, titleColor=TEXT_COLOR, labelFontSize=11)
        .configure_header(labelColor=TEXT_COLOR, labelFontSize=12)
    )
    return _spec(chart)
