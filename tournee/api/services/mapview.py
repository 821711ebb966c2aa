"""A self-contained HTML map of a plan that works offline.

One file, no network needed: Leaflet 1.9.4 (vendored once for the whole app in ``tournee/api/web/static/vendor/leaflet``,
BSD-2-Clause) is inlined, the **road network itself** is drawn as the base layer (van
roads, and the ways only cargo bikes may use), each vehicle-day has its colour, stops
have pop-ups (arrival, departure, orders, load), and a layer switch shows one day at a
time.  OpenStreetMap tiles are an optional layer for when the viewer is online.
"""

from __future__ import annotations

import base64
import html
import json
import logging
from collections.abc import Mapping, Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np

from tournee.api.services.plan_io import OSM_ATTRIBUTION, clock
from tournee.domain import Plan, Profile
from tournee.routing.graph import RoadNetwork
from tournee.routing.snap import twin_arcs

__all__ = ["network_lines", "render_html", "write_html"]

log = logging.getLogger(__name__)

_MAX_ARCS = 60_000  # beyond this the page gets slow: keep the longest arcs in view


def _asset(name: str) -> bytes:
    # The same vendored copy the web pages serve (one Leaflet in the package).
    return (files("tournee.api.web") / "static" / "vendor" / "leaflet" / name).read_bytes()


def _leaflet() -> tuple[str, str]:
    css = _asset("leaflet.css").decode("utf-8")
    for png in ("layers.png", "layers-2x.png"):
        uri = "data:image/png;base64," + base64.b64encode(_asset(f"images/{png}")).decode("ascii")
        css = css.replace(f"url(images/{png})", f"url({uri})")
    return css, _asset("leaflet.js").decode("utf-8")


def network_lines(
    net: RoadNetwork,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    max_arcs: int = _MAX_ARCS,
    exclude_ways: frozenset[int] = frozenset(),
) -> list[list[list[float]]]:
    """The network's arcs as polylines (one per two-way pair), for drawing.

    Parameters
    ----------
    net : RoadNetwork
        The network.
    bbox : (min_lon, min_lat, max_lon, max_lat), optional
        Keep arcs with a point inside it.
    max_arcs : int
        Keep at most this many (the longest) arcs.
    exclude_ways : frozenset of int
        OSM way ids not to draw (e.g. drawn by another layer already).

    Returns
    -------
    list of polylines, each a list of ``[lat, lon]`` (Leaflet order), 5 decimals (≈ 1 m).
    """
    twin = twin_arcs(net)
    keep = (twin < 0) | (np.arange(net.arc_count) < twin)
    if exclude_ways:
        keep &= ~np.isin(net.way_id, np.fromiter(exclude_ways, dtype=np.int64))
    if bbox is not None:
        lo_x, lo_y, hi_x, hi_y = bbox
        inside = (
            (net.node_lon >= lo_x) & (net.node_lon <= hi_x) & (net.node_lat >= lo_y) & (net.node_lat <= hi_y)
        )
        keep &= inside[net.tail] | inside[net.head]
    arcs = np.flatnonzero(keep)
    if arcs.size > max_arcs:
        arcs = arcs[np.argsort(-net.length_mm[arcs], kind="stable")[:max_arcs]]
        log.info("map: drawing the %d longest of %d arcs", max_arcs, int(keep.sum()))
    out = []
    for a in arcs.tolist():
        lon, lat = net.arc_geometry(a)
        out.append([[round(float(y), 5), round(float(x), 5)] for x, y in zip(lon, lat, strict=True)])
    return out


def _bbox(geojson: Mapping[str, Any], margin_deg: float = 0.01) -> tuple[float, float, float, float] | None:
    xs: list[float] = []
    ys: list[float] = []
    for f in geojson.get("features", []):
        g = f.get("geometry") or {}
        coords = g.get("coordinates") or []
        pts = [coords] if g.get("type") == "Point" else coords
        for p in pts:
            xs.append(float(p[0]))
            ys.append(float(p[1]))
    if not xs:
        return None
    return (min(xs) - margin_deg, min(ys) - margin_deg, max(xs) + margin_deg, max(ys) + margin_deg)


