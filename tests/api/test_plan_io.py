"""Plan JSON round trip, GeoJSON export, and the fleet/orders input files."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tournee.api.services.plan_io import (
    OSM_ATTRIBUTION,
    plan_from_json,
    plan_geojson,
    plan_to_json,
    read_fleet,
    read_orders,
    read_plan,
    route_lines,
    write_inputs,
    write_plan,
)
from tournee.domain import (
    DAY_S,
    Footprint,
    Horizon,
    InvalidInput,
    LegKind,
    Location,
    OrderLeg,
    Plan,
    Profile,
    Route,
    SolverStats,
    Stop,
    StopKind,
    Unassigned,
    UnassignedReason,
    UnknownReference,
    UnknownTier,
)
from tournee.routing.scenario import Scenario, ScenarioParams, synthetic_scenario

DOCS = Path(__file__).resolve().parents[2] / "docs" / "formats.md"


def _block(lang: str) -> str:
    """The first ``lang`` code block of docs/formats.md (the documented example)."""
    m = re.search(rf"```{lang}\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    assert m, lang
    return m.group(1)


@pytest.fixture
def fleet_toml(tmp_path: Path) -> Path:
    """The fleet.toml example of docs/formats.md: 3 hubs, 2 merchants, a van and 2 bikes."""
    p = tmp_path / "fleet.toml"
    p.write_text(_block("toml"), encoding="utf-8")
    return p


@pytest.fixture
def orders_csv(tmp_path: Path) -> Path:
    """The orders.csv example of docs/formats.md: four orders across tiers, one to a relay point."""
    p = tmp_path / "orders.csv"
    p.write_text(_block("csv"), encoding="utf-8")
    return p


def small_plan(scenario: Scenario) -> Plan:
    """A hand-made plan over a scenario: each order picked up and delivered by van-1 on its earliest day."""
    depot = scenario.hubs[0].site
    routes, legs = [], []
    by_day: dict[int, list] = {}
    for o in scenario.orders[:-1]:
        by_day.setdefault(o.earliest_day, []).append(o)
    for day, orders in sorted(by_day.items()):
        t = day * DAY_S + 8 * 3600
        stops = [
            Stop(kind=StopKind.START, site_id=depot.id, location=depot.location, arrival_s=t, departure_s=t)
        ]
        load = 0
        for o in orders:
            t += 600
            load += o.weight_g
            stops.append(
                Stop(
                    kind=StopKind.PICKUP,
                    site_id=o.pickup.id,
                    location=o.pickup.location,
                    arrival_s=t,
                    departure_s=t + 60,
                    order_ids=(o.id,),
                    load_g=load,
                    distance_from_prev_m=900,
                    duration_from_prev_s=540,
                )
            )
        for o in orders:
            t += 600
            load -= o.weight_g
            w = o.windows[0] if o.windows else None
            stops.append(
                Stop(
                    kind=StopKind.DELIVERY,
                    site_id=o.delivery.id,
                    location=o.delivery.location,
                    arrival_s=t,
                    departure_s=t + o.service_s,
                    order_ids=(o.id,),
                    window_start_s=w.start_s if w else None,
                    window_end_s=w.end_s if w else None,
                    load_g=load,
                    distance_from_prev_m=700,
                    duration_from_prev_s=480,
                )
            )
            legs.append(
                OrderLeg(
                    order_id=o.id,
                    kind=LegKind.DOOR_TO_DOOR,
                    route_id=f"r-{day}",
                    day=day,
                    footprint=Footprint(
                        ttw_co2e_g=120, wtt_co2e_g=30, factor_id="diesel-fr", source="Arrêté 2017", year=2017
                    ),
                    cost_cents=250,
                    allocation_distance_m=1200,
                )
            )
        stops.append(
            Stop(
                kind=StopKind.END,
                site_id=depot.id,
                location=depot.location,
                arrival_s=t + 900,
                departure_s=t + 900,
            )
        )
        routes.append(
            Route(
                id=f"r-{day}",
                vehicle_id="van-1",
                profile=Profile.VAN,
                day=day,
                stops=tuple(stops),
                distance_m=12_345,
                duration_s=t + 900 - stops[0].arrival_s,
                cost_cents=8_000,
                footprint=Footprint(ttw_co2e_g=120 * len(orders), wtt_co2e_g=30 * len(orders)),
                fill_rate_pct=12,
            )
        )
    last = scenario.orders[-1]
    return Plan(
        id="plan-test",
        horizon=scenario.horizon,
        routes=tuple(routes),
        legs=tuple(legs),
        unassigned=(
            Unassigned(
                order_id=last.id, reason=UnassignedReason.CAPACITY, detail="heavier than every vehicle"
            ),
        ),
        stats=SolverStats(
            status="SUCCESS", objective=123_456, wall_s=1.234567, first_solution_s=0.1, solutions=7
        ),
        carbon_price_cents_per_t=7_500,
    )


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    """Twelve synthetic orders around central Helsinki (no map needed)."""
    return synthetic_scenario(
        center=Location(lon=24.944, lat=60.170), radius_m=700, params=ScenarioParams(orders=12, seed=4)
    )


def test_plan_json_round_trip_is_lossless(scenario: Scenario, tmp_path: Path) -> None:
    plan = small_plan(scenario)
    assert plan_from_json(json.loads(json.dumps(plan_to_json(plan)))) == plan
    path = write_plan(plan, tmp_path / "out" / "plan.json")
    assert read_plan(path) == plan
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["format"] == "tournee.plan/1"
    assert doc["totals"]["orders_served"] == len(plan.served_order_ids)
    assert doc["attribution"] == OSM_ATTRIBUTION


_ints = st.integers(min_value=0, max_value=10**9)


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    """Arbitrary well-typed plans (values need not make routing sense)."""
    horizon = Horizon(
        start=draw(st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1))), days=draw(st.integers(1, 31))
    )
    text = st.text(min_size=1, max_size=12)
    stop = st.builds(
        Stop,
        kind=st.sampled_from(StopKind),
        site_id=text,
        location=st.builds(Location, lon=st.floats(-180, 180), lat=st.floats(-90, 90)),
        arrival_s=_ints,
        departure_s=_ints,
        order_ids=st.lists(text, max_size=3).map(tuple),
        window_start_s=st.none() | _ints,
        window_end_s=st.none() | _ints,
        load_g=_ints,
    )
    foot = st.builds(
        Footprint,
        ttw_co2e_g=_ints,
        wtt_co2e_g=_ints,
        factor_id=st.text(max_size=5),
        year=st.integers(0, 3000),
    )
    route = st.builds(
        Route,
        id=text,
        vehicle_id=text,
        profile=st.sampled_from(Profile),
        day=st.integers(0, 30),
        stops=st.lists(stop, max_size=4).map(tuple),
        distance_m=_ints,
        duration_s=_ints,
        cost_cents=_ints,
        footprint=foot,
        trip=st.integers(0, 3),
        locked=st.booleans(),
    )
    leg = st.builds(
        OrderLeg,
        order_id=text,
        kind=st.sampled_from(LegKind),
        route_id=st.none() | text,
        day=st.integers(0, 30),
        footprint=foot,
    )
    return Plan(
        id=draw(text),
        horizon=horizon,
        routes=tuple(draw(st.lists(route, max_size=3))),
        legs=tuple(draw(st.lists(leg, max_size=3))),
        unassigned=tuple(
            draw(
                st.lists(
                    st.builds(
                        Unassigned, order_id=text, reason=st.sampled_from(UnassignedReason), detail=st.text()
                    ),
                    max_size=2,
                )
            )
        ),
        stats=draw(
            st.builds(
                SolverStats,
                status=text,
                objective=st.integers(-(10**12), 10**12),
                wall_s=st.floats(0, 1e6),
                first_solution_s=st.none() | st.floats(0, 1e6),
            )
        ),
        carbon_price_cents_per_t=draw(_ints),
        currency=draw(st.sampled_from(["EUR", "CAD"])),
    )


@given(plan=plans())
def test_any_plan_survives_json(plan: Plan) -> None:
    assert plan_from_json(json.loads(json.dumps(plan_to_json(plan)))) == plan


def test_a_broken_plan_file_names_the_field(tmp_path: Path, scenario: Scenario) -> None:
    doc = plan_to_json(small_plan(scenario))
    doc["routes"][0]["stops"][1]["arrival_s"] = "soon"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"bad.json.*/routes/0/stops/1/arrival_s"):
        read_plan(bad)
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(InvalidInput, match="not readable JSON"):
        read_plan(bad)
    with pytest.raises(InvalidInput, match="format"):
        plan_from_json({"format": "something-else"})


def test_geojson_has_routes_stops_unassigned_and_attribution(scenario: Scenario) -> None:
    plan = small_plan(scenario)
    sites = {s.id: s for s in scenario.sites()}
    gj = plan_geojson(plan, sites=sites, orders=scenario.orders)
    assert gj["type"] == "FeatureCollection"
    assert "OpenStreetMap contributors" in gj["attribution"]
    kinds = [f["properties"]["feature_type"] for f in gj["features"]]
    assert kinds.count("route") == len(plan.routes)
    assert kinds.count("stop") == sum(len(r.stops) for r in plan.routes)
    assert kinds.count("unassigned") == 1
    route = next(f for f in gj["features"] if f["properties"]["feature_type"] == "route")
    assert route["geometry"]["type"] == "LineString"
    assert len(route["geometry"]["coordinates"]) >= 2
    assert route["properties"]["stroke"].startswith("#")
    stop = next(f for f in gj["features"] if f["properties"].get("kind") == "delivery")
    assert re.match(r"\w{3} \d{4}-\d{2}-\d{2} \d{2}:\d{2}", stop["properties"]["arrival"])
    json.dumps(gj)  # serialisable as is


def test_routes_follow_the_roads_when_a_network_is_given(helsinki_pbf: Path, tmp_path: Path) -> None:
    from tournee.routing.matrix import RoadTravel
    from tournee.routing.network import load_networks

    nets = load_networks(helsinki_pbf, profiles=(Profile.VAN,), cache_dir=tmp_path)
    travel = RoadTravel(nets, cache_dir=tmp_path)
    scenario = synthetic_scenario(
        center=Location(lon=24.944, lat=60.170),
        params=ScenarioParams(orders=6, seed=2),
        network=nets[Profile.VAN],
    )
    plan = small_plan(scenario)
    straight = route_lines(plan)
    road = route_lines(plan, travel)
    assert straight.keys() == road.keys()
    for rid in road:
        # Along the streets: many more vertices than one per stop.
        assert len(road[rid]) > len(straight[rid])


# --- input files -------------------------------------------------------------------------


def test_documented_examples_read_back(fleet_toml: Path, orders_csv: Path) -> None:
    fleet = read_fleet(fleet_toml)
    assert fleet.horizon == Horizon(start=dt.date(2026, 11, 30), days=6)
    assert [v.id for v in fleet.vehicles] == ["van-1", "bike-1", "bike-2"]
    assert fleet.vehicles[0].type.capacity_g == 800_000
    assert fleet.vehicles[0].type.fuel_ml_per_100km == 8_500
    assert fleet.vehicles[0].type.cost_cents_per_km == 35
    assert fleet.vehicles[1].max_trips_per_day == 3
    assert fleet.hub("hub-centre").handling_s == 1800
    scenario = read_orders(orders_csv, fleet)
    o1, o2, o3, o4 = scenario.orders
    assert o1.weight_g == 2_500
    assert o1.volume_ml == 8_000
    assert (o1.earliest_day, o1.latest_day) == (1, 1)
    assert [w.start_s for w in o1.windows] == [DAY_S + 17 * 3600]
    assert o2.skills == frozenset({"chilled"})
    assert (o2.earliest_day, o2.latest_day) == (1, 5)  # weekly, clipped to the 6-day horizon
    assert [(w.start_s, w.end_s) for w in o3.windows] == [(3 * DAY_S + 9 * 3600, 3 * DAY_S + 12 * 3600)]
    assert o4.delivery.id == "kiosk"
    assert len(scenario.customers) == 3


def _edit_csv(orders_csv: Path, row: int, column: str, value: str) -> None:
    lines = orders_csv.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[row - 1].split(",")
    cells[header.index(column)] = value
    lines[row - 1] = ",".join(cells)
    orders_csv.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("row", "column", "value", "error", "message"),
    [
        (2, "merchant", "nobody", UnknownReference, r"row 2, column merchant: unknown merchant 'nobody'"),
        (3, "weight_kg", "-2", InvalidInput, r"row 3, column weight_kg: must not be negative"),
        (3, "weight_kg", "0", InvalidInput, r"row 3, column weight_kg: must be > 0"),
        (4, "weight_kg", "heavy", InvalidInput, r"row 4, column weight_kg: must be a number"),
        (4, "weight_kg", "1e30", InvalidInput, r"row 4, column weight_kg: is too large"),
        (
            2,
            "window",
            "weekdays 20:00-17:00",
            InvalidInput,
            r"row 2, column window: the window ends \(17:00\) before it starts",
        ),
        (
            4,
            "window",
            "2027-01-05 09:00-12:00",
            InvalidInput,
            r"row 4, column window: 2027-01-05 is outside the horizon",
        ),
        (2, "ordered_on", "2027-03-01", InvalidInput, r"row 2, column ordered_on: .*outside the horizon"),
        (2, "tier", "teleport", UnknownTier, r"row 2, column tier: unknown tier 'teleport'"),
        (2, "lon", "", InvalidInput, r"row 2, column lon: required"),
        (3, "id", "o-1", InvalidInput, r"row 3, column id: duplicate order id 'o-1'"),
    ],
)
def test_bad_order_rows_name_row_and_column(
    fleet_toml: Path,
    orders_csv: Path,
    row: int,
    column: str,
    value: str,
    error: type[Exception],
    message: str,
) -> None:
    _edit_csv(orders_csv, row, column, value)
    with pytest.raises(error, match=r"orders.csv: " + message):
        read_orders(orders_csv, read_fleet(fleet_toml))


def test_missing_columns_and_files_are_named(fleet_toml: Path, tmp_path: Path) -> None:
    fleet = read_fleet(fleet_toml)
    p = tmp_path / "orders.csv"
    p.write_text("id,merchant\no-1,bakery\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"missing column.*weight_kg, tier"):
        read_orders(p, fleet)
    with pytest.raises(InvalidInput, match="no such file"):
        read_orders(tmp_path / "absent.csv", fleet)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('shift = "07:00-19:00"', 'shift = "19:00-07:00"', r"vehicles\[0\].shift: the window ends"),
        ('depot = "hub-centre"', 'depot = "north"', r"vehicles\[1\].depot: unknown hub 'north'"),
        ('type = "van"', 'type = "truck"', r"vehicles\[0\].type: unknown vehicle type 'truck'"),
        ("capacity_kg = 800", "capacity_kg = -800", r"vehicle_types\[0\].capacity_kg: must not be negative"),
        (
            "capacity_parcels = 24",
            "capacity_parcels = 2.5",
            r"vehicle_types\[1\].capacity_parcels: must be a whole",
        ),
        ('profile = "cargo_bike"', 'profile = "drone"', r"vehicle_types\[1\].profile: must be one of"),
        ("fuel_l_per_100km = 8.5", "", r"vehicle_types\[0\].*fuel_ml_per_100km must be > 0"),
        ("start = 2026-11-30", 'start = "next monday"', r"horizon.start must be a date"),
        ("lat = 60.1789", "lat = 160.1789", r"hubs\[0\].*lat must be within"),
    ],
)
def test_bad_fleet_files_name_table_and_key(fleet_toml: Path, old: str, new: str, message: str) -> None:
    text = fleet_toml.read_text(encoding="utf-8")
    assert old in text
    fleet_toml.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"fleet.toml: " + message):
        read_fleet(fleet_toml)


def test_an_empty_fleet_is_refused(fleet_toml: Path) -> None:
    text = fleet_toml.read_text(encoding="utf-8")
    fleet_toml.write_text(text[: text.index("[[vehicles]]")], encoding="utf-8")
    with pytest.raises(InvalidInput, match="fleet is empty"):
        read_fleet(fleet_toml)
    fleet_toml.write_text("[horizon\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="not valid TOML"):
        read_fleet(fleet_toml)


def test_written_inputs_read_back_to_the_same_week(helsinki_pbf: Path, tmp_path: Path) -> None:
    from tournee.routing.scenario import build_scenario

    week = build_scenario(helsinki_pbf, params=ScenarioParams(orders=40, seed=5))
    files = write_inputs(week, tmp_path)
    back = read_orders(files["orders"], read_fleet(files["fleet"]))
    assert back.orders == week.orders
    assert (back.horizon, back.hubs, back.merchants, back.vehicles, back.tiers, back.opening_hours) == (
        week.horizon,
        week.hubs,
        week.merchants,
        week.vehicles,
        week.tiers,
        week.opening_hours,
    )


@given(seed=st.integers(min_value=0, max_value=10_000), orders=st.integers(min_value=1, max_value=40))
def test_any_synthetic_week_survives_csv_and_toml(
    seed: int, orders: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    week = synthetic_scenario(
        center=Location(lon=2.35, lat=48.85), params=ScenarioParams(orders=orders, seed=seed, days=7)
    )
    files = write_inputs(week, tmp_path_factory.mktemp("week"))
    back = read_orders(files["orders"], read_fleet(files["fleet"]))
    assert back.orders == week.orders
    assert back.vehicles == week.vehicles


def test_explicit_delivery_dates_override_the_tier(fleet_toml: Path, orders_csv: Path) -> None:
    text = orders_csv.read_text(encoding="utf-8").splitlines()
    text[0] += ",deliver_from,deliver_by"
    text[1] += ",2026-12-02,2026-12-04"
    text[2] += ",2026-12-04,2026-12-02"
    orders_csv.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(
        InvalidInput, match=r"row 3, column deliver_by: 2026-12-02 is before the first delivery day"
    ):
        read_orders(orders_csv, read_fleet(fleet_toml))
    text[2] = text[2].removesuffix(",2026-12-04,2026-12-02") + ",,"
    orders_csv.write_text("\n".join(text) + "\n", encoding="utf-8")
    o1 = read_orders(orders_csv, read_fleet(fleet_toml)).orders[0]
    assert (o1.earliest_day, o1.latest_day) == (2, 4)


def test_the_html_map_draws_each_street_once_and_escapes_names(helsinki_pbf: Path, tmp_path: Path) -> None:
    from dataclasses import replace

    from tournee.api.services.mapview import network_lines, render_html
    from tournee.routing.network import load_networks
    from tournee.routing.snap import twin_arcs

    nets = load_networks(helsinki_pbf, cache_dir=tmp_path)
    van = nets[Profile.VAN]
    lines = network_lines(van)
    assert len(lines) == van.arc_count - int((twin_arcs(van) >= 0).sum()) // 2
    box = (24.940, 60.165, 24.945, 60.170)
    assert 0 < len(network_lines(van, bbox=box)) < len(lines)
    assert len(network_lines(van, max_arcs=10)) == 10

    week = synthetic_scenario(
        center=Location(lon=24.944, lat=60.170), radius_m=500, params=ScenarioParams(orders=5)
    )
    plan = small_plan(week)
    hostile = "</script><script>alert(1)</script>"
    sites = {s.id: replace(s, name=hostile) for s in week.sites()}
    page = render_html(
        plan, geojson=plan_geojson(plan, sites=sites), networks=nets, summary=[("orders", "<b>4</b>")]
    )
    assert hostile not in page
    assert "&lt;b&gt;4&lt;/b&gt;" in page
    assert page.count("<script>") == 2  # Leaflet and the page's own script, nothing injected


@given(
    row=st.integers(min_value=0, max_value=3),
    column=st.sampled_from(
        [
            "id",
            "merchant",
            "lon",
            "lat",
            "weight_kg",
            "volume_l",
            "tier",
            "ordered_on",
            "window",
            "skills",
            "address",
        ]
    ),
    value=st.text(max_size=30)
    | st.sampled_from(["-1", "0", "1e309", "nan", "inf", "24:00-24:00", "mon 25:00-26:00"]),
)
# characters Python's str.splitlines() breaks on but a CSV cell may hold: the error (if any)
# must still name row 2, not a row made up by splitting the cell
@example(row=0, column="ordered_on", value="\x0b")
@example(row=0, column="address", value="a\u2028b")
@example(row=1, column="window", value="\n")
def test_any_cell_value_gives_orders_or_a_named_error(
    row: int, column: str, value: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    import csv
    import io

    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "fleet.toml").write_text(_block("toml"), encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(_block("csv"))))
    rows[row][column] = value
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    (folder / "orders.csv").write_text(buf.getvalue(), encoding="utf-8")
    error: InvalidInput | None = None
    try:
        week = read_orders(folder / "orders.csv", read_fleet(folder / "fleet.toml"))
    except InvalidInput as exc:
        error = exc
    if error is not None:
        assert f"orders.csv: row {row + 2}" in error.message
    else:
        assert len(week.orders) == 4


@given(
    key=st.sampled_from(
        ["capacity_kg", "fuel_l_per_100km", "cost_per_km", "shift", "days", "count", "type", "lon"]
    ),
    value=st.one_of(
        st.integers(-(10**6), 10**6),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=12),
        st.booleans(),
        st.lists(st.integers(0, 9), max_size=3),
    ),
)
def test_any_fleet_value_gives_a_fleet_or_a_named_error(
    key: str, value: object, tmp_path_factory: pytest.TempPathFactory
) -> None:
    import math

    def toml_value(v: object) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float):
            return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(str(x) for x in v) + "]"
        return str(v)

    text = _block("toml")
    lines = [
        f"{key} = {toml_value(value)}" if line.split("=")[0].strip() == key else line
        for line in text.splitlines()
    ]
    path = tmp_path_factory.mktemp("fuzz") / "fleet.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    error: InvalidInput | None = None
    try:
        fleet = read_fleet(path)
    except InvalidInput as exc:
        error = exc
    if error is not None:
        assert error.message.startswith("fleet.toml: ")
    else:
        assert fleet.vehicles
