/* Leaflet maps drawn offline: the loaded road network as the base layer, online tiles optional. */
"use strict";

const TourneeMap = (() => {
  const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];
  let basemapCache = null;

  async function basemap() {
    if (!basemapCache) basemapCache = Tournee.api("GET", Tournee.cfg.endpoints.basemap, { auth: false });
    return basemapCache;
  }

  function create(elementId, { onlineToggle } = {}) {
    const map = L.map(elementId, { preferCanvas: true, zoomSnap: 0.25, attributionControl: true });
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("© OpenStreetMap contributors");
    map.setView([Tournee.cfg.center[1], Tournee.cfg.center[0]], 14);
    const roads = L.geoJSON(null, { style: { color: "#9aa09c", weight: 1.2, opacity: 0.9 }, interactive: false }).addTo(map);
    basemap().then((doc) => {
      roads.addData(doc);
      if (!map._tourneeFitted && roads.getBounds().isValid()) map.fitBounds(roads.getBounds(), { padding: [10, 10] });
    }).catch((err) => Tournee.flash("error", Tournee.problemText(err)));
    let tiles = null;
    const toggle = onlineToggle && document.getElementById(onlineToggle);
    if (toggle) {
      toggle.addEventListener("change", () => {
        if (toggle.checked) {
          tiles = L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", { maxZoom: 19, opacity: 0.8 });
          tiles.addTo(map);
          tiles.bringToBack();
        } else if (tiles) {
          map.removeLayer(tiles);
          tiles = null;
        }
      });
    }
    const overlay = L.layerGroup().addTo(map);
    return { map, overlay };
  }

  /** Draw routes ({id, colour, line: [[lon,lat]…], stops: [{lon,lat,label,number}]}) and fit the view. */
  function drawRoutes(view, routes, { highlight } = {}) {
    view.overlay.clearLayers();
    const bounds = [];
    for (const r of routes) {
      const latlngs = r.line.map(([lon, lat]) => [lat, lon]);
      const strong = !highlight || highlight === r.id;
      L.polyline(latlngs, { color: r.colour, weight: strong ? 5 : 3, opacity: strong ? 0.95 : 0.35, dashArray: r.onRoads ? null : "6 6" })
        .bindTooltip(r.label)
        .addTo(view.overlay);
      for (const s of r.stops) {
        const m = L.circleMarker([s.lat, s.lon], {
          radius: s.number ? 8 : 6, color: "#000", weight: 1.5, fillColor: s.number ? "#fff" : r.colour, fillOpacity: 1,
        });
        if (s.number) m.bindTooltip(String(s.number), { permanent: strong, direction: "center", className: "stop-label" });
        if (s.label) m.bindPopup(s.label);
        m.addTo(view.overlay);
        bounds.push([s.lat, s.lon]);
      }
      latlngs.forEach((p) => bounds.push(p));
    }
    if (bounds.length) {
      view.map._tourneeFitted = true;
      view.map.fitBounds(bounds, { padding: [20, 20], maxZoom: 17 });
    }
  }

  return { PALETTE, create, drawRoutes };
})();
