// The journey map page: reads the embedded marts extract, recomputes NPS for the picked date
// range and persona, and lets Vega-Lite (inlined above) draw the charts Altair specified.
"use strict";
(function () {
  const DATA = JSON.parse(document.getElementById("cjm-data").textContent);
  const SPECS = JSON.parse(document.getElementById("cjm-specs").textContent);
  const Z = 1.96; // two-sided 95%
  const DAY_MS = 86400000;
  const SPARK_WEEKS = 12;
  const COMMENTS_SHOWN = 12;
  const ALL = "*";
  const views = [];

  // --- formulas: the same as the dbt macros in dbt_project/macros/metrics/ -------------------
  function nps(promoters, detractors, n) {
    return n > 0 ? (100 * (promoters - detractors)) / n : null;
  }
  // nps_adjusted_wald_bound: n' = n + 3, pP = (P + 0.75) / n', pD = (D + 0.75) / n'.
  function npsInterval(promoters, detractors, n) {
    if (!(n > 0)) return null;
    const nAdj = n + 3;
    const pp = (promoters + 0.75) / nAdj;
    const pd = (detractors + 0.75) / nAdj;
    const centre = pp - pd;
    const se = Math.sqrt((pp + pd - centre * centre) / nAdj);
    return [Math.max(-100, 100 * (centre - Z * se)), Math.min(100, 100 * (centre + Z * se))];
  }
  // wilson_bound, in %.
  function wilson(successes, n) {
    if (!(n > 0)) return null;
    const p = successes / n;
    const z2 = Z * Z;
    const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
    const half = (Z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
    return [100 * (centre - half), 100 * (centre + half)];
  }

  // --- small helpers ---------------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value !== null && value !== undefined) node.setAttribute(key, value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  const fmt1 = (v) => (v === null || v === undefined ? "–" : v.toFixed(1));
  const fmtInt = (v) => (v === null || v === undefined ? "–" : Number(v).toLocaleString("en"));
  const pct = (v) => (v === null || v === undefined ? "–" : (100 * v).toFixed(1) + "%");
  const dayMs = (iso) => Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10));
  const isoOf = (ms) => new Date(ms).toISOString().slice(0, 10);
  const weekOf = (iso) => isoOf(dayMs(iso) - ((new Date(dayMs(iso)).getUTCDay() + 6) % 7) * DAY_MS);
  const personaLabel = (p) => (p === "" ? "unidentified customers" : p.replace(/_/g, " "));
  const statusLabel = (s) => (s === "insufficient_data" ? "too few answers" : s.replace(/_/g, " "));
  const human = (s) => String(s).replace(/_/g, " ");
  function hours(h) {
    if (h === null || h === undefined) return "–";
    return h >= 48 ? `${fmt1(h)} h (${(h / 24).toFixed(1)} days)` : `${fmt1(h)} h`;
  }

  // --- state and aggregation -----------------------------------------------------------------
  const days = DATA.days || [];
  const state = { from: days[0] || "", to: days[days.length - 1] || "", persona: ALL };

  // A link can carry the picker's choice: journey_map.html#from=2026-10-01&to=2026-10-31&persona=x
  function readHash() {
    const params = new URLSearchParams(window.location.hash.slice(1));
    const valid = (iso) => /^\d{4}-\d{2}-\d{2}$/.test(iso || "");
    if (valid(params.get("from"))) state.from = params.get("from");
    if (valid(params.get("to"))) state.to = params.get("to");
    if (params.has("persona") && (DATA.personas || []).includes(params.get("persona"))) {
      state.persona = params.get("persona");
    }
  }

  function inRange(iso) {
    return (!state.from || iso >= state.from) && (!state.to || iso <= state.to);
  }

  function counts() {
    const byTouchpoint = new Map();
    const byWeek = new Map();
    const everRated = new Set();
    const personas = DATA.personas || [];
    for (const [tp, dayIndex, personaIndex, p, pa, d] of DATA.nps_counts || []) {
      everRated.add(tp);
      const day = days[dayIndex];
      if (!inRange(day)) continue;
      if (state.persona !== ALL && personas[personaIndex] !== state.persona) continue;
      add(byTouchpoint, tp, p, pa, d);
      add(byWeek, tp + "|" + weekOf(day), p, pa, d);
    }
    return { byTouchpoint, byWeek, everRated };
  }
  function add(map, key, p, pa, d) {
    const c = map.get(key) || { p: 0, pa: 0, d: 0, n: 0 };
    c.p += p; c.pa += pa; c.d += d; c.n += p + pa + d;
    map.set(key, c);
  }
  function csat(tp) {
    let n = 0, top = 0;
    for (const [id, day, answers, topBox] of DATA.csat_counts || []) {
      if (id === tp && inRange(day)) { n += answers; top += topBox; }
    }
    return n > 0 ? { n, share: (100 * top) / n, ci: wilson(top, n) } : null;
  }
  function weeklyRows(tp, byWeek) {
    if (!state.from || !state.to) return [];
    const last = weekOf(state.to);
    const rows = [];
    for (let i = SPARK_WEEKS - 1; i >= 0; i--) {
      const week = isoOf(dayMs(last) - i * 7 * DAY_MS);
      if (week < weekOf(state.from)) continue;
      const c = byWeek.get(tp + "|" + week);
      if (c && c.n > 0) rows.push({ week, nps: nps(c.p, c.d, c.n), n: c.n });
    }
    return rows;
  }
  function latestKpis(scopeType, scopeId) {
    const latest = new Map();
    for (const k of DATA.kpis || []) {
      if (k.scope_type !== scopeType || k.scope_id !== scopeId) continue;
      if (k.period_start && k.period_start > state.to) continue;
      const seen = latest.get(k.kpi);
      if (!seen || (k.period_start || "") >= (seen.period_start || "")) latest.set(k.kpi, k);
    }
    return [...latest.values()];
  }

  // --- rendering -----------------------------------------------------------------------------
  function npsBlock(c) {
    const value = nps(c.p, c.d, c.n);
    const ci = npsInterval(c.p, c.d, c.n);
    const few = c.n < (DATA.min_reportable_n || 0);
    return el("div", { class: "metric" + (few ? " few" : ""), "data-metric": "nps" },
      el("span", { class: "label" }, "NPS"),
      el("span", { class: "value " + (value >= 0 ? "pos" : "neg"), "data-nps": value.toFixed(1) }, fmt1(value)),
      el("span", { class: "ci" }, `95% ${fmt1(ci[0])} to ${fmt1(ci[1])} · n = ${fmtInt(c.n)}`),
      few ? el("span", { class: "note" }, `fewer than ${DATA.min_reportable_n} answers: read with care`) : null);
  }
  function csatBlock(tp) {
    const c = csat(tp);
    if (!c) return null;
    return el("div", { class: "metric small", "data-metric": "csat" },
      el("span", { class: "label" }, "CSAT"),
      el("span", { class: "value" }, fmt1(c.share) + "%"),
      el("span", { class: "ci" }, `95% ${fmt1(c.ci[0])} to ${fmt1(c.ci[1])} · n = ${fmtInt(c.n)}`),
      state.persona === ALL ? null : el("span", { class: "note" }, "CSAT of all personas"));
  }
  const KPI_NAMES = {
    nps: "NPS", csat: "CSAT top box %", ces: "effort (mean)",
    conversion_to_next: "conversion to next phase", median_hours_to_next: "median hours to next phase",
  };
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  function periodLabel(k) {
    if (!k.period_start) return "all time";
    if (k.period_grain === "month") return `${MONTHS[+k.period_start.slice(5, 7) - 1]} ${k.period_start.slice(0, 4)}`;
    return `${human(k.period_grain)} of ${k.period_start}`;
  }
  function kpiLines(scopeType, scopeId) {
    return latestKpis(scopeType, scopeId).map((k) => {
      const unit = k.kpi.startsWith("conversion") ? pct : fmt1;
      return el("div", { class: "kpi", "data-kpi": k.kpi },
        `${KPI_NAMES[k.kpi] || human(k.kpi)} ${unit(k.actual)} vs target ${unit(k.target)} (${periodLabel(k)}): `,
        el("span", { class: "status " + k.status }, statusLabel(k.status)),
        k.owner ? ` · ${k.owner}` : "");
    });
  }
  function driverLine(tp) {
    const m = (DATA.moments || {})[tp];
    if (!m || m.nps_difference === null || m.nps_difference === undefined) return null;
    const sign = m.nps_difference >= 0 ? "+" : "";
    const verdict = m.is_significant ? "significant" : "not significant";
    return el("div", { class: "driver" },
      `NPS of customers who had it vs not: ${sign}${fmt1(m.nps_difference)} points (${verdict}` +
      (m.action ? `; ${human(m.action)}` : "") + ")");
  }
  function card(tp, agg) {
    const c = agg.byTouchpoint.get(tp.id);
    const body = [];
    if (c && c.n > 0) {
      body.push(npsBlock(c));
    } else {
      body.push(el("p", { class: "empty" }, !DATA.nps_counts ? missingNote("nps_counts")
        : agg.everRated.has(tp.id) ? "no responses in this range" : "no survey rates this touchpoint"));
    }
    body.push(csatBlock(tp.id));
    const spark = el("div", { class: "spark" });
    const rows = weeklyRows(tp.id, agg.byWeek);
    if (rows.length) body.push(spark);
    body.push(...kpiLines("touchpoint", tp.id), driverLine(tp.id));
    const node = el("article", { class: "card" + (tp.is_mtm ? " mtm" : ""), "data-touchpoint": tp.id },
      el("h4", {}, tp.name),
      el("div", { class: "who" }, `${tp.channel} · owner: ${tp.owner}`),
      tp.is_mtm ? el("span", { class: "badge" }, "★ Moment that matters") : null,
      ...body);
    if (rows.length) chart(spark, { ...SPECS.sparkline, data: { values: rows } });
    return node;
  }
  function phaseColumn(phase, touchpoints, agg) {
    const total = { p: 0, pa: 0, d: 0, n: 0 };
    for (const tp of touchpoints) {
      const c = agg.byTouchpoint.get(tp.id);
      if (c) { total.p += c.p; total.pa += c.pa; total.d += c.d; total.n += c.n; }
    }
    return el("section", { class: "phase", "data-phase": phase.id },
      el("div", { class: "phase-head" },
        el("div", { class: "step" }, `Phase ${phase.order}`),
        el("h3", {}, phase.name),
        total.n > 0 ? npsBlock(total) : el("p", { class: "empty" }, "no responses in this range"),
        ...kpiLines("phase", phase.id)),
      ...touchpoints.map((tp) => card(tp, agg)));
  }
  function funnelBlock(journeyId) {
    if (!DATA.funnel) return el("p", { class: "missing" }, missingNote("funnel"));
    const rows = DATA.funnel.filter((r) => r.journey_id === journeyId);
    if (!rows.some((r) => r.customers_entered > 0)) {
      return el("p", { class: "empty" }, "no customer has entered a phase of this journey yet");
    }
    const holder = el("div", { class: "funnel-chart" });
    chart(holder, SPECS.funnels[journeyId]);
    const table = el("table", { class: "funnel-table" },
      el("tr", {}, ["phase", "entered", "reached next", "to next", "from first", "median time to next"]
        .map((h) => el("th", {}, h))),
      rows.map((r) => el("tr", { "data-phase": r.phase_id },
        el("td", {}, r.phase_name), el("td", {}, fmtInt(r.customers_entered)),
        el("td", {}, fmtInt(r.customers_reached_next)), el("td", {}, pct(r.conversion_to_next)),
        el("td", {}, pct(r.conversion_from_first)), el("td", {}, hours(r.median_hours_to_next)))));
    return el("div", { class: "funnel" }, holder, table);
  }
  // The emotion lane (agg_emotion_curve, all time): per metric the touchpoints in journey
  // order, and the dips in words.
  function emotionBlock(journeyId) {
    if (!DATA.emotion) return el("p", { class: "missing" }, missingNote("emotion"));
    const rows = DATA.emotion.filter((r) => r.journey_id === journeyId);
    if (!rows.length) return el("p", { class: "empty" }, "no touchpoint of this journey has answers yet");
    const names = new Map((DATA.touchpoints || []).map((t) => [t.id, t.name]));
    const metricNames = { nps: "NPS", csat: "CSAT", sentiment: "comment sentiment" };
    const dips = rows.filter((r) => r.is_dip);
    const holder = el("div", { class: "emotion-chart" });
    chart(holder, SPECS.emotion[journeyId]);
    const text = dips.length
      ? dips.map((r) => `${names.get(r.touchpoint_id) || r.touchpoint_id} (${metricNames[r.metric] || r.metric}` +
          ` ${fmt1(r.value)}, below ${names.get(r.previous_touchpoint_id) || r.previous_touchpoint_id}` +
          ` and ${names.get(r.next_touchpoint_id) || r.next_touchpoint_id})`).join("; ")
      : "none: no touchpoint is significantly below both neighbours";
    return el("div", { class: "emotion" }, holder,
      el("p", { class: "dips", "data-dips": dips.map((r) => r.metric + ":" + r.touchpoint_id).join(" ") },
        el("b", {}, "Dips: "), text));
  }
  function missingNote(section) {
    const marts = (DATA.missing || {})[section] || [];
    return `Not in the published marts yet (${marts.join(", ")}).`;
  }
  function renderJourneys(agg) {
    const main = document.getElementById("journeys");
    main.replaceChildren();
    if (!DATA.journeys) {
      main.append(el("p", { class: "missing" }, missingNote("journey_map")));
      return;
    }
    for (const journey of DATA.journeys) {
      const phases = DATA.phases.filter((p) => p.journey_id === journey.id);
      main.append(el("section", { class: "journey", "data-journey": journey.id },
        el("h2", {}, journey.name),
        el("p", { class: "hint" }, journey.description || ""),
        el("div", { class: "phases" }, phases.map((phase) =>
          phaseColumn(phase, DATA.touchpoints.filter((t) => t.phase_id === phase.id), agg))),
        el("h3", {}, "Emotion lane (all time, all customers)"),
        emotionBlock(journey.id),
        el("h3", {}, "Phase funnel (all time, all customers)"),
        funnelBlock(journey.id)));
    }
  }
  function renderComments() {
    const box = document.getElementById("comments");
    box.replaceChildren();
    if (!DATA.comments) {
      box.append(el("p", { class: "missing" }, missingNote("comments")));
      return;
    }
    const names = new Map((DATA.touchpoints || []).map((t) => [t.id, t.name]));
    const shown = DATA.comments
      .filter((c) => inRange(c.day) && (state.persona === ALL || c.persona === state.persona))
      .slice(0, COMMENTS_SHOWN);
    if (!shown.length) box.append(el("p", { class: "empty" }, "no detractor comments in this range"));
    for (const c of shown) {
      box.append(el("div", { class: "comment" },
        el("div", { class: "about" }, [c.day, names.get(c.touchpoint_id) || "no touchpoint",
          `NPS answer ${c.score}`, personaLabel(c.persona), c.theme ? `theme: ${human(c.theme)}` : null,
          c.sentiment].filter(Boolean).join(" · ")),
        el("div", {}, c.text)));
    }
  }
  function chart(node, spec) {
    const done = vegaEmbed(node, spec, { actions: false, renderer: "svg" })
      .then((result) => { views.push(result.view); })
      .catch((error) => { node.append(el("p", { class: "chart-error" }, "chart failed: " + error)); });
    pending.push(done);
  }

  let pending = [];
  function render() {
    while (views.length) views.pop().finalize();
    pending = [];
    document.body.dataset.rendered = "false";
    const agg = counts();
    let n = 0;
    for (const c of agg.byTouchpoint.values()) n += c.n;
    document.getElementById("in-range").textContent =
      `${fmtInt(n)} answers rating a touchpoint from ${state.from} to ${state.to}` +
      (state.persona === ALL ? ", all personas" : `, persona ${personaLabel(state.persona)}`);
    renderJourneys(agg);
    renderComments();
    Promise.all(pending).then(() => { document.body.dataset.rendered = "true"; });
  }

  // --- picker --------------------------------------------------------------------------------
  function setUpPicker() {
    const from = document.getElementById("from");
    const to = document.getElementById("to");
    const persona = document.getElementById("persona");
    for (const input of [from, to]) {
      input.min = days[0] || "";
      input.max = days[days.length - 1] || "";
    }
    readHash();
    from.value = state.from;
    to.value = state.to;
    persona.append(el("option", { value: ALL }, "all personas"));
    for (const p of DATA.personas || []) persona.append(el("option", { value: p }, personaLabel(p)));
    persona.value = state.persona;
    const apply = () => {
      state.from = from.value || days[0] || "";
      state.to = to.value || days[days.length - 1] || "";
      state.persona = persona.value;
      const params = new URLSearchParams({ from: state.from, to: state.to });
      if (state.persona !== ALL) params.set("persona", state.persona);
      history.replaceState(null, "", "#" + params.toString());
      render();
    };
    from.addEventListener("change", apply);
    to.addEventListener("change", apply);
    persona.addEventListener("change", apply);
    for (const button of document.querySelectorAll(".quick button")) {
      button.addEventListener("click", () => {
        const last = days[days.length - 1] || "";
        to.value = last;
        from.value = button.dataset.days === "all" || !last
          ? days[0] || "" : isoOf(dayMs(last) - (Number(button.dataset.days) - 1) * DAY_MS);
        apply();
      });
    }
  }

  function renderMeta() {
    const published = DATA.published_at ? `published ${DATA.published_at} UTC` : "publication time unknown";
    document.getElementById("meta").textContent =
      `From the published marts (${published}); page written ${DATA.generated_at}.`;
    document.getElementById("footer").textContent =
      `Source: ${DATA.source}. Everything on this page is inside this file; it needs no network.`;
  }

  renderMeta();
  setUpPicker();
  render();
})();
