"""Offline address search over the ``addr:*`` tags of the OSM extract, and an optional geocoder.

The index is built with pyosmium on first use (street, house number, postcode, city and
a point: the node, or the mean of a way's nodes), cached as JSON under the data
directory, and searched by token prefixes — "mannerh 5 hels" finds
"Mannerheimintie 5, 00100 Helsinki".  When nothing matches and an online geocoder
(Nominatim-compatible) is configured, it is asked instead.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import unicodedata
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tournee.domain import MapError

__all__ = ["AddressIndex", "AddressRecord", "build_records", "normalise"]

log = logging.getLogger(__name__)

_INDEX_FORMAT = 1


def normalise(text: str) -> str:
    """Case- and accent-insensitive form used for matching."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True, slots=True, kw_only=True)
class AddressRecord:
    """One address point of the map."""

    street: str
    housenumber: str
    postcode: str
    city: str
    lon: float
    lat: float

    @property
    def label(self) -> str:
        place = " ".join(p for p in (self.postcode, self.city) if p)
        return f"{self.street} {self.housenumber}" + (f", {place}" if place else "")


def build_records(map_path: Path) -> list[AddressRecord]:
    """Read every node and way with ``addr:street`` and ``addr:housenumber`` from ``map_path``.

    Raises
    ------
    MapError
        If the file is missing or unreadable.
    """
    import osmium

    if not map_path.is_file():
        raise MapError(f"map {str(map_path)!r}: no such file")
    records: dict[tuple[str, str, str], AddressRecord] = {}

    def keep(tags: Any, lon: float, lat: float) -> None:
        street, number = tags.get("addr:street"), tags.get("addr:housenumber")
        if not street or not number:
            return
        rec = AddressRecord(
            street=street,
            housenumber=number,
            postcode=tags.get("addr:postcode", ""),
            city=tags.get("addr:city", ""),
            lon=round(lon, 7),
            lat=round(lat, 7),
        )
        records.setdefault((normalise(street), normalise(number), rec.postcode), rec)

    try:
        fp = osmium.FileProcessor(str(map_path), osmium.osm.NODE | osmium.osm.WAY).with_locations()
        for obj in fp:
            if isinstance(obj, osmium.osm.Node):
                if "addr:housenumber" in obj.tags and obj.location.valid():
                    keep(obj.tags, obj.location.lon, obj.location.lat)
            elif isinstance(obj, osmium.osm.Way) and "addr:housenumber" in obj.tags:
                points = [(n.lon, n.lat) for n in obj.nodes if n.location.valid()]
                if points:
                    keep(
                        obj.tags,
                        sum(p[0] for p in points) / len(points),
                        sum(p[1] for p in points) / len(points),
                    )
    except RuntimeError as exc:
        raise MapError(f"map {str(map_path)!r}: cannot read addresses: {exc}") from None
    return sorted(records.values(), key=lambda r: (r.street, r.housenumber))


Fetch = Callable[[str], Any]