def render_html(
    plan: Plan,
    *,
    geojson: Mapping[str, Any],
    networks: Mapping[Profile, RoadNetwork] | None = None,
    title: str = "Tournée — week plan",
    summary: Sequence[tuple[str, str]] = (),
) -> str:
    """The plan as one self-contained HTML page.

    Parameters
    ----------
    plan : Plan
        The plan (for the day list and the route table).
    geojson : mapping
        :func:`~tournee.api.services.plan_io.plan_geojson` of the plan.
    networks : mapping of Profile to RoadNetwork, optional
        Drawn as the base layer (clipped around the plan); without them the page
        shows routes and stops on a blank background (tiles when online).
    title : str
        Page title.
    summary : sequence of (label, value)
        Figures shown in the side panel (e.g. the CLI's summary table).

    Returns
    -------
    str
        An HTML document (UTF-8); no external resource is needed to display it.
    """
    css, js = _leaflet()
    bbox = _bbox(geojson)
    layers: dict[str, list[list[list[float]]]] = {}
    if networks:
        van = networks.get(Profile.VAN)
        if van is not None:
            layers["van"] = network_lines(van, bbox=bbox)
        bike = networks.get(Profile.CARGO_BIKE)
        if bike is not None:
            van_ways = frozenset(int(w) for w in np.unique(van.way_id)) if van is not None else frozenset()
            layers["cargo_bike"] = network_lines(bike, bbox=bbox, exclude_ways=van_ways)
    days = [
        {"day": d, "label": clock(plan.horizon, d * 86_400)[:14].strip()}
        for d in sorted({r.day for r in plan.routes})
    ]
    data = {
        "geojson": geojson,
        "network": layers,
        "days": days,
        "attribution": OSM_ATTRIBUTION,
    }
    # No "<" at all inside the script element: names come from the map and from users.
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    rows = "".join(
        f"<tr><th>{html.escape(label)}</th><td>{html.escape(value)}</td></tr>" for label, value in summary
    )
    return _PAGE.format(
        title=html.escape(title),
        css=css,
        js=js.replace("</script", "<\\/script"),
        data=payload,
        summary=rows,
        attribution=html.escape(OSM_ATTRIBUTION),
        plan_id=html.escape(plan.id),
    )


