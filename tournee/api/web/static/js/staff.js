/* Staff phone orders: find or create the customer, weigh, see the tiers live, confirm (+ weekly). */
"use strict";

(() => {
  const T = Tournee;
  const { el, t } = T;
  const ep = T.cfg.endpoints;
  const BYDAY = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];
  const state = { customer: null, place: null, quote: null, tier: null, merchants: [] };

  const $ = (id) => document.getElementById(id);
  const phoneInput = $("phone-search");

  function grams() {
    const kg = parseFloat(String($("weight").value).replace(",", "."));
    return Number.isFinite(kg) && kg > 0 ? Math.round(kg * 1000) : null;
  }

  function cents(text) {
    const v = parseFloat(String(text || "0").replace(",", "."));
    return Number.isFinite(v) && v > 0 ? Math.round(v * 100) : 0;
  }

  function where() {
    if (state.customer) return { lon: state.customer.lon, lat: state.customer.lat, address: state.customer.address };
    if (state.place) return { lon: state.place.lon, lat: state.place.lat, address: state.place.label };
    return null;
  }

  // --- customer search by phone -----------------------------------------------------------
  attachAddressSearch(phoneInput, $("customer-list"), {
    minChars: 2,
    search: async (q) => {
      const found = await T.api("GET", ep.customers + "?phone=" + encodeURIComponent(q) + "&limit=8");
      const hits = found.map((c) => ({ label: c.name + " · " + c.phone + " · " + c.address, customer: c }));
      hits.push({ label: "＋ " + t("New customer"), customer: null, create: true });
      return hits;
    },
    onPick: (hit, typed) => {
      if (!hit) { return; }
      if (hit.create) {
        state.customer = null;
        $("new-customer").classList.remove("hidden");
        $("c-phone").value = typed || "";
        phoneInput.value = "";
        $("customer-chosen").textContent = "";
        $("c-name").focus();
        return;
      }
      state.customer = hit.customer;
      $("new-customer").classList.add("hidden");
      $("customer-chosen").textContent = "✓ " + hit.label;
      $("items").focus();
      refresh();
    },
  });

  attachAddressSearch($("c-address"), $("c-address-list"), {
    search: (q) => T.api("GET", ep.addresses + "?q=" + encodeURIComponent(q) + "&limit=8"),
    onPick: (hit) => { state.place = hit; if (hit) refresh(); },
  });

  // --- live tier table ------------------------------------------------------------------
  function renderTiers() {
    const body = $("tier-table").querySelector("tbody");
    body.innerHTML = "";
    const tiers = state.quote ? state.quote.tiers : [];
    tiers.forEach((q, i) => {
      const id = "tier-" + q.tier;
      const radio = el("input", {
        type: "radio", name: "tier", id, value: q.tier, disabled: !q.available,
        onchange: () => pick(q),
      });
      const dates = q.date_from ? (q.date_from === q.date_to || !q.date_to ? T.date(q.date_from, "short")
        : T.date(q.date_from, "short") + " – " + T.date(q.date_to, "short")) : (T.quoteReason(q.reason) || t("Not available"));
      const tr = el("tr", { class: state.tier && state.tier.tier === q.tier ? "selected" : "", onclick: () => { if (q.available) { radio.checked = true; pick(q); } } },
        el("td", {}, radio),
        el("td", {}, el("label", { for: id, text: T.tierName(q) })),
        el("td", { text: dates }),
        el("td", { class: "num", text: q.available ? T.money(q.price_cents) : "—" }),
        el("td", { class: "num", text: q.available ? T.number(q.co2e_g / 1000, 2) : "—" }),
        el("td", { class: "num", text: q.available ? T.money(q.carbon_cents) : "—" }),
      );
      body.appendChild(tr);
      if (state.tier && state.tier.tier === q.tier) radio.checked = true;
    });
    if (!tiers.length) body.appendChild(el("tr", {}, el("td", { colspan: "6", class: "muted", text: t("No option yet.") })));
    $("confirm").disabled = !state.tier;
  }

  function pick(q) {
    state.tier = q;
    if (q.date_from) $("weekday").value = BYDAY[(new Date(q.date_from + "T12:00:00Z").getUTCDay() + 6) % 7];
    for (const tr of $("tier-table").querySelectorAll("tbody tr")) tr.classList.remove("selected");
    const row = $("tier-" + q.tier);
    if (row) row.closest("tr").classList.add("selected");
    $("confirm").disabled = false;
  }

  const refresh = T.debounce(async () => {
    const place = where();
    const weight_g = grams();
    const merchant_id = $("merchant").value;
    if (!place || !weight_g || !merchant_id) return;
    try {
      state.quote = await T.api("POST", ep.quote, {
        body: { merchant_id, lon: place.lon, lat: place.lat, address: place.address || "", weight_g, parcels: parseInt($("parcels").value, 10) || 1 },
      });
      T.setTenant({ currency: state.quote.currency });
      if (state.tier) state.tier = state.quote.tiers.find((q) => q.tier === state.tier.tier && q.available) || null;
      if (!state.tier) {
        const first = state.quote.tiers.find((q) => q.available);
        if (first) pick(first);
      }
      renderTiers();
    } catch (err) {
      T.onApiError(err);
    }
  }, 250);

  for (const id of ["weight", "parcels", "merchant"]) $(id).addEventListener("input", refresh);
  $("merchant").addEventListener("change", refresh);
  $("weekly").addEventListener("change", () => { $("weekday").disabled = !$("weekly").checked; });

  // --- confirm --------------------------------------------------------------------------
  async function ensureCustomer() {
    if (state.customer) return state.customer;
    const name = $("c-name").value.trim();
    if (!name || !state.place) throw new Error(t("Find the customer by phone, or give the new customer's name and address."));
    state.customer = await T.api("POST", ep.customers, {
      body: { name, phone: $("c-phone").value.trim(), address: state.place.label, lon: state.place.lon, lat: state.place.lat, notes: $("c-notes").value.trim() },
    });
    return state.customer;
  }

  async function confirm() {
    if (!state.tier || !state.quote) return;
    $("confirm").disabled = true;
    try {
      const customer = await ensureCustomer();
      const notes = $("items").value.trim();
      const collect_cents = cents($("collect").value);
      const order = await T.api("POST", ep.orders, {
        headers: { "Idempotency-Key": state.quote.id + ":" + state.tier.tier + ":" + customer.id },
        body: { quote_id: state.quote.id, tier: state.tier.tier, customer_id: customer.id, notes, collect_cents },
      });
      let message = T.fmt(t("Order saved for {name}: {tier}, {price}."), { name: customer.name, tier: T.tierName(state.tier), price: T.money(order.price_cents) });
      if ($("weekly").checked) {
        const day = $("weekday").value;
        const first = state.tier.date_from ? T.addDays(state.tier.date_from, 7) : T.isoDate(new Date());
        await T.api("POST", ep.standing_orders, {
          body: {
            merchant_id: $("merchant").value, customer_id: customer.id, rrule: "FREQ=WEEKLY;BYDAY=" + day,
            dtstart: first, tier: state.tier.tier, weight_g: grams(), parcels: parseInt($("parcels").value, 10) || 1,
            collect_cents, notes,
          },
        });
        message += " " + T.fmt(t("Every week on {day} from {date}."), { day: $("weekday").selectedOptions[0].textContent, date: T.date(first, "short") });
      }
      T.flash("ok", message);
      $("recent").classList.remove("hidden");
      $("recent-list").prepend(el("li", { text: message }));
      resetForm();
    } catch (err) {
      T.onApiError(err);
      $("confirm").disabled = false;
    }
  }

  function resetForm() {
    Object.assign(state, { customer: null, place: null, quote: null, tier: null });
    for (const id of ["phone-search", "c-name", "c-phone", "c-address", "c-notes", "items", "weight", "collect"]) $(id).value = "";
    $("parcels").value = "1";
    $("weekly").checked = false;
    $("weekday").disabled = true;
    $("new-customer").classList.add("hidden");
    $("customer-chosen").textContent = "";
    renderTiers();
    phoneInput.focus();
  }

  $("phone-order").addEventListener("submit", (ev) => { ev.preventDefault(); confirm(); });
  $("phone-order").addEventListener("reset", (ev) => { ev.preventDefault(); T.flash("", ""); resetForm(); });
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); confirm(); }
  });

  async function start() {
    try {
      await T.loadMe();
      state.merchants = await T.api("GET", ep.merchants + "?limit=500");
      const sel = $("merchant");
      sel.innerHTML = "";
      for (const m of state.merchants) sel.appendChild(el("option", { value: m.id, text: m.name }));
      renderTiers();
    } catch (err) {
      T.onApiError(err, start);
    }
  }
  if (!T.token()) T.askToken(start); else start();
})();