def _fetch_json(url: str) -> Any:
    request = urllib.request.Request(url, headers={"User-Agent": "tournee (address search)"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read(1_000_000))


class AddressIndex:
    """Address autocomplete for phone orders: offline first, online geocoder optional."""

    def __init__(
        self, map_path: Path, *, cache_dir: Path | None, geocoder_url: str = "", fetch: Fetch | None = None
    ) -> None:
        self.map_path = map_path
        self.cache_dir = cache_dir
        self.geocoder_url = geocoder_url.rstrip("/")
        self._fetch = fetch or _fetch_json
        self._lock = threading.Lock()
        self._records: list[AddressRecord] | None = None
        self._keys: list[tuple[list[str], str]] = []

    def _cache_file(self) -> Path | None:
        if self.cache_dir is None or not self.map_path.is_file():
            return None
        st = self.map_path.stat()
        key = hashlib.sha256(f"{self.map_path.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[
            :16
        ]
        return self.cache_dir / f"addresses-{key}.json"

    def records(self) -> list[AddressRecord]:
        """The index, built (or read from the cache) on first use."""
        with self._lock:
            if self._records is None:
                self._records = self._load()
                self._keys = [
                    (
                        normalise(f"{r.street} {r.housenumber} {r.postcode} {r.city}")
                        .replace(",", " ")
                        .split(),
                        normalise(r.housenumber),
                    )
                    for r in self._records
                ]
            return self._records

    def _load(self) -> list[AddressRecord]:
        cache = self._cache_file()
        if cache is not None and cache.is_file():
            try:
                doc = json.loads(cache.read_text(encoding="utf-8"))
                if doc.get("format") == _INDEX_FORMAT:
                    return [AddressRecord(**r) for r in doc["records"]]
            except (ValueError, KeyError, TypeError):
                log.warning("address cache %s unreadable; rebuilding", cache)
        records = build_records(self.map_path)
        log.info("address index: %d addresses from %s", len(records), self.map_path.name)
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            body = {"format": _INDEX_FORMAT, "records": [_asdict(r) for r in records]}
            tmp = cache.with_suffix(".tmp")
            tmp.write_text(json.dumps(body), encoding="utf-8")
            tmp.replace(cache)
        return records

    def search(self, query: str, *, limit: int = 10) -> list[tuple[AddressRecord, str]]:
        """Addresses whose words start with every word of ``query``, best first.

        Returns
        -------
        list of (AddressRecord, source)
            ``source`` is ``"osm"`` (offline index) or ``"geocoder"``.
        """
        tokens = normalise(query).replace(",", " ").split()
        if not tokens:
            return []
        records = self.records()
        scored: list[tuple[tuple[int, int, str], int]] = []
        for i, (words, number) in enumerate(self._keys):
            if all(any(w.startswith(t) for w in words) for t in tokens):
                exact_number = 0 if any(t == number for t in tokens) else 1
                exact_words = -sum(1 for t in tokens if t in words)
                scored.append(((exact_number, exact_words, records[i].street), i))
        scored.sort()
        hits = [(records[i], "osm") for _, i in scored[:limit]]
        if not hits and self.geocoder_url:
            hits = [(r, "geocoder") for r in self._online(query, limit=limit)]
        return hits

    def geocode_one(self, address: str) -> tuple[float, float] | None:
        """Coordinates of the best match for a full address, or None."""
        hits = self.search(address, limit=1)
        if not hits:
            return None
        return hits[0][0].lon, hits[0][0].lat

    def _online(self, query: str, *, limit: int) -> list[AddressRecord]:
        url = f"{self.geocoder_url}/search?" + urllib.parse.urlencode(
            {"q": query, "format": "jsonv2", "addressdetails": 1, "limit": limit}
        )
        try:
            doc = self._fetch(url)
        except (OSError, ValueError) as exc:
            log.warning("online geocoder failed: %s", exc)
            return []
        out: list[AddressRecord] = []
        for item in doc if isinstance(doc, list) else []:
            try:
                addr = item.get("address", {}) or {}
                out.append(
                    AddressRecord(
                        street=str(addr.get("road") or item.get("display_name", ""))[:200],
                        housenumber=str(addr.get("house_number", "")),
                        postcode=str(addr.get("postcode", "")),
                        city=str(addr.get("city") or addr.get("town") or addr.get("village") or ""),
                        lon=float(item["lon"]),
                        lat=float(item["lat"]),
                    )
                )
            except (KeyError, TypeError, ValueError, AttributeError):
                continue
        return [r for r in out if -180 <= r.lon <= 180 and -90 <= r.lat <= 90]


def _asdict(record: AddressRecord) -> dict[str, Any]:
    return {f: getattr(record, f) for f in ("street", "housenumber", "postcode", "city", "lon", "lat")}