def write_html(path: Path, page: str) -> Path:
    """Write ``page`` to ``path`` (UTF-8); returns ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}</style>
<style>
html, body {{ margin: 0; height: 100%; font: 14px/1.35 system-ui, sans-serif; }}
#map {{ position: absolute; inset: 0 22rem 0 0; background: #f4f3ef; }}
#side {{ position: absolute; top: 0; right: 0; bottom: 0; width: 22rem; overflow: auto;
  padding: .75rem 1rem; box-sizing: border-box; border-left: 1px solid #ccc; background: #fff; }}
#side h1 {{ font-size: 1.1rem; margin: 0 0 .5rem; }}
#side table {{ border-collapse: collapse; width: 100%; margin-bottom: .75rem; }}
#side th {{ text-align: left; font-weight: 500; color: #444; padding: 2px 4px; vertical-align: top; width: 45%; }}
#side td {{ text-align: left; padding: 2px 4px; overflow-wrap: anywhere; }}
#routes td, #routes th {{ width: auto; }}
.swatch {{ display: inline-block; width: .9rem; height: .9rem; border-radius: 2px; vertical-align: -2px; margin-right: .3rem; }}
.route-row {{ cursor: pointer; }}
.route-row:hover {{ background: #eef; }}
.popup h3 {{ margin: 0 0 .25rem; font-size: 1rem; }}
.popup td {{ padding: 0 .4rem 0 0; }}
@media (max-width: 700px) {{ #map {{ inset: 0 0 40% 0; }} #side {{ top: 60%; width: 100%; }} }}
</style>
</head>
<body>
<div id="map" role="application" aria-label="Map of the plan"></div>
<aside id="side">
<h1>{title}</h1>
<p style="margin:.25rem 0 .5rem;color:#555">Plan <code>{plan_id}</code></p>
<table>{summary}</table>
<h2 style="font-size:1rem;margin:.5rem 0">Vehicle-days</h2>
<table id="routes"><thead><tr><th>route</th><th>orders</th><th>km</th><th>kg CO2e</th></tr></thead><tbody></tbody></table>
<p id="unassigned"></p>
<ul id="unassigned-list" style="padding-left:1.1rem;margin:.25rem 0 .75rem"></ul>
<p style="color:#666;font-size:12px">{attribution}. Road network drawn from the map file; tiles only when you switch them on.</p>
</aside>
<script>{js}</script>
<script>
"use strict";
const DATA = {data};
const map = L.map("map", {{ preferCanvas: true, zoomSnap: 0.25 }});
map.attributionControl.setPrefix("");
map.attributionControl.addAttribution("&copy; OpenStreetMap contributors (ODbL)");
const blank = L.layerGroup();
const tiles = L.tileLayer("https://tile.openstreetmap.org/{{z}}/{{x}}/{{y}}.png", {{
  maxZoom: 19, attribution: "&copy; OpenStreetMap contributors"
}});
const roads = L.layerGroup();
for (const line of DATA.network.van || []) L.polyline(line, {{ color: "#9a9a9a", weight: 1.2, interactive: false }}).addTo(roads);
for (const line of DATA.network.cargo_bike || []) L.polyline(line, {{ color: "#7fb77e", weight: 1, dashArray: "3 3", interactive: false }}).addTo(roads);
blank.addTo(map);
roads.addTo(map);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({{ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }})[c]);
const dayLayers = new Map();
for (const d of DATA.days) dayLayers.set(d.day, L.featureGroup());
const routeLayers = new Map();
const bounds = L.latLngBounds([]);
const feats = DATA.geojson.features;
for (const f of feats) {{
  const p = f.properties;
  if (p.feature_type !== "route") continue;
  const line = L.polyline(f.geometry.coordinates.map(([x, y]) => [y, x]), {{ color: p.stroke, weight: 4, opacity: 0.85 }});
  line.bindPopup(`<div class="popup"><h3>${{esc(p.route_id)}}</h3><table>
    <tr><td>vehicle</td><td>${{esc(p.vehicle_id)}} (${{esc(p.profile)}})</td></tr>
    <tr><td>date</td><td>${{esc(p.date)}} trip ${{p.trip + 1}}</td></tr>
    <tr><td>orders</td><td>${{p.orders}}</td></tr>
    <tr><td>distance</td><td>${{(p.distance_m / 1000).toFixed(1)}} km</td></tr>
    <tr><td>duration</td><td>${{Math.round(p.duration_s / 60)}} min</td></tr>
    <tr><td>cost</td><td>${{(p.cost_cents / 100).toFixed(2)}}</td></tr>
    <tr><td>CO2e</td><td>${{(p.co2e_g / 1000).toFixed(2)}} kg</td></tr>
    <tr><td>fill rate</td><td>${{p.fill_rate_pct}} %</td></tr></table></div>`);
  const group = L.featureGroup([line]);
  routeLayers.set(p.route_id, group);
  (dayLayers.get(p.day) || dayLayers.set(p.day, L.featureGroup()).get(p.day)).addLayer(group);
  bounds.extend(line.getBounds());
  const row = document.createElement("tr");
  row.className = "route-row";
  row.innerHTML = `<td><span class="swatch" style="background:${{p.stroke}}"></span>${{esc(p.route_id)}}</td>
    <td>${{p.orders}}</td><td>${{(p.distance_m / 1000).toFixed(1)}}</td><td>${{(p.co2e_g / 1000).toFixed(2)}}</td>`;
  row.addEventListener("click", () => {{ map.fitBounds(group.getBounds(), {{ padding: [30, 30] }}); line.openPopup(); }});
  document.querySelector("#routes tbody").appendChild(row);
}}
const KIND = {{ start: "start", end: "end", pickup: "pickup", delivery: "delivery", hub_drop: "drop at hub",
  hub_load: "load at hub", reload: "reload" }};
for (const f of feats) {{
  const p = f.properties;
  if (p.feature_type !== "stop") continue;
  const [x, y] = f.geometry.coordinates;
  const hub = p.kind === "start" || p.kind === "end" || p.kind === "reload";
  const m = L.circleMarker([y, x], {{ radius: hub ? 7 : 5, color: "#222", weight: 1, fillColor: p["marker-color"],
    fillOpacity: p.kind === "pickup" ? 0.45 : 0.95 }});
  m.bindPopup(`<div class="popup"><h3>${{esc(KIND[p.kind] || p.kind)}} · ${{esc(p.name || p.site_id)}}</h3><table>
    <tr><td>address</td><td>${{esc(p.address)}}</td></tr>
    <tr><td>route</td><td>${{esc(p.route_id)}} (stop ${{p.seq}})</td></tr>
    <tr><td>arrival</td><td>${{esc(p.arrival)}}</td></tr>
    <tr><td>departure</td><td>${{esc(p.departure)}}</td></tr>
    <tr><td>orders</td><td>${{esc(p.order_ids.join(", "))}}</td></tr>
    <tr><td>load after</td><td>${{(p.load_g / 1000).toFixed(1)}} kg, ${{p.load_parcels}} parcels</td></tr></table></div>`);
  (routeLayers.get(p.route_id) || L.featureGroup()).addLayer(m);
}}
const unassigned = L.featureGroup();
let nUn = 0;
for (const f of feats) {{
  const p = f.properties;
  if (p.feature_type !== "unassigned") continue;
  nUn += 1;
  const [x, y] = f.geometry.coordinates;
  L.circleMarker([y, x], {{ radius: 6, color: "#c00", weight: 2, fillColor: "#fff", fillOpacity: 1 }})
    .bindPopup(`<div class="popup"><h3>unassigned · ${{esc(p.order_id)}}</h3><p>${{esc(p.reason)}}: ${{esc(p.detail)}}</p></div>`)
    .addTo(unassigned);
  bounds.extend([y, x]);
  const li = document.createElement("li");
  li.innerHTML = `<b>${{esc(p.order_id)}}</b> — ${{esc(p.reason.replace(/_/g, " "))}}: ${{esc(p.detail)}}`;
  document.getElementById("unassigned-list").appendChild(li);
}}
if (nUn) document.getElementById("unassigned").textContent = `${{nUn}} unassigned order(s) shown as red rings.`;
const overlays = {{ "Road network": roads }};
for (const d of DATA.days) {{
  const layer = dayLayers.get(d.day);
  layer.addTo(map);
  overlays[d.label] = layer;
}}
if (nUn) {{ unassigned.addTo(map); overlays["Unassigned orders"] = unassigned; }}
L.control.layers({{ "Offline (road network only)": blank, "OpenStreetMap tiles (online)": tiles }}, overlays,
  {{ collapsed: false }}).addTo(map);
L.control.scale({{ imperial: false }}).addTo(map);
if (bounds.isValid()) map.fitBounds(bounds, {{ padding: [20, 20] }});
else if (roads.getLayers().length) map.fitBounds(L.featureGroup(roads.getLayers()).getBounds());
else map.setView([0, 0], 2);
</script>
</body>
</html>
"""
