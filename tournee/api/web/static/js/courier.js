/* Courier: the round's stops in order, navigation links, mark delivered / failed with a reason. */
"use strict";

(() => {
  const T = Tournee;
  const { el, t } = T;
  const ep = T.cfg.endpoints;
  const $ = (id) => document.getElementById(id);
  const state = { sheet: null, failing: null };

  function path(template, values) {
    return template.replace(/\{(\w+)\}/g, (_, k) => encodeURIComponent(values[k]));
  }

  function navLinks(s) {
    const ll = s.lat.toFixed(6) + "," + s.lon.toFixed(6);
    const name = encodeURIComponent(s.name || "");
    return [
      [t("Navigate"), "geo:" + ll + "?q=" + ll + "(" + name + ")"],
      ["OsmAnd", "https://osmand.net/go?lat=" + s.lat.toFixed(6) + "&lon=" + s.lon.toFixed(6) + "&z=17"],
      ["Organic Maps", "om://map?v=1&ll=" + ll + "&n=" + name],
      ["Google Maps", "https://www.google.com/maps/dir/?api=1&destination=" + ll + "&travelmode=driving"],
    ];
  }

  function stateText(s) {
    if (s.status === "delivered") return "✓ " + (s.kind === "pickup" ? t("Picked up") : t("Delivered"));
    if (s.status === "failed") return "✗ " + t("Failed") + (s.reason ? " · " + (T.cfg.failure_reasons[s.reason] || s.reason) : "");
    return "";
  }

  function render() {
    const sheet = state.sheet;
    const list = $("stops");
    list.innerHTML = "";
    T.setTenant({ currency: sheet.currency });
    $("title").textContent = t("My round") + " · " + T.date(sheet.date, "short");
    $("route-info").textContent = [sheet.vehicle_name || sheet.vehicle_id, t("start") + " " + T.clock(sheet.start_s), T.km(sheet.distance_m)].join(" · ");
    $("route-head").classList.remove("hidden");
    const stops = sheet.stops.filter((s) => !["start", "end"].includes(s.kind));
    const done = stops.filter((s) => s.status === "delivered" || s.status === "failed").length;
    $("progress").textContent = T.fmt(t("{done} of {total} stops done"), { done, total: stops.length });
    stops.forEach((s, i) => {
      const closed = s.status === "delivered" || s.status === "failed";
      const li = el("li", { class: "stop" + (s.status === "delivered" ? " done" : s.status === "failed" ? " failed" : ""), "data-seq": String(s.seq) },
        el("div", { class: "head" },
          el("span", { class: "num", text: String(i + 1) }),
          el("span", { class: "eta", text: T.clock(s.arrival_s) }),
          s.window_start_s != null && s.window_end_s != null ? el("span", { class: "small muted", text: T.clock(s.window_start_s) + "–" + T.clock(s.window_end_s) }) : null,
          el("span", { class: "small", text: T.cfg.kinds[s.kind] || s.kind }),
        ),
        el("div", { class: "who", text: s.name || "" }),
        s.address ? el("div", { text: s.address }) : null,
        s.phone ? el("div", {}, el("a", { href: "tel:" + s.phone.replace(/\s+/g, ""), text: "☎ " + s.phone })) : null,
        s.door_code ? el("div", {}, t("Door code") + " ", el("span", { class: "code", text: s.door_code })) : null,
        s.notes ? el("div", { class: "small", text: s.notes }) : null,
        el("div", { class: "small", text: [s.items, T.fmt(t("{parcels} parcels · {kg}"), { parcels: s.parcels, kg: T.kg(s.weight_g) })].filter(Boolean).join(" · ") }),
        s.collect_cents ? el("div", { class: "who", text: t("To collect") + " " + T.money(s.collect_cents) }) : null,
        el("div", { class: "nav" }, navLinks(s).map(([label, href]) => el("a", { class: "button", href, text: label }))),
        closed ? el("div", { class: "state", text: stateText(s) }) : el("div", { class: "marks" },
          el("button", { type: "button", class: "primary mark-delivered", onclick: () => mark(s, "delivered", "", "") , text: "✓ " + (s.kind === "pickup" ? t("Picked up") : t("Delivered")) }),
          el("button", { type: "button", class: "danger mark-failed", onclick: () => askFailure(s), text: "✗ " + t("Failed") }),
        ),
      );
      list.appendChild(li);
    });
  }

  async function mark(stop, status, reason, note) {
    try {
      const sheet = await T.api("POST", path(ep.stop_status, { plan_id: state.sheet.plan_id, route_id: state.sheet.route_id, seq: stop.seq }), {
        body: { status, reason: reason || null, note: note || "" },
      });
      state.sheet = Object.assign(state.sheet, sheet);
      render();
      T.flash(status === "failed" ? "error" : "ok", stateText(state.sheet.stops.find((s) => s.seq === stop.seq) || stop));
    } catch (err) {
      T.onApiError(err);
    }
  }

  function askFailure(stop) {
    state.failing = stop;
    const dialog = $("fail-dialog");
    $("fail-note").value = "";
    if (dialog.showModal) dialog.showModal(); else dialog.setAttribute("open", "");
    $("fail-reason").focus();
  }

  $("fail-cancel").addEventListener("click", () => $("fail-dialog").close());
  $("fail-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    $("fail-dialog").close();
    if (state.failing) mark(state.failing, "failed", $("fail-reason").value, $("fail-note").value.trim());
  });
  $("pdf").addEventListener("click", () => T.download(path(ep.sheet_pdf, { plan_id: state.sheet.plan_id, route_id: state.sheet.route_id }), state.sheet.route_id + ".pdf"));
  $("gpx").addEventListener("click", () => T.download(path(ep.sheet_gpx, { plan_id: state.sheet.plan_id, route_id: state.sheet.route_id }), state.sheet.route_id + ".gpx"));

  async function start() {
    try {
      await T.loadMe();
      state.sheet = await T.api("GET", path(ep.sheet, { plan_id: T.cfg.plan_id, route_id: T.cfg.route_id }));
      render();
    } catch (err) {
      T.onApiError(err, start);
    }
  }
  if (!T.token()) T.askToken(start); else start();
})();
