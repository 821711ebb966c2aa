/* Tournée pages: shared helpers (configuration, token, API calls, locale formats, messages). */
"use strict";

const Tournee = (() => {
  const cfg = JSON.parse(document.getElementById("tournee-config").textContent);
  const TOKEN_KEY = "tournee_token";
  let currency = cfg.currency || "EUR";
  let locale = cfg.intl || "fr-FR";

  function t(key) {
    return (cfg.messages && cfg.messages[key]) || key;
  }

  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, (_, k) => (k in values ? String(values[k]) : "{" + k + "}"));
  }

  // --- token: from ?token= once, then kept on this device ---------------------------------
  function takeTokenFromUrl() {
    const url = new URL(window.location.href);
    const token = url.searchParams.get("token");
    if (token) {
      localStorage.setItem(TOKEN_KEY, token);
      url.searchParams.delete("token");
      history.replaceState(null, "", url.pathname + url.search + url.hash);
    }
  }

  function token() {
    return localStorage.getItem(TOKEN_KEY) || "";
  }

  function signOut() {
    localStorage.removeItem(TOKEN_KEY);
  }

  function askToken(onSignedIn) {
    const box = document.getElementById("signin");
    if (!box) return;
    box.classList.remove("hidden");
    const input = document.getElementById("signin-token");
    input.focus();
    document.getElementById("signin-form").onsubmit = (ev) => {
      ev.preventDefault();
      const value = input.value.trim();
      if (!value) return;
      localStorage.setItem(TOKEN_KEY, value);
      box.classList.add("hidden");
      onSignedIn();
    };
  }

  // --- API calls ------------------------------------------------------------------------
  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && (problem.detail || problem.title)) || "HTTP " + status);
      this.status = status;
      this.problem = problem || {};
    }
  }

  async function api(method, path, { body, headers, auth = true, raw = false } = {}) {
    const h = Object.assign({ Accept: "application/json" }, headers || {});
    if (auth && token()) h.Authorization = "Bearer " + token();
    if (body !== undefined) h["Content-Type"] = "application/json";
    const url = path.startsWith("/") && !path.startsWith(cfg.api) && !path.startsWith(cfg.root + "/") ? cfg.api + path : path;
    const res = await fetch(url, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) {
      let problem = null;
      try { problem = await res.json(); } catch (e) { problem = null; }
      throw new ApiError(res.status, problem);
    }
    if (raw) return res;
    if (res.status === 204) return null;
    const type = res.headers.get("Content-Type") || "";
    return type.includes("json") ? res.json() : res.text();
  }

  function problemText(err) {
    if (!(err instanceof ApiError)) return String(err && err.message ? err.message : err);
    const p = err.problem || {};
    let text = p.detail || p.title || err.message;
    const where = p.pointer || (p.errors && p.errors[0] && p.errors[0].pointer);
    if (where && !text.includes(where)) text += " (" + where + ")";
    return text;
  }

  // --- messages ---------------------------------------------------------------------------
  function flash(kind, text) {
    const el = document.getElementById("flash");
    el.innerHTML = "";
    if (!text) return;
    const div = document.createElement("div");
    div.className = "status " + kind;
    div.textContent = text;
    el.appendChild(div);
  }

  function onApiError(err, retry) {
    if (err instanceof ApiError && err.status === 401) {
      signOut();
      flash("error", t("Your access token is missing or no longer valid."));
      askToken(retry || (() => window.location.reload()));
      return;
    }
    if (err instanceof ApiError && err.status === 403) {
      flash("error", t("This access token may not open this page.") + " " + problemText(err));
      return;
    }
    flash("error", problemText(err));
  }

  // --- locale formats (Intl, the same conventions as the server's Babel) -------------------------
  function setTenant({ currency: c, intl }) {
    if (c) currency = c;
    if (intl) locale = intl;
  }

  function money(cents) {
    return new Intl.NumberFormat(locale, { style: "currency", currency }).format(cents / 100);
  }

  function number(value, digits = 0) {
    return new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
  }

  function kg(grams, digits = 1) {
    return number(grams / 1000, digits) + "\u00a0kg";
  }

  function km(metres, digits = 1) {
    return number(metres / 1000, digits) + "\u00a0km";
  }

  function parseDate(iso) {
    const [y, m, d] = iso.split("-").map(Number);
    return new Date(Date.UTC(y, m - 1, d, 12));
  }

  function date(iso, style = "full") {
    const opts = style === "short"
      ? { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" }
      : { weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "UTC" };
    return new Intl.DateTimeFormat(locale, opts).format(parseDate(iso));
  }

  function isoDate(d) {
    return d.toISOString().slice(0, 10);
  }

  function addDays(iso, days) {
    const d = parseDate(iso);
    d.setUTCDate(d.getUTCDate() + days);
    return isoDate(d);
  }

  function clock(seconds) {
    const s = ((seconds % 86400) + 86400) % 86400;
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    return String(h).padStart(2, "0") + ":" + String(m).padStart(2, "0");
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return node;
  }

  function debounce(fn, ms) {
    let timer = null;
    return (...args) => {
      clearTimeout(timer);
      timer = setTimeout(() => fn(...args), ms);
    };
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "k-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }

  // Language links keep the rest of the address (merchant, weight, plan…).
  function fixLanguageLinks() {
    for (const a of document.querySelectorAll("a[data-lang]")) {
      const url = new URL(window.location.href);
      url.searchParams.set("lang", a.dataset.lang);
      a.href = url.pathname + url.search;
    }
  }

  /** Download a document that needs the token (PDF, GPX…) and hand it to the browser. */
  async function download(path, filename) {
    try {
      const res = await api("GET", path, { raw: true, headers: { Accept: "*/*" } });
      const blob = await res.blob();
      const url = URL.createObjectURL(blob);
      const a = el("a", { href: url, download: filename });
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (err) {
      onApiError(err);
    }
  }

  /** Adapt page formats to the caller's tenant (currency; language unless the user chose one). */
  async function loadMe() {
    const me = await api("GET", cfg.root + "/web/me");
    setTenant(me);
    if (!cfg.lang_chosen && me.language && me.language !== cfg.lang) {
      const url = new URL(window.location.href);
      url.searchParams.set("lang", me.language);
      window.location.replace(url.pathname + url.search);
      return new Promise(() => {}); // the page reloads in the tenant's language
    }
    return me;
  }

  // A quoted tier's name and reason in the page's language (the shipped tiers and the
  // tariffs engine's fixed reasons; an operator's own names and other reasons as given).
  const RELAY = " — relay point";
  function tierName(q) {
    const names = cfg.tier_names || {};
    const name = q.name || "";
    if (name.endsWith(RELAY)) {
      const parent = name.slice(0, -RELAY.length);
      return (names[parent] || parent) + (names[RELAY] || RELAY);
    }
    return names[name] || name;
  }
  function quoteReason(reason) {
    if (!reason) return reason;
    const fixed = cfg.quote_reasons && cfg.quote_reasons[reason];
    if (fixed) return fixed;
    const relay = /^no relay point within ([\d.]+) km of the delivery address$/.exec(reason);
    if (relay) return fmt(t("No relay point within {km} km of the address"), { km: relay[1].replace(".", cfg.lang === "fr" ? "," : ".") });
    if (/^its days \(.*\) fall outside the plan/.test(reason)) return t("This tier's days fall outside the current plan");
    if (/^no circuit day of zone /.test(reason)) return t("No circuit day of your zone in this tier's days");
    return reason;
  }

  takeTokenFromUrl();
  document.addEventListener("DOMContentLoaded", fixLanguageLinks);

  return {
    cfg, t, fmt, tierName, quoteReason, token, askToken, signOut, api, ApiError, problemText, flash, onApiError,
    setTenant, money, number, kg, km, date, isoDate, addDays, clock, el, debounce, uuid, download, loadMe,
  };
})();
