/* Address autocomplete over the offline OSM address index (keyboard: ↑ ↓ Enter Esc). */
"use strict";

function attachAddressSearch(input, list, { search, onPick, minChars = 3 }) {
  const { el, debounce } = Tournee;
  let hits = [];
  let active = -1;

  function close() {
    list.innerHTML = "";
    list.classList.add("hidden");
    input.setAttribute("aria-expanded", "false");
    active = -1;
  }

  function show() {
    list.innerHTML = "";
    hits.forEach((hit, i) => {
      const li = el("li", {
        id: list.id + "-" + i, role: "option", "aria-selected": i === active ? "true" : "false",
        text: hit.label,
        onmousedown: (ev) => { ev.preventDefault(); pick(i); },
      });
      list.appendChild(li);
    });
    list.classList.toggle("hidden", hits.length === 0);
    input.setAttribute("aria-expanded", hits.length ? "true" : "false");
    if (active >= 0) input.setAttribute("aria-activedescendant", list.id + "-" + active);
  }

  function pick(i) {
    const hit = hits[i];
    if (!hit) return;
    const typed = input.value;
    input.value = hit.label;
    hits = [];
    close();
    onPick(hit, typed);
  }

  const run = debounce(async () => {
    const q = input.value.trim();
    if (q.length < minChars) { hits = []; close(); return; }
    try {
      hits = (await search(q)) || [];
      active = hits.length ? 0 : -1;
      show();
    } catch (err) {
      hits = [];
      close();
      Tournee.onApiError(err);
    }
  }, 180);

  input.addEventListener("input", () => { onPick(null); run(); });
  input.addEventListener("keydown", (ev) => {
    if (list.classList.contains("hidden")) return;
    if (ev.key === "ArrowDown") { active = Math.min(active + 1, hits.length - 1); show(); ev.preventDefault(); }
    else if (ev.key === "ArrowUp") { active = Math.max(active - 1, 0); show(); ev.preventDefault(); }
    else if (ev.key === "Enter" && active >= 0) { pick(active); ev.preventDefault(); }
    else if (ev.key === "Escape") { close(); }
  });
  input.addEventListener("blur", () => setTimeout(close, 150));
}
