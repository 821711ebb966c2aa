"""Seeded, reproducible week scenarios: built from an OSM map, or synthetic.

:func:`build_scenario` reads the map itself with pyosmium: shops, crafts, farms and
marketplaces become merchants (goods typical of their trade), addresses
(``addr:housenumber`` nodes and ways, residential buildings) become customers with a
generated name and phone, a depot is placed on the edge of the served area and a
micro-hub at its centre, one or two shops serve as relay points, and a week of orders
is drawn across the delivery tiers (express next day … within two weeks, relay point)
with customer windows, weights, volumes and parcels.  When a map has too few shops or
addresses (a rural extract), road points sampled beside the van network fill in.

:func:`synthetic_scenario` draws the same kind of week around a centre point without
any map (for benchmarks on matrices or :class:`~tournee.routing.travel.HaversineTravel`).

The same seed gives the same scenario, object for object.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from tournee.domain import (
    DAY_S,
    Customer,
    Fuel,
    Horizon,
    Hub,
    InvalidInput,
    Location,
    MapError,
    Merchant,
    Order,
    Profile,
    Site,
    SiteKind,
    Tier,
    TimeWindow,
    Vehicle,
    VehicleType,
)
from tournee.routing.graph import RoadNetwork

__all__ = [
    "DEFAULT_TIERS",
    "MapPlace",
    "OpeningHours",
    "Scenario",
    "ScenarioParams",
    "build_scenario",
    "default_vehicle_types",
    "extract_places",
    "synthetic_scenario",
    "with_orders",
]

log = logging.getLogger(__name__)

_M_PER_DEG = 111_195.08
_H = 3600

#: Tiers offered by the demo operator (day windows count days after the order day).
DEFAULT_TIERS: tuple[Tier, ...] = (
    Tier(code="express", name="Express, next day", min_days=1, max_days=1),
    Tier(code="standard", name="Standard, within 3 days", min_days=1, max_days=3),
    Tier(code="weekly", name="Weekly circuit", min_days=1, max_days=7),
    Tier(code="two_weeks", name="Within two weeks", min_days=1, max_days=14),
    Tier(code="relay", name="Relay point, within 5 days", min_days=1, max_days=5, relay=True),
)

# Share of orders per tier code (sums to 100).
_TIER_MIX: tuple[tuple[str, int], ...] = (
    ("express", 15),
    ("standard", 40),
    ("weekly", 25),
    ("two_weeks", 10),
    ("relay", 10),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class MapPlace:
    """A point of interest read from a map: a would-be merchant or a customer address."""

    osm_id: str  # "n123" for a node, "w45" for a way
    location: Location
    category: str  # shop/craft value, "farm", "marketplace", or "address"
    name: str = ""
    address: str = ""
    phone: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ScenarioParams:
    """What to draw: counts, the horizon and the seed.

    Parameters
    ----------
    orders : int
        Orders in the week.
    merchants : int
        Merchants taking part (at most this many; fewer if a map has fewer).
    vans, cargo_bikes : int
        Fleet size; bikes work from the micro-hub, vans from the depot.
    start : date
        First day of the horizon (default Monday 30 November 2026).
    days : int
        Horizon length in days (default 6, Monday to Saturday).
    seed : int
        Random seed: same seed, same scenario.
    pickup_at_hub_pct : int
        Share of orders whose goods already wait at the depot (percent).
    area_radius_m : int
        Served area on a map: places within this distance (metres) of the densest
        part of the map's addresses (a big regional extract is not one delivery area).
    """

    orders: int = 60
    merchants: int = 12
    vans: int = 2
    cargo_bikes: int = 2
    start: dt.date = dt.date(2026, 11, 30)
    days: int = 6
    seed: int = 0
    pickup_at_hub_pct: int = 10
    area_radius_m: int = 6_000

    def __post_init__(self) -> None:
        for name, minimum in (
            ("orders", 0),
            ("merchants", 1),
            ("vans", 0),
            ("cargo_bikes", 0),
            ("days", 1),
            ("pickup_at_hub_pct", 0),
            ("area_radius_m", 1),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise InvalidInput(
                    f"scenario: {name} must be an integer >= {minimum}, got {value!r}", pointer=f"/{name}"
                )
        if self.vans + self.cargo_bikes == 0:
            raise InvalidInput(
                "scenario: the fleet is empty (vans + cargo_bikes must be >= 1)", pointer="/vans"
            )
        if self.pickup_at_hub_pct > 100:
            raise InvalidInput(
                f"scenario: pickup_at_hub_pct must be <= 100, got {self.pickup_at_hub_pct}",
                pointer="/pickup_at_hub_pct",
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class OpeningHours:
    """When a merchant's goods can be picked up: daily hours on some weekdays."""

    merchant_id: str
    open_s: int  # seconds since local midnight
    close_s: int
    weekdays: frozenset[int] = frozenset(range(6))

    def __post_init__(self) -> None:
        if not 0 <= self.open_s <= self.close_s <= DAY_S:
            raise InvalidInput(
                f"opening hours of merchant {self.merchant_id!r}: close_s must satisfy "
                f"0 <= open_s <= close_s <= 86400, got {self.open_s}..{self.close_s}",
                pointer="/close_s",
            )

    def windows(self, horizon: Horizon, last_day: int) -> tuple[TimeWindow, ...]:
        """The pickup windows on days ``0 .. last_day`` of ``horizon``."""
        return tuple(
            TimeWindow(start_s=d * DAY_S + self.open_s, end_s=d * DAY_S + self.close_s)
            for d in range(min(last_day, horizon.days - 1) + 1)
            if horizon.weekday_of(d) in self.weekdays
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """Everything a week plan needs: horizon, hubs, parties, fleet, tiers and orders.

    ``hubs`` holds the depot(s), micro-hub(s) and relay points (their ``site.kind``
    tells which); every vehicle's ``depot_id`` names one of them.  ``opening_hours``
    gives merchants' pickup hours (the orders' ``pickup_windows`` were drawn from them).
    """

    name: str
    horizon: Horizon
    hubs: tuple[Hub, ...]
    merchants: tuple[Merchant, ...]
    customers: tuple[Customer, ...]
    vehicles: tuple[Vehicle, ...]
    orders: tuple[Order, ...]
    tiers: tuple[Tier, ...] = DEFAULT_TIERS
    seed: int = 0
    source: str = ""
    notes: tuple[str, ...] = field(default=())
    opening_hours: tuple[OpeningHours, ...] = ()

    def __post_init__(self) -> None:
        what = f"scenario '{self.name}'"
        for kind, items in (
            ("hub", self.hubs),
            ("merchant", self.merchants),
            ("customer", self.customers),
            ("vehicle", self.vehicles),
            ("order", self.orders),
        ):
            seen: set[str] = set()
            for item in items:
                if item.id in seen:
                    raise InvalidInput(f"{what}: duplicate {kind} id {item.id!r}", pointer=f"/{kind}s")
                seen.add(item.id)
        hub_ids = {h.id for h in self.hubs}
        for v in self.vehicles:
            for ref in (v.depot_id, v.end_depot_id):
                if ref is not None and ref not in hub_ids:
                    raise InvalidInput(
                        f"{what}: vehicle {v.id!r} refers to unknown hub {ref!r}", pointer="/vehicles"
                    )
        merchant_ids = {m.id for m in self.merchants}
        for o in self.orders:
            if o.merchant_id not in merchant_ids:
                raise InvalidInput(
                    f"{what}: order {o.id!r} refers to unknown merchant {o.merchant_id!r}",
                    pointer="/orders",
                )

    @property
    def vehicle_types(self) -> tuple[VehicleType, ...]:
        """The distinct vehicle types of the fleet, in fleet order."""
        seen: dict[str, VehicleType] = {}
        for v in self.vehicles:
            seen.setdefault(v.type.id, v.type)
        return tuple(seen.values())

    def hub(self, hub_id: str) -> Hub:
        """The hub with id ``hub_id``."""
        for h in self.hubs:
            if h.id == hub_id:
                return h
        raise InvalidInput(f"scenario '{self.name}': no hub {hub_id!r}")

    def sites(self) -> tuple[Site, ...]:
        """Every distinct site (hubs, pickups, deliveries), first occurrence first."""
        out: dict[str, Site] = {}
        for h in self.hubs:
            out.setdefault(h.site.id, h.site)
        for o in self.orders:
            out.setdefault(o.pickup.id, o.pickup)
            out.setdefault(o.delivery.id, o.delivery)
        return tuple(out.values())


# ---------------------------------------------------------------------------------------
# Reading the map


# Trades that sell a service rather than goods to deliver.
_SERVICE_SHOPS = frozenset(
    {
        "hairdresser",
        "beauty",
        "massage",
        "travel_agency",
        "funeral_directors",
        "tattoo",
        "laundry",
        "dry_cleaning",
        "vacant",
        "mall",
        "money_lender",
        "pawnbroker",
        "ticket",
        "lottery",
        "betting",
        "car_repair",
        "optician",
    }
)
_RESIDENTIAL_BUILDINGS = frozenset(
    {"residential", "apartments", "house", "detached", "semidetached_house", "terrace", "farm", "bungalow"}
)


def _address(tags: dict[str, str]) -> str:
    street = tags.get("addr:street") or tags.get("addr:place") or ""
    number = tags.get("addr:housenumber", "")
    town = " ".join(x for x in (tags.get("addr:postcode", ""), tags.get("addr:city", "")) if x)
    first = f"{street} {number}".strip()
    return ", ".join(x for x in (first, town) if x)


def _merchant_category(tags: dict[str, str]) -> str | None:
    shop = tags.get("shop")
    if shop and shop not in _SERVICE_SHOPS:
        return "shop" if shop == "yes" else shop
    if "craft" in tags:
        return f"craft:{tags['craft']}"
    if tags.get("place") == "farm" or tags.get("landuse") == "farmyard" or tags.get("building") == "farm":
        return "farm"
    if tags.get("amenity") == "marketplace":
        return "marketplace"
    return None


def _is_address(tags: dict[str, str]) -> bool:
    if "shop" in tags or "amenity" in tags or "tourism" in tags or "office" in tags:
        return False
    return "addr:housenumber" in tags or tags.get("building") in _RESIDENTIAL_BUILDINGS


def extract_places(path: Path) -> tuple[list[MapPlace], list[MapPlace]]:
    """Read would-be merchants and customer addresses from an OSM ``.pbf``.

    Parameters
    ----------
    path : Path
        An OSM extract.

    Returns
    -------
    (merchants, addresses) : two lists of MapPlace
        In file order; a way is placed at the mean of its nodes.

    Raises
    ------
    MapError
        If the file is missing or unreadable.
    """
    import osmium

    path = Path(path)
    if not path.is_file():
        raise MapError(f"map {str(path)!r}: no such file")
    merchants: list[MapPlace] = []
    addresses: list[MapPlace] = []
    keys = ("shop", "craft", "addr:housenumber", "building", "amenity", "place", "landuse")
    try:
        fp = osmium.FileProcessor(str(path)).with_locations().with_filter(osmium.filter.KeyFilter(*keys))
        for obj in fp:
            if isinstance(obj, osmium.osm.Node):
                if not obj.location.valid():
                    continue
                lon, lat, oid = obj.location.lon, obj.location.lat, f"n{obj.id}"
            elif isinstance(obj, osmium.osm.Way):
                pts = [(nd.lon, nd.lat) for nd in obj.nodes if nd.location.valid()]
                if not pts:
                    continue
                lon = sum(p[0] for p in pts) / len(pts)
                lat = sum(p[1] for p in pts) / len(pts)
                oid = f"w{obj.id}"
            else:
                continue
            tags = {t.k: t.v for t in obj.tags}
            category = _merchant_category(tags)
            if category is not None:
                merchants.append(
                    MapPlace(
                        osm_id=oid,
                        location=Location(lon=lon, lat=lat),
                        category=category,
                        name=tags.get("name", ""),
                        address=_address(tags),
                        phone=tags.get("phone", tags.get("contact:phone", "")),
                    )
                )
            elif _is_address(tags):
                addresses.append(
                    MapPlace(
                        osm_id=oid,
                        location=Location(lon=lon, lat=lat),
                        category="address",
                        address=_address(tags),
                    )
                )
    except RuntimeError as exc:
        raise MapError(f"map {str(path)!r}: unreadable ({exc})") from None
    log.info("places in %s: %d merchants, %d addresses", path.name, len(merchants), len(addresses))
    return merchants, addresses


def _near_roads(
    shops: list[MapPlace], homes: list[MapPlace], net: RoadNetwork | None, max_snap_m: int
) -> tuple[list[MapPlace], list[MapPlace]]:
    """The places within ``max_snap_m`` of the network (all of them without a network)."""
    places = shops + homes
    if net is None or not places:
        return shops, homes
    from tournee.routing.snap import Snapper

    snapped = Snapper(net).snap_all([(p.osm_id, p.location) for p in places], max_distance_m=max_snap_m)
    ok = snapped.on_network.tolist()
    return (
        [p for p, k in zip(shops, ok[: len(shops)], strict=True) if k],
        [p for p, k in zip(homes, ok[len(shops) :], strict=True) if k],
    )


def _road_places(net: RoadNetwork, count: int, *, seed: int, prefix: str, category: str) -> list[MapPlace]:
    from tournee.routing.snap import sample_road_points

    return [
        MapPlace(osm_id=pid, location=loc, category=category)
        for pid, loc in sample_road_points(net, count, seed=seed, prefix=prefix)
    ]


def _metres(a: Location, b: Location) -> float:
    kx = math.cos(math.radians((a.lat + b.lat) / 2))
    return math.hypot((a.lon - b.lon) * kx, a.lat - b.lat) * _M_PER_DEG


def _area_centre(places: Sequence[MapPlace], net: RoadNetwork | None) -> Location | None:
    """The place nearest the coordinate-wise median of ``places`` (or of the network's nodes)."""
    if places:
        lons = sorted(p.location.lon for p in places)
        lats = sorted(p.location.lat for p in places)
        mid = Location(lon=lons[len(lons) // 2], lat=lats[len(lats) // 2])
        return min(places, key=lambda p: (_metres(p.location, mid), p.osm_id)).location
    if net is not None and net.node_count:
        return Location(
            lon=float(sorted(net.node_lon)[net.node_count // 2]),
            lat=float(sorted(net.node_lat)[net.node_count // 2]),
        )
    return None


def _road_places_within(
    net: RoadNetwork, count: int, centre: Location, radius_m: int, *, seed: int, prefix: str, category: str
) -> list[MapPlace]:
    """``count`` road places inside the served disc (sampling more until enough fall inside)."""
    out: list[MapPlace] = []
    draw = count
    for attempt in range(6):
        sample = _road_places(
            net, draw, seed=seed + 1000 * attempt, prefix=f"{prefix}{attempt}-", category=category
        )
        out += [p for p in sample if _metres(p.location, centre) <= radius_m]
        if len(out) >= count:
            break
        draw *= 4
    return out[:count]


def build_scenario(
    path: Path,
    *,
    params: ScenarioParams = ScenarioParams(),
    network: RoadNetwork | None = None,
    max_snap_m: int = 300,
) -> Scenario:
    """A realistic week built from the map itself.

    Parameters
    ----------
    path : Path
        An OSM ``.pbf`` extract.
    params : ScenarioParams
        Counts, horizon and seed.
    network : RoadNetwork, optional
        The van network: places farther than ``max_snap_m`` from it are skipped, and
        road points sampled beside it fill in when the map has too few shops or
        addresses.  Without it every place is kept and a map with no shop or address
        is an error.
    max_snap_m : int, default 300
        Snapping limit used to keep places reachable, metres.

    Returns
    -------
    Scenario

    Raises
    ------
    MapError
        If the map is unreadable, or holds no shop and no address and no network was given.
    """
    rng = random.Random(params.seed)
    shops, homes = extract_places(path)
    shops, homes = _near_roads(shops, homes, network, max_snap_m)
    notes: list[str] = []
    # Keep one place per location (a shop and its building often share one).
    homes = list({(round(p.location.lon, 6), round(p.location.lat, 6)): p for p in homes}.values())
    # The served area: a disc around the middle of the map's addresses (or roads).
    centre = _area_centre(homes or shops, network)
    if centre is None:
        raise MapError(
            f"map {str(path)!r}: no shop, craft, farm, marketplace or address, and no road network given"
        )
    radius = params.area_radius_m
    shops = [p for p in shops if _metres(p.location, centre) <= radius]
    homes = [p for p in homes if _metres(p.location, centre) <= radius]
    want_customers = max(8, min(params.orders, 4 * max(1, params.orders // 3)))
    if len(shops) < params.merchants:
        if network is None and not shops:
            raise MapError(
                f"map {str(path)!r}: no shop, craft, farm or marketplace, and no road network given"
            )
        if network is not None:
            extra = params.merchants - len(shops)
            shops += _road_places_within(
                network, extra, centre, radius, seed=params.seed + 1, prefix="road-m", category="producer"
            )
            notes.append(f"{extra} merchants placed beside the roads (the map has few shops)")
    if len(homes) < want_customers and network is not None:
        extra = want_customers - len(homes)
        homes += _road_places_within(
            network, extra, centre, radius, seed=params.seed + 2, prefix="road-a", category="address"
        )
        notes.append(f"{extra} customer addresses placed beside the roads (the map has few addresses)")
    if not homes:
        raise MapError(f"map {str(path)!r}: no address or residential building, and no road network given")
    return _compose(
        name=f"{Path(path).stem.split('.')[0]}-week-seed{params.seed}",
        source=str(path),
        shops=shops,
        homes=homes,
        params=params,
        rng=rng,
        notes=notes,
    )


def synthetic_scenario(
    *,
    center: Location,
    radius_m: int = 5_000,
    params: ScenarioParams = ScenarioParams(),
    network: RoadNetwork | None = None,
) -> Scenario:
    """A week of orders around ``center`` with no map to read (benchmarks, tests).

    Parameters
    ----------
    center : Location
        Middle of the served area.
    radius_m : int, default 5000
        Places are drawn uniformly in this disc (metres) — or, with ``network``,
        beside its roads.
    params : ScenarioParams
        Counts, horizon and seed.
    network : RoadNetwork, optional
        Sample places beside these roads instead of in the disc.

    Returns
    -------
    Scenario
    """
    if isinstance(radius_m, bool) or not isinstance(radius_m, int) or radius_m <= 0:
        raise InvalidInput(
            f"scenario: radius_m must be an integer > 0, got {radius_m!r}", pointer="/radius_m"
        )
    rng = random.Random(params.seed)
    n_homes = max(8, params.orders)
    if network is not None:
        shops = _road_places(network, params.merchants, seed=params.seed + 1, prefix="m", category="producer")
        homes = _road_places(network, n_homes, seed=params.seed + 2, prefix="a", category="address")
    else:
        place_rng = random.Random(params.seed + 1)

        def disc(count: int, prefix: str, category: str) -> list[MapPlace]:
            out = []
            kx = _M_PER_DEG * math.cos(math.radians(center.lat))
            for k in range(count):
                r = radius_m * math.sqrt(place_rng.random())
                a = place_rng.uniform(0.0, 2 * math.pi)
                out.append(
                    MapPlace(
                        osm_id=f"{prefix}{k}",
                        location=Location(
                            lon=center.lon + r * math.cos(a) / kx,
                            lat=center.lat + r * math.sin(a) / _M_PER_DEG,
                        ),
                        category=category,
                    )
                )
            return out

        shops = disc(params.merchants, "m", "producer")
        homes = disc(n_homes, "a", "address")
    return _compose(
        name=f"synthetic-{params.orders}-seed{params.seed}",
        source="synthetic",
        shops=shops,
        homes=homes,
        params=params,
        rng=rng,
        notes=[],
    )


# ---------------------------------------------------------------------------------------
# Composing the week


@dataclass(frozen=True, slots=True)
class _Goods:
    kg: tuple[float, float]  # weight range per order
    litres_per_kg: float
    chilled_pct: int


_GOODS = {
    "food": _Goods((2.0, 12.0), 2.0, 40),
    "farm": _Goods((4.0, 18.0), 2.2, 50),
    "drinks": _Goods((6.0, 20.0), 1.2, 0),
    "bulky": _Goods((12.0, 45.0), 8.0, 0),
    "small": _Goods((0.3, 3.0), 4.0, 0),
    "garden": _Goods((2.0, 15.0), 5.0, 0),
}
_FOOD = frozenset(
    {
        "supermarket",
        "convenience",
        "deli",
        "bakery",
        "butcher",
        "greengrocer",
        "cheese",
        "seafood",
        "tea",
        "coffee",
        "confectionery",
        "chocolate",
        "pastry",
        "wine",
        "marketplace",
        "food",
        "health_food",
        "organic",
        "kiosk",
    }
)
_BULKY = frozenset(
    {"furniture", "bed", "carpet", "hardware", "doityourself", "electronics", "appliance", "kitchen"}
)


def _goods_of(category: str) -> _Goods:
    if category in ("farm", "producer") or category.startswith("craft:"):
        return _GOODS["farm"] if category != "craft:carpenter" else _GOODS["bulky"]
    if category in _FOOD:
        return _GOODS["food"]
    if category in ("alcohol", "beverages"):
        return _GOODS["drinks"]
    if category in _BULKY:
        return _GOODS["bulky"]
    if category in ("florist", "garden_centre"):
        return _GOODS["garden"]
    return _GOODS["small"]


_FIRST = [
    "Aino",
    "Eero",
    "Helmi",
    "Juho",
    "Lea",
    "Mikko",
    "Noora",
    "Olli",
    "Sanna",
    "Timo",
    "Anna",
    "Louis",
    "Camille",
    "Hugo",
    "Léa",
    "Marc",
    "Inès",
    "Paul",
    "Sofia",
    "Lucas",
    "Emma",
    "Jules",
    "Chloé",
    "Nathan",
    "Maya",
    "Élise",
    "Karim",
    "Amira",
    "Tomás",
    "Ines",
]
_LAST = [
    "Virtanen",
    "Korhonen",
    "Mäkinen",
    "Nieminen",
    "Laine",
    "Heikkinen",
    "Koskinen",
    "Järvinen",
    "Lehtonen",
    "Salo",
    "Martin",
    "Bernard",
    "Dubois",
    "Moreau",
    "Laurent",
    "Girard",
    "Roux",
    "Fournier",
    "Morel",
    "Lefèvre",
    "Garcia",
    "Rossi",
    "Silva",
    "Novak",
    "Haddad",
]


def _phone(rng: random.Random) -> str:
    return f"0{rng.choice((40, 44, 45, 50))} {rng.randrange(100, 1000)} {rng.randrange(1000, 10000)}"


def _centroid(places: Sequence[MapPlace]) -> tuple[float, float]:
    return (
        sum(p.location.lon for p in places) / len(places),
        sum(p.location.lat for p in places) / len(places),
    )


def _dist2(a: Location, lon: float, lat: float) -> float:
    kx = math.cos(math.radians(lat))
    return ((a.lon - lon) * kx) ** 2 + (a.lat - lat) ** 2


def default_vehicle_types() -> dict[str, VehicleType]:
    """The demo operator's vehicle types: a diesel van, an electric van and an e-cargo bike.

    Capacities and consumption are typical catalogue figures (diesel 3.5 t van
    8.5 L/100 km; electric van 22 kWh/100 km; e-cargo bike 2.5 kWh/100 km); costs are
    illustrative euros.
    """
    return {
        "van-diesel": VehicleType(
            id="van-diesel",
            profile=Profile.VAN,
            capacity_g=800_000,
            capacity_ml=6_000_000,
            capacity_parcels=120,
            fixed_cost_cents_per_day=6_000,
            cost_cents_per_km=35,
            cost_cents_per_hour=2_500,
            fuel=Fuel.DIESEL,
            fuel_ml_per_100km=8_500,
            skills=frozenset({"chilled"}),
        ),
        "van-electric": VehicleType(
            id="van-electric",
            profile=Profile.VAN,
            capacity_g=600_000,
            capacity_ml=4_500_000,
            capacity_parcels=100,
            fixed_cost_cents_per_day=7_000,
            cost_cents_per_km=15,
            cost_cents_per_hour=2_500,
            fuel=Fuel.ELECTRIC,
            energy_wh_per_100km=22_000,
        ),
        "cargo-bike": VehicleType(
            id="cargo-bike",
            profile=Profile.CARGO_BIKE,
            capacity_g=150_000,
            capacity_ml=1_000_000,
            capacity_parcels=24,
            fixed_cost_cents_per_day=2_500,
            cost_cents_per_km=2,
            cost_cents_per_hour=2_000,
            fuel=Fuel.ELECTRIC,
            energy_wh_per_100km=2_500,
        ),
    }


def _fleet(params: ScenarioParams, depot: Hub, micro: Hub) -> tuple[Vehicle, ...]:
    types = default_vehicle_types()
    out: list[Vehicle] = []
    for k in range(params.vans):
        if k % 2 == 0:
            # The diesel van works every weekday, long shift.
            out.append(
                Vehicle(
                    id=f"van-{k + 1}",
                    type=types["van-diesel"],
                    depot_id=depot.id,
                    working_weekdays=frozenset(range(5)),
                    shift_start_s=7 * _H,
                    shift_end_s=19 * _H,
                )
            )
        else:
            # The electric van runs the weekly circuit on Tuesdays and Fridays (and Saturdays).
            out.append(
                Vehicle(
                    id=f"van-{k + 1}",
                    type=types["van-electric"],
                    depot_id=depot.id,
                    working_weekdays=frozenset({1, 4, 5}),
                    shift_start_s=8 * _H,
                    shift_end_s=18 * _H,
                )
            )
    for k in range(params.cargo_bikes):
        out.append(
            Vehicle(
                id=f"bike-{k + 1}",
                type=types["cargo-bike"],
                depot_id=micro.id,
                working_weekdays=frozenset(range(6)),
                shift_start_s=8 * _H,
                shift_end_s=18 * _H,
                max_trips_per_day=3,
                reload_s=900,
            )
        )
    return tuple(out)


def _compose(
    *,
    name: str,
    source: str,
    shops: list[MapPlace],
    homes: list[MapPlace],
    params: ScenarioParams,
    rng: random.Random,
    notes: list[str],
) -> Scenario:
    horizon = Horizon(start=params.start, days=params.days)
    days = params.days
    # Hubs: the micro-hub near the middle of the customers, the depot at their edge.
    clon, clat = _centroid(homes)
    by_centre = sorted(homes, key=lambda p: (_dist2(p.location, clon, clat), p.osm_id))
    micro_place = by_centre[0]
    # Towards the edge, not at the farthest outlier.
    depot_place = by_centre[(len(by_centre) - 1) * 85 // 100]
    depot = Hub(
        id="depot",
        name="Depot",
        site=Site(
            id="depot",
            location=depot_place.location,
            kind=SiteKind.DEPOT,
            name="Depot",
            address=depot_place.address,
        ),
        open_s=6 * _H,
        close_s=21 * _H,
        handling_s=0,
    )
    micro = Hub(
        id="micro-hub",
        name="Micro-hub",
        site=Site(
            id="micro-hub",
            location=micro_place.location,
            kind=SiteKind.MICRO_HUB,
            name="Micro-hub",
            address=micro_place.address,
        ),
        open_s=7 * _H,
        close_s=20 * _H,
        open_weekdays=frozenset(range(6)),
        handling_s=30 * 60,
    )
    # Merchants: a seeded sample, food and producers first, then the named ones.
    shops = sorted(shops, key=lambda p: (_goods_of(p.category) is _GOODS["small"], p.name == "", p.osm_id))
    pool = shops[: max(params.merchants * 3, params.merchants)]
    chosen = rng.sample(pool, min(params.merchants, len(pool)))
    chosen.sort(key=lambda p: p.osm_id)
    merchants: list[Merchant] = []
    goods: dict[str, _Goods] = {}
    for k, p in enumerate(chosen):
        mid = f"m-{k + 1:02d}"
        label = p.name or f"{p.category.replace('craft:', '').replace('_', ' ').capitalize()} {k + 1}"
        merchants.append(
            Merchant(
                id=mid,
                name=label,
                site=Site(
                    id=f"site-{mid}",
                    location=p.location,
                    kind=SiteKind.MERCHANT,
                    name=label,
                    address=p.address,
                ),
                phone=p.phone or _phone(rng),
            )
        )
        goods[mid] = _goods_of(p.category)
    # Relay points: up to two shops not taking part as merchants, else merchants themselves.
    taken = {p.osm_id for p in chosen}
    relay_pool = [p for p in shops if p.osm_id not in taken and p.category in _FOOD] or chosen
    relays = []
    for k, p in enumerate(rng.sample(relay_pool, min(2, len(relay_pool)))):
        rid = f"relay-{k + 1}"
        label = f"Relay point — {p.name}" if p.name else f"Relay point {k + 1}"
        relays.append(
            Hub(
                id=rid,
                name=label,
                site=Site(
                    id=rid, location=p.location, kind=SiteKind.RELAY_POINT, name=label, address=p.address
                ),
                open_s=9 * _H,
                close_s=19 * _H,
                open_weekdays=frozenset(range(6)),
            )
        )
    # Customers.
    n_customers = min(len(homes), max(8, params.orders))
    home_sample = rng.sample(homes, n_customers) if len(homes) > n_customers else list(homes)
    customers = []
    for k, p in enumerate(home_sample):
        cid = f"c-{k + 1:04d}"
        person = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        first = unicodedata.normalize("NFKD", person.split()[0]).encode("ascii", "ignore").decode().lower()
        email = None if rng.random() < 0.6 else f"{first}.{k + 1}@example.org"
        customers.append(
            Customer(
                id=cid,
                name=person,
                site=Site(
                    id=f"site-{cid}",
                    location=p.location,
                    kind=SiteKind.CUSTOMER,
                    name=person,
                    address=p.address,
                ),
                phone=_phone(rng),
                email=email,
            )
        )
    vehicles = _fleet(params, depot, micro)
    tiers = {t.code: t for t in DEFAULT_TIERS}
    # Shops open 09:00-18:00, Monday to Saturday.
    hours = {m.id: OpeningHours(merchant_id=m.id, open_s=9 * _H, close_s=18 * _H) for m in merchants}
    # Popular merchants get more orders (Zipf-like weights).
    weights = [1.0 / (k + 1) ** 0.8 for k in range(len(merchants))]
    tier_codes = [c for c, _ in _TIER_MIX]
    tier_weights = [w for _, w in _TIER_MIX]
    orders = []
    for k in range(params.orders):
        merchant = rng.choices(merchants, weights=weights)[0]
        customer = rng.choice(customers)
        code = rng.choices(tier_codes, weights=tier_weights)[0]
        if code == "relay" and not relays:
            code = "standard"
        tier = tiers[code]
        order_day = rng.choice((-1, 0, 0, 1, 1, 2))
        earliest = max(0, order_day + tier.min_days)
        latest = min(days - 1, order_day + tier.max_days)
        if earliest > latest:  # a short horizon: deliver on its last day
            earliest = latest = days - 1
        g = goods[merchant.id]
        kg = rng.uniform(*g.kg)
        weight_g = round(kg * 1000 / 50) * 50 or 50
        volume_ml = round(kg * g.litres_per_kg * 1000 / 100) * 100
        parcels = 1 + int(kg // 8)
        skills = frozenset({"chilled"}) if rng.randrange(100) < g.chilled_pct else frozenset()
        windows, window_note = _windows(rng, horizon, earliest, latest)
        delivery = customer.site
        if tier.relay:
            delivery = rng.choice(relays).site
        at_hub = rng.randrange(100) < params.pickup_at_hub_pct
        pickup = depot.site if at_hub else merchant.site
        pickup_windows = () if at_hub else hours[merchant.id].windows(horizon, latest)
        orders.append(
            Order(
                id=f"o-{k + 1:04d}",
                merchant_id=merchant.id,
                pickup=pickup,
                delivery=delivery,
                weight_g=weight_g,
                volume_ml=volume_ml,
                parcels=parcels,
                earliest_day=earliest,
                latest_day=latest,
                windows=windows,
                pickup_windows=pickup_windows,
                service_s=rng.choice((120, 180, 240)),
                pickup_service_s=rng.choice((60, 120)),
                skills=skills,
                tier=code,
                customer_id=customer.id,
                value_cents=rng.randrange(1_000, 20_000, 50),
                notes=window_note,
                pickup_at_hub=at_hub,
            )
        )
    return Scenario(
        name=name,
        horizon=horizon,
        hubs=(depot, micro, *relays),
        merchants=tuple(merchants),
        customers=tuple(customers),
        vehicles=vehicles,
        orders=tuple(orders),
        tiers=DEFAULT_TIERS,
        seed=params.seed,
        source=source,
        notes=tuple(notes),
        opening_hours=tuple(hours.values()),
    )


def _windows(
    rng: random.Random, horizon: Horizon, earliest: int, latest: int
) -> tuple[tuple[TimeWindow, ...], str]:
    """Customer windows: none (most), weekday evenings, mornings, or one given morning."""
    draw = rng.randrange(100)
    days = range(earliest, latest + 1)
    if draw < 20:
        ws = tuple(TimeWindow(start_s=d * DAY_S + 17 * _H, end_s=d * DAY_S + 20 * _H) for d in days)
        weekday = tuple(w for w in ws if horizon.weekday_of(w.day) < 5)
        if weekday:
            return weekday, "weekdays after 17:00"
        return ws, "after 17:00"
    if draw < 35:
        return (
            tuple(TimeWindow(start_s=d * DAY_S + 8 * _H, end_s=d * DAY_S + 12 * _H) for d in days),
            "mornings",
        )
    if draw < 45:
        d = rng.choice(list(days))
        name = horizon.date_of(d).strftime("%A")
        return (TimeWindow(start_s=d * DAY_S + 9 * _H, end_s=d * DAY_S + 12 * _H),), f"{name} morning"
    return (), ""


def with_orders(scenario: Scenario, orders: Sequence[Order]) -> Scenario:
    """The scenario with ``orders`` instead of its own (validated again)."""
    return replace(scenario, orders=tuple(orders))
