/* Planner: run a week plan and watch it, read the board (vehicles × days), lock routes, re-plan. */
"use strict";

(() => {
  const T = Tournee;
  const { el, t } = T;
  const ep = T.cfg.endpoints;
  const $ = (id) => document.getElementById(id);
  const state = { plan: null, vehicles: {}, day: 0, view: null, highlight: null, polling: null };

  function nextMonday() {
    const d = new Date();
    d.setUTCHours(12, 0, 0, 0);
    d.setUTCDate(d.getUTCDate() + ((8 - d.getUTCDay()) % 7 || 7));
    return T.isoDate(d);
  }

  function path(template, values) {
    return template.replace(/\{(\w+)\}/g, (_, k) => encodeURIComponent(values[k]));
  }

  // --- plan jobs -----------------------------------------------------------------------
  async function startJob(replan) {
    T.flash("", "");
    $("run-plan").disabled = true;
    $("replan").disabled = true;
    try {
      const body = { start: $("week-start").value, days: parseInt($("days").value, 10) || 7 };
      const job = replan
        ? await T.api("POST", path(ep.replan, { plan_id: state.plan.id }), { body: {} })
        : await T.api("POST", ep.plan_jobs, { body });
      watch(job);
    } catch (err) {
      T.onApiError(err);
      $("run-plan").disabled = false;
      $("replan").disabled = !state.plan;
    }
  }

  function showJob(job) {
    $("job").classList.remove("hidden");
    $("job-phase").textContent = T.cfg.phases[job.phase] || job.phase;
    $("job-elapsed").textContent = T.number(job.elapsed_s, 1) + " s";
    $("job-objective").textContent = job.best_objective === null || job.best_objective === undefined
      ? "" : t("best cost so far") + " " + T.number(job.best_objective);
    const limit = T.cfg.plan_time_limit_s || 10;
    const pct = job.status === "done" ? 100 : Math.min(95, Math.round((100 * job.elapsed_s) / (limit + 2)));
    $("job-bar").style.width = pct + "%";
    $("job-bar").parentElement.setAttribute("aria-valuenow", String(pct));
  }

  function watch(job) {
    showJob(job);
    clearTimeout(state.polling);
    const tick = async () => {
      try {
        job = await T.api("GET", path(ep.plan_job, { job_id: job.id }));
        showJob(job);
        if (job.status === "done" && job.plan_id) {
          T.flash("ok", t("The plan is ready."));
          await loadPlan(job.plan_id);
          $("run-plan").disabled = false;
          return;
        }
        if (job.status === "failed") {
          T.flash("error", t("Planning failed:") + " " + job.error);
          $("run-plan").disabled = false;
          $("replan").disabled = !state.plan;
          return;
        }
        state.polling = setTimeout(tick, 500);
      } catch (err) {
        T.onApiError(err);
        $("run-plan").disabled = false;
      }
    };
    state.polling = setTimeout(tick, 300);
  }

  // --- the plan ---------------------------------------------------------------------------
  async function loadPlan(planId) {
    const plan = await T.api("GET", path(ep.plan, { plan_id: planId }));
    state.plan = plan;
    const locked = new Set(plan.locked_route_ids || []);
    for (const r of plan.body.routes) r.locked = r.locked || locked.has(r.id);
    $("plan").classList.remove("hidden");
    $("replan").disabled = false;
    const url = new URL(window.location.href);
    url.searchParams.set("plan", plan.id);
    history.replaceState(null, "", url.pathname + url.search);
    state.lines = null;
    renderSummary();
    renderBoard();
    renderUnassigned();
    renderDays();
    drawDay(firstBusyDay());
    loadChart();
    try {
      state.lines = await T.api("GET", path(ep.plan_lines, { plan_id: plan.id }));
      drawDay(state.day);
    } catch (err) {
      T.onApiError(err);
    }
  }

  function horizonDays() {
    const h = state.plan.body.horizon;
    return Array.from({ length: h.days }, (_, d) => ({ d, iso: T.addDays(h.start, d) }));
  }

  function firstBusyDay() {
    const days = state.plan.body.routes.map((r) => r.day);
    return days.length ? Math.min(...days) : 0;
  }

  function vehicleName(id) {
    return (state.vehicles[id] && state.vehicles[id].name) || id;
  }

  function renderSummary() {
    const b = state.plan.body;
    const tot = b.totals || {};
    T.setTenant({ currency: b.currency });
    $("plan-summary").textContent = T.fmt(t("Plan version {version} · {routes} routes · {served} orders served, {unassigned} unassigned · {km} · {co2} CO2e · {cost}"), {
      version: state.plan.version, routes: b.routes.length, served: tot.orders_served ?? "?", unassigned: b.unassigned.length,
      km: T.km(tot.distance_m || 0), co2: T.kg(tot.co2e_g || 0), cost: T.money(tot.cost_cents || 0),
    });
  }

  function renderBoard() {
    const table = $("board");
    table.innerHTML = "";
    const days = horizonDays();
    const routes = state.plan.body.routes;
    const vehicles = [...new Set(Object.keys(state.vehicles).concat(routes.map((r) => r.vehicle_id)))]
      .filter((v) => routes.some((r) => r.vehicle_id === v) || state.vehicles[v]);
    table.appendChild(el("thead", {}, el("tr", {}, el("th", { text: t("Vehicle") }), days.map(({ iso }) => el("th", { text: T.date(iso, "short") })))));
    const body = el("tbody");
    for (const v of vehicles) {
      const tr = el("tr", {}, el("th", { text: vehicleName(v) }));
      for (const { d } of days) {
        const td = el("td");
        for (const r of routes.filter((x) => x.vehicle_id === v && x.day === d)) td.appendChild(routeCell(r));
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
    table.appendChild(body);
  }

  function routeCell(r) {
    const stops = r.stops.filter((s) => !["start", "end"].includes(s.kind)).length;
    const fill = Math.max(0, Math.min(100, r.fill_rate_pct));
    return el("div", { class: "cell" + (r.locked ? " locked" : ""), "data-route": r.id },
      el("div", { class: "fill" + (fill > 90 ? " high" : ""), title: t("Fill rate") + " " + fill + " %" }, el("span", { style: "width:" + fill + "%" })),
      el("div", { text: T.fmt(t("{fill} % full · {stops} stops"), { fill, stops }) }),
      el("div", { text: T.km(r.distance_m) + " · " + T.kg(r.co2e_g) + " CO2e" }),
      el("div", { class: "row", style: "gap:4px" },
        el("button", { type: "button", class: "narrow", onclick: () => { state.highlight = r.id; drawDay(r.day); }, text: t("Map") }),
        r.locked
          ? el("button", { type: "button", class: "narrow", disabled: true, text: t("Locked") })
          : el("button", { type: "button", class: "narrow lock", "data-lock": r.id, onclick: () => lock(r), text: t("Lock") }),
        el("button", { type: "button", class: "narrow", onclick: () => T.download(path(ep.sheet_pdf, { plan_id: state.plan.id, route_id: r.id }), r.id + ".pdf"), text: "PDF" }),
      ),
    );
  }

  async function lock(r) {
    try {
      await T.api("POST", path(ep.locks, { plan_id: state.plan.id }), { body: { route_id: r.id } });
      r.locked = true;
      T.flash("ok", T.fmt(t("Route {route} is locked: a re-plan keeps it as it is."), { route: r.id }));
      renderBoard();
    } catch (err) {
      T.onApiError(err);
    }
  }

  function renderUnassigned() {
    const body = $("unassigned").querySelector("tbody");
    body.innerHTML = "";
    const list = state.plan.body.unassigned;
    if (!list.length) body.appendChild(el("tr", {}, el("td", { colspan: "3", class: "muted", text: t("Every order is in a route.") })));
    for (const u of list) {
      body.appendChild(el("tr", {}, el("td", { text: u.order_id }), el("td", { text: T.cfg.reasons[u.reason] || u.reason }), el("td", { text: u.detail })));
    }
  }

  function renderDays() {
    const box = $("daytabs");
    box.innerHTML = "";
    for (const { d, iso } of horizonDays()) {
      const n = state.plan.body.routes.filter((r) => r.day === d).length;
      box.appendChild(el("button", { type: "button", class: "narrow", "data-day": String(d), "aria-pressed": "false", onclick: () => { state.highlight = null; drawDay(d); } },
        T.date(iso, "short") + (n ? " (" + n + ")" : "")));
    }
  }

  function drawDay(d) {
    state.day = d;
    for (const b of $("daytabs").querySelectorAll("button")) b.setAttribute("aria-pressed", b.dataset.day === String(d) ? "true" : "false");
    if (!state.view) state.view = TourneeMap.create("map", { onlineToggle: "online-tiles" });
    const routes = state.plan.body.routes.map((r, i) => ({ r, i })).filter(({ r }) => r.day === d).map(({ r, i }) => {
      let n = 0;
      return {
        id: r.id,
        colour: TourneeMap.PALETTE[i % TourneeMap.PALETTE.length],
        label: vehicleName(r.vehicle_id) + " · " + r.id,
        line: (state.lines && state.lines[r.id]) || r.stops.map((s) => [s.lon, s.lat]),
        onRoads: Boolean(state.lines && state.lines[r.id]),
        stops: r.stops.map((s) => ({ lon: s.lon, lat: s.lat, number: ["start", "end"].includes(s.kind) ? 0 : ++n, label: T.clock(s.arrival_s) + " · " + (T.cfg.kinds[s.kind] || s.kind) })),
      };
    });
    TourneeMap.drawRoutes(state.view, routes, { highlight: state.highlight });
    setTimeout(() => state.view.map.invalidateSize(), 50);
  }

  async function loadChart() {
    try {
      const svg = await T.api("GET", path(ep.fill_chart, { plan_id: state.plan.id }), { headers: { Accept: "image/svg+xml" } });
      $("fill-chart").innerHTML = svg.slice(svg.indexOf("<svg"));
    } catch (err) {
      $("fill-chart").textContent = T.problemText(err);
    }
  }

  $("plan-form").addEventListener("submit", (ev) => { ev.preventDefault(); startJob(false); });
  $("replan").addEventListener("click", () => startJob(true));

  async function start() {
    try {
      await T.loadMe();
      $("week-start").value = $("week-start").value || nextMonday();
      const vehicles = await T.api("GET", ep.vehicles + "?limit=500");
      for (const v of vehicles) state.vehicles[v.id] = v;
      const wanted = new URL(window.location.href).searchParams.get("plan");
      if (wanted) await loadPlan(wanted);
    } catch (err) {
      T.onApiError(err, start);
    }
  }
  if (!T.token()) T.askToken(start); else start();
})();
