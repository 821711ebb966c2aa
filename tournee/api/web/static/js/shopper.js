/* Shopper: enter the address, see each tier as a card, choose one, get the confirmation. */
"use strict";

(() => {
  const T = Tournee;
  const { el, t } = T;
  const ep = T.cfg.endpoints;
  const state = { place: null, quote: null, tier: null };
  if (T.cfg.initial_place) state.place = T.cfg.initial_place;

  const form = document.getElementById("quote-form");
  const addressInput = document.getElementById("address");
  const chosen = document.getElementById("address-chosen");

  function showPlace() {
    chosen.textContent = state.place ? "✓ " + state.place.label : "";
  }
  showPlace();

  attachAddressSearch(addressInput, document.getElementById("address-list"), {
    search: (q) => T.api("GET", ep.addresses + "?q=" + encodeURIComponent(q) + "&limit=8", { auth: false }),
    onPick: (hit) => { state.place = hit; showPlace(); },
  });

  function grams() {
    const kg = parseFloat(String(document.getElementById("weight").value).replace(",", "."));
    return Number.isFinite(kg) && kg > 0 ? Math.round(kg * 1000) : null;
  }

  function dates(tier) {
    if (!tier.date_from) return "";
    if (!tier.date_to || tier.date_to === tier.date_from) return T.date(tier.date_from);
    return T.fmt(t("between {a} and {b}"), { a: T.date(tier.date_from, "short"), b: T.date(tier.date_to, "short") });
  }

  function planetTier(tiers) {
    const ok = tiers.filter((q) => q.available);
    if (!ok.length) return null;
    return ok.reduce((best, q) => (q.co2e_g < best.co2e_g || (q.co2e_g === best.co2e_g && q.price_cents < best.price_cents) ? q : best));
  }

  function renderTiers(quote) {
    const box = document.getElementById("tiers");
    box.innerHTML = "";
    T.setTenant({ currency: quote.currency });
    const planet = planetTier(quote.tiers);
    // Tiers that can be chosen first, the others after with their reason.
    const ordered = quote.tiers.filter((q) => q.available).concat(quote.tiers.filter((q) => !q.available));
    for (const q of ordered) {
      const isPlanet = planet && q.tier === planet.tier;
      const card = el("button", {
        type: "button", class: "tier" + (isPlanet ? " planet" : ""), "data-tier": q.tier,
        "aria-pressed": "false", disabled: !q.available,
        onclick: () => choose(q),
      },
        isPlanet ? el("span", { class: "badge", text: t("Cheapest for the planet") }) : null,
        el("div", { class: "name", text: T.tierName(q) }),
        q.available ? el("div", { class: "when", text: dates(q) }) : el("div", { class: "when", text: T.quoteReason(q.reason) || t("Not available") }),
        q.available ? el("div", { class: "price", text: T.money(q.price_cents) }) : null,
        q.available ? el("div", { class: "co2", text: T.kg(q.co2e_g, 2) + " CO2e" }) : null,
        q.available ? el("div", { class: "small muted", text: T.fmt(t("of which carbon: {amount}"), { amount: T.money(q.carbon_cents) }) }) : null,
      );
      box.appendChild(card);
    }
    document.getElementById("offer-note").textContent = quote.expires_at
      ? T.fmt(t("Prices valid until {time}"), { time: new Date(quote.expires_at).toLocaleTimeString(T.cfg.intl, { hour: "2-digit", minute: "2-digit" }) })
      : "";
    document.getElementById("offer").classList.remove("hidden");
    loadChart(quote);
  }

  async function loadChart(quote) {
    const box = document.getElementById("chart");
    box.classList.add("hidden");
    if (!ep.tier_chart || quote.tiers.filter((q) => q.available).length < 2) return;
    try {
      const svg = await T.api("GET", ep.tier_chart.replace("{quote_id}", encodeURIComponent(quote.id)), { auth: false, headers: { Accept: "image/svg+xml" } });
      box.innerHTML = svg.slice(svg.indexOf("<svg"));
      box.classList.remove("hidden");
    } catch (err) {
      box.classList.add("hidden");
    }
  }

  function choose(q) {
    state.tier = q;
    for (const b of document.querySelectorAll(".tier")) b.setAttribute("aria-pressed", b.dataset.tier === q.tier ? "true" : "false");
    const f = document.getElementById("order-form");
    f.classList.remove("hidden");
    document.getElementById("name").focus();
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    T.flash("", "");
    const weight_g = grams();
    if (!state.place) { T.flash("error", t("Choose your address in the list.")); addressInput.focus(); return; }
    if (!weight_g) { T.flash("error", t("Give a weight in kg.")); return; }
    const body = {
      merchant_id: T.cfg.merchant_id,
      lon: state.place.lon, lat: state.place.lat, address: state.place.label,
      weight_g, parcels: parseInt(document.getElementById("parcels").value, 10) || 1,
    };
    const button = document.getElementById("get-quote");
    button.disabled = true;
    try {
      state.quote = await T.api("POST", ep.quote, { body, auth: false });
      state.tier = null;
      document.getElementById("order-form").classList.add("hidden");
      renderTiers(state.quote);
    } catch (err) {
      T.onApiError(err);
    } finally {
      button.disabled = false;
    }
  });

  document.getElementById("order-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const name = document.getElementById("name").value.trim();
    const phone = document.getElementById("phone").value.trim();
    if (!name || !phone) { T.flash("error", t("Give your name and phone number.")); return; }
    const body = {
      quote_id: state.quote.id, tier: state.tier.tier, name, phone,
      notes: document.getElementById("notes").value.trim(),
    };
    const button = document.getElementById("confirm");
    button.disabled = true;
    try {
      const order = await T.api("POST", ep.order, { body, auth: false, headers: { "Idempotency-Key": state.quote.id + ":" + state.tier.tier } });
      document.getElementById("quote-form").classList.add("hidden");
      document.getElementById("offer").classList.add("hidden");
      const done = document.getElementById("done");
      done.classList.remove("hidden");
      document.getElementById("done-summary").textContent = T.fmt(t("{tier}: {when}, {price}."), {
        tier: T.tierName(state.tier), when: dates(Object.assign({}, state.tier, order)), price: T.money(order.price_cents),
      });
      document.getElementById("done-summary").textContent += " " +
        T.fmt(t("This delivery emits about {kg} CO2e."), { kg: T.kg(state.tier.co2e_g, 2) });
      document.getElementById("done-ges").textContent = order.ges_line || state.quote.ges_line || "";
      document.getElementById("done-ref").textContent = t("Order") + " " + order.order_id;
      done.focus();
    } catch (err) {
      T.onApiError(err);
      button.disabled = false;
    }
  });
})();
