"""Cheapest feasible insertion of a prospective order into an existing plan.

For each vehicle-day of the plan, :meth:`QuoteContext.candidates` finds the cheapest
place to insert the order's pickup and delivery into the route (capacity in g, ml and
parcels; customer and pickup windows; the shift end or the next trip's start), and, for
vehicle-days the plan does not use, the cost of opening one (fixed cost + the
depot → pickup → delivery → depot trip).  No re-solve: the plan is read once into flat
arrays (:meth:`QuoteContext.build`) so that a quote is a few vectorised passes over all
insertion positions.

Emissions follow the planner's ISO 14083 / GLEC rule: the route's emissions after the
insertion (distance × the vehicle's CO2e per km) are shared in proportion to quantity ×
shortest feasible distance from the route's start to each order's drop point, so the
new order gets ``q × SFD / (Σ existing q × SFD + q × SFD)`` of them.  Quantity is mass
in grams (volume in millilitres, at 1 g/ml, for an order without a weight).
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from importlib.resources import files
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tournee.domain import (
    DAY_S,
    Footprint,
    Fuel,
    InvalidInput,
    Order,
    Plan,
    Profile,
    Route,
    Site,
    TimeWindow,
    UnassignedReason,
    Vehicle,
    VehicleType,
)
from tournee.tariffs.travel import TravelLookup

__all__ = [
    "Candidate",
    "EmissionRate",
    "QuoteContext",
    "allocate_co2e_g",
    "default_emission_rate",
]

log = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
_INF = np.inf
_PROFILES = (Profile.VAN, Profile.CARGO_BIKE)


@dataclass(frozen=True, slots=True, kw_only=True)
class EmissionRate:
    """A vehicle type's emissions per kilometre driven, in milligrams CO2e (TTW and WTT)."""

    ttw_co2e_mg_per_km: int
    wtt_co2e_mg_per_km: int
    factor_id: str = ""
    source: str = ""
    year: int = 0


def default_emission_rate(vtype: VehicleType) -> EmissionRate:
    """The fallback rate of a vehicle type from its energy use (``data/emission_factors.toml``).

    Raises
    ------
    InvalidInput
        For a fuel without a shipped factor (pass the rate explicitly).
    """
    with (files("tournee.tariffs") / "data" / "emission_factors.toml").open("rb") as fh:
        table: dict[str, Any] = tomllib.load(fh)
    if vtype.fuel is Fuel.DIESEL:
        f = table["diesel"]
        # fuel_ml_per_100km × g/L → mg/km: ml/100km × g/L × 1000 mg/g / 100 km / 1000 ml/L
        return EmissionRate(
            ttw_co2e_mg_per_km=vtype.fuel_ml_per_100km * f["ttw_co2e_g_per_l"] // 100,
            wtt_co2e_mg_per_km=vtype.fuel_ml_per_100km * f["wtt_co2e_g_per_l"] // 100,
            factor_id="diesel-fr-2017",
            source=f["source"],
            year=f["year"],
        )
    if vtype.fuel is Fuel.ELECTRIC:
        f = table["electric"]
        # Wh/100km × g/kWh → mg/km: Wh × g/kWh / 1000 Wh/kWh × 1000 mg/g / 100 km
        return EmissionRate(
            ttw_co2e_mg_per_km=0,
            wtt_co2e_mg_per_km=vtype.energy_wh_per_100km * f["wtt_co2e_g_per_kwh"] // 100,
            factor_id="grid-fr-2017",
            source=f["source"],
            year=f["year"],
        )
    if vtype.fuel is Fuel.MUSCLE:
        f = table["muscle"]
        return EmissionRate(
            ttw_co2e_mg_per_km=0, wtt_co2e_mg_per_km=0, factor_id="muscle", source=f["source"], year=f["year"]
        )
    raise InvalidInput(
        f"vehicle type '{vtype.id}': no shipped emission factor for fuel {vtype.fuel.value}; "
        "pass emission_rates for it",
        pointer="/fuel",
    )


def allocate_co2e_g(route_co2e_g: int, performance: int, total_performance: int) -> int:
    """Share of a route's emissions for one order by the GLEC rule (quantity × SFD).

    Parameters
    ----------
    route_co2e_g
        The route's emissions, grams CO2e.
    performance
        The order's quantity × shortest feasible distance (g·m).
    total_performance
        The sum over every order of the route, this one included (g·m).

    Returns
    -------
    int
        Grams CO2e allocated to the order (an order alone on its route gets all of it).
    """
    if total_performance <= 0:
        return route_co2e_g
    return (route_co2e_g * performance + total_performance // 2) // total_performance


_NO_FOOTPRINT = Footprint(ttw_co2e_g=0, wtt_co2e_g=0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """The best way to serve the order on one vehicle-day, or why it cannot be.

    ``cost_mcents`` is the marginal routing cost in thousandths of a cent (distance and
    time costs; plus the fixed cost when ``new_vehicle_day``).  ``footprint`` is the CO2e
    allocated to the order; ``fill_rate_pct`` the route's peak load over capacity after
    the insertion (binding unit).
    """

    vehicle_id: str
    day: int
    route_id: str | None
    new_vehicle_day: bool
    feasible: bool
    reason: UnassignedReason | None = None
    detail: str = ""
    cost_mcents: int = 0
    added_distance_m: int = 0
    added_duration_s: int = 0
    footprint: Footprint = _NO_FOOTPRINT
    fill_rate_pct: int = 0
    delivery_s: int = 0

    @property
    def co2e_g(self) -> int:
        return self.footprint.co2e_g


def _quantity(order: Order) -> int:
    return order.weight_g if order.weight_g > 0 else order.volume_ml


def _window_start(a: FloatArray, windows: Sequence[TimeWindow]) -> FloatArray:
    """Earliest service start at or after arrival ``a`` inside one of ``windows`` (inf if none)."""
    if not windows:
        return a
    out = np.full_like(a, _INF)
    for w in sorted(windows, key=lambda w: w.start_s, reverse=True):
        out = np.where(a <= w.end_s, np.maximum(a, w.start_s), out)
    return out


def _as_float(x: IntArray) -> FloatArray:
    f = x.astype(np.float64)
    f[x < 0] = _INF
    return f


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class _Arrays:
    """Flat per-stop, per-route and per-pair arrays of one plan (see ``QuoteContext.build``)."""

    # per stop (all routes concatenated)
    stop_profile: IntArray
    stop_site: IntArray
    arr: FloatArray
    dep: FloatArray
    dist_prev: FloatArray
    wait_to_end: FloatArray  # waits of stops k .. end-1 of its route
    slack: FloatArray  # max push at arrival of k keeping k..end feasible
    # per route
    r_start: IntArray
    r_day: IntArray
    r_dist: FloatArray
    r_perf: FloatArray  # Σ quantity × SFD of its orders (g·m)
    r_cpk: FloatArray  # cents per km
    r_cph: FloatArray  # cents per hour
    r_cap: FloatArray  # (routes, 3) g, ml, parcels
    r_peak: FloatArray  # (routes, 3)
    r_ttw: FloatArray  # mg CO2e per km
    r_wtt: FloatArray
    # per insertion pair (I ≤ J: pickup after stop I, delivery after stop J)
    p_i: IntArray
    p_j: IntArray
    p_route: IntArray
    p_same: NDArray[np.bool_]
    p_wait: FloatArray  # waits of stops I+1 .. J
    p_chain: FloatArray  # max push at I+1 keeping I+1 .. J feasible (inf when I == J)
    p_room: FloatArray  # (pairs, 3) capacity left over stops I .. J
    p_offsets: IntArray  # first pair of each route


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class QuoteContext:
    """A plan read once for fast quoting: build with :meth:`build`, then call :meth:`candidates`."""

    plan: Plan
    vehicles: Mapping[str, Vehicle]
    travel: TravelLookup
    sites: Mapping[Profile, tuple[Site, ...]]
    routes: tuple[Route, ...]
    rates: Mapping[str, EmissionRate]  # by vehicle type id
    arrays: _Arrays
    # unused vehicle-days that may be opened: (vehicle, day, depot site index in its profile)
    open_days: tuple[tuple[Vehicle, int, int], ...]

    @classmethod
    def build(
        cls,
        plan: Plan,
        *,
        vehicles: Sequence[Vehicle],
        travel: TravelLookup,
        depots: Mapping[str, Site] | None = None,
        emission_rates: Mapping[str, EmissionRate] | None = None,
    ) -> QuoteContext:
        """Read a plan and its fleet into flat arrays for quoting.

        Parameters
        ----------
        plan
            The current plan (routes with stops, loads and times in horizon seconds).
        vehicles
            The fleet the plan was made with (capacities, costs, shifts, working days).
        travel
            Road distances (m) and durations (s) between sites, per profile.
        depots
            Depot/hub sites by id, for vehicles without a route to read them from.
        emission_rates
            CO2e per km by vehicle type id; otherwise read from the plan's routes of that
            type, otherwise :func:`default_emission_rate`.

        Raises
        ------
        InvalidInput
            A route names a vehicle not in ``vehicles``, or has no start and end stop.
        """
        fleet = {v.id: v for v in vehicles}
        depots = dict(depots or {})
        site_lists: dict[Profile, list[Site]] = {p: [] for p in _PROFILES}
        site_index: dict[Profile, dict[str, int]] = {p: {} for p in _PROFILES}

        def index(profile: Profile, site: Site) -> int:
            idx = site_index[profile].get(site.id)
            if idx is None:
                idx = site_index[profile][site.id] = len(site_lists[profile])
                site_lists[profile].append(site)
            return idx

        routes = tuple(sorted(plan.routes, key=lambda r: (r.day, r.vehicle_id, r.trip)))
        for r in routes:
            if r.vehicle_id not in fleet:
                raise InvalidInput(
                    f"plan route '{r.id}': vehicle_id {r.vehicle_id!r} is not in the fleet",
                    pointer="/vehicle_id",
                )
            if len(r.stops) < 2:
                raise InvalidInput(f"plan route '{r.id}': needs a start and an end stop", pointer="/stops")
            depots.setdefault(
                fleet[r.vehicle_id].depot_id, Site(id=r.stops[0].site_id, location=r.stops[0].location)
            )

        rates = dict(emission_rates or {})
        observed: dict[str, list[int]] = {}
        for r in routes:
            tid = fleet[r.vehicle_id].type.id
            acc = observed.setdefault(tid, [0, 0, 0])
            acc[0] += r.distance_m
            acc[1] += r.footprint.ttw_co2e_g
            acc[2] += r.footprint.wtt_co2e_g
        for v in fleet.values():
            tid = v.type.id
            if tid in rates:
                continue
            seen = observed.get(tid)
            if seen and seen[0] > 0:
                sample = next(r.footprint for r in routes if fleet[r.vehicle_id].type.id == tid)
                rates[tid] = EmissionRate(
                    ttw_co2e_mg_per_km=seen[1] * 1_000_000 // seen[0],
                    wtt_co2e_mg_per_km=seen[2] * 1_000_000 // seen[0],
                    factor_id=sample.factor_id,
                    source=sample.source,
                    year=sample.year,
                )
            else:
                rates[tid] = default_emission_rate(v.type)

        # trips of one vehicle-day: the next trip's start bounds the previous trip's end
        next_start: dict[tuple[str, int, int], int] = {}
        for r in routes:
            next_start[(r.vehicle_id, r.day, r.trip - 1)] = r.stops[0].departure_s

        arrays = _build_arrays(routes, fleet, rates, next_start, index, travel)

        used = {(r.vehicle_id, r.day) for r in routes}
        open_days: list[tuple[Vehicle, int, int]] = []
        for v in fleet.values():
            depot = depots.get(v.depot_id)
            if depot is None:
                log.info("vehicle %s: depot %s unknown, no new vehicle-day offered", v.id, v.depot_id)
                continue
            d_idx = index(v.profile, depot)
            for day in range(plan.horizon.days):
                if (v.id, day) not in used and plan.horizon.weekday_of(day) in v.working_weekdays:
                    open_days.append((v, day, d_idx))
        log.info(
            "quote context: %d routes, %d stops, %d insertion pairs, %d open vehicle-days",
            len(routes),
            len(arrays.arr),
            len(arrays.p_i),
            len(open_days),
        )
        return cls(
            plan=plan,
            vehicles=fleet,
            travel=travel,
            sites={p: tuple(s) for p, s in site_lists.items()},
            routes=routes,
            rates=rates,
            arrays=arrays,
            open_days=tuple(open_days),
        )

    # ------------------------------------------------------------------------------------
    def candidates(
        self, order: Order, *, delivery: Site | None = None, windows: Sequence[TimeWindow] | None = None
    ) -> list[Candidate]:
        """The best insertion of ``order`` on every vehicle-day, feasible or with its reason.

        Parameters
        ----------
        order
            The prospective order (pickup, delivery, quantities, windows, skills).
        delivery
            Where to deliver instead of ``order.delivery`` (a relay point).
        windows
            Delivery windows instead of ``order.windows`` (seconds from the horizon start).

        Returns
        -------
        list of Candidate
            One per route of the plan and one per unused vehicle-day.
        """
        drop = delivery or order.delivery
        wins = tuple(order.windows if windows is None else windows)
        q = np.array([order.weight_g, order.volume_ml, order.parcels], dtype=np.float64)
        quantity = _quantity(order)
        a = self.arrays
        n_stops = len(a.arr)
        # travel between the plan's sites and the two new sites, per profile
        to_p = np.full(n_stops, _INF)
        to_d = np.full(n_stops, _INF)
        from_p = np.full(n_stops, _INF)
        from_d = np.full(n_stops, _INF)
        tto_p = np.full(n_stops, _INF)
        tto_d = np.full(n_stops, _INF)
        tfrom_p = np.full(n_stops, _INF)
        tfrom_d = np.full(n_stops, _INF)
        pd_dist = np.zeros(n_stops)
        pd_dur = np.zeros(n_stops)
        per_profile: dict[int, tuple[FloatArray, FloatArray, FloatArray, FloatArray, float, float]] = {}
        for code, profile in enumerate(_PROFILES):
            sites = self.sites[profile]
            if not sites:
                continue
            fd, ft = self.travel.legs(profile, [order.pickup, drop], sites)
            td, tt = self.travel.legs(profile, sites, [order.pickup, drop])
            dd, dt_ = self.travel.legs(profile, [order.pickup], [drop])
            fdf, ftf, tdf, ttf = _as_float(fd), _as_float(ft), _as_float(td), _as_float(tt)
            pdd, pdt = float(_as_float(dd)[0, 0]), float(_as_float(dt_)[0, 0])
            per_profile[code] = (fdf, ftf, tdf, ttf, pdd, pdt)
            mask = a.stop_profile == code
            s = a.stop_site[mask]
            to_p[mask], to_d[mask] = tdf[s, 0], tdf[s, 1]
            tto_p[mask], tto_d[mask] = ttf[s, 0], ttf[s, 1]
            from_p[mask], from_d[mask] = fdf[0, s], fdf[1, s]
            tfrom_p[mask], tfrom_d[mask] = ftf[0, s], ftf[1, s]
            pd_dist[mask], pd_dur[mask] = pdd, pdt

        out: list[Candidate] = []
        if len(a.p_i):
            out.extend(
                self._route_candidates(
                    order,
                    q,
                    quantity,
                    wins,
                    locals_=(to_p, to_d, from_p, from_d, tto_p, tto_d, tfrom_p, tfrom_d, pd_dist, pd_dur),
                )
            )
        out.extend(self._open_day_candidates(order, q, wins, per_profile))
        return out

    def _route_candidates(
        self,
        order: Order,
        q: FloatArray,
        quantity: int,
        wins: Sequence[TimeWindow],
        *,
        locals_: tuple[FloatArray, ...],
    ) -> list[Candidate]:
        a = self.arrays
        to_p, to_d, from_p, from_d, tto_p, tto_d, tfrom_p, tfrom_d, pd_dist, pd_dur = locals_
        n_stops = len(a.arr)
        nxt = np.minimum(np.arange(n_stops) + 1, n_stops - 1)
        # pickup alone after stop k
        start_p = _window_start(a.dep + tto_p, order.pickup_windows)
        dep_p = start_p + order.pickup_service_s
        push1 = dep_p + tfrom_p[nxt] - a.arr[nxt]
        add_p = to_p + from_p[nxt] - a.dist_prev[nxt]

        i, j, same = a.p_i, a.p_j, a.p_same
        d1 = push1[i]
        shift_j = np.maximum(0.0, d1 - a.p_wait)
        arrive_d = np.where(same, dep_p[i] + pd_dur[i], a.dep[j] + shift_j + tto_d[j])
        dep_d = _window_start(arrive_d, wins) + order.service_s
        j1 = j + 1
        d2 = dep_d + tfrom_d[j1] - a.arr[j1]
        room_ok = (a.p_room >= q).all(axis=1)
        skills_ok = np.array(
            [order.skills <= self.vehicles[r.vehicle_id].type.skills for r in self.routes], dtype=np.bool_
        )[a.p_route]
        ok = room_ok & skills_ok & (d1 <= a.p_chain) & (d2 <= a.slack[j1])
        added = np.where(same, to_p[i] + pd_dist[i], add_p[i] + to_d[j]) + from_d[j1] - a.dist_prev[j1]
        end_shift = np.maximum(0.0, d2 - a.wait_to_end[j1])
        cost = added * a.r_cpk[a.p_route] / 1000.0 + end_shift * a.r_cph[a.p_route] / 3600.0
        cost = np.where(ok & np.isfinite(cost), cost, _INF)

        best = np.minimum.reduceat(cost, a.p_offsets)
        hit = np.flatnonzero(np.isfinite(cost) & (cost == best[a.p_route]))
        first_route, first_at = np.unique(a.p_route[hit], return_index=True)
        chosen = dict(zip(first_route.tolist(), hit[first_at].tolist(), strict=True))
        any_room = (
            np.maximum.reduceat(room_ok.astype(np.int8), a.p_offsets) if len(chosen) < len(best) else None
        )

        out: list[Candidate] = []
        for r_idx, route in enumerate(self.routes):
            k = chosen.get(r_idx)
            base = Candidate(
                vehicle_id=route.vehicle_id,
                day=route.day,
                route_id=route.id,
                new_vehicle_day=False,
                feasible=False,
            )
            if k is None:
                vtype = self.vehicles[route.vehicle_id].type
                if not order.skills <= vtype.skills:
                    reason, detail = UnassignedReason.SKILL, f"needs {sorted(order.skills - vtype.skills)}"
                elif any_room is not None and not any_room[r_idx]:
                    reason, detail = UnassignedReason.CAPACITY, "no room left on the round"
                elif not np.isfinite(to_d[a.r_start[r_idx]]) or not np.isfinite(to_p[a.r_start[r_idx]]):
                    reason, detail = (
                        UnassignedReason.UNREACHABLE,
                        "no road joins the round to the order's sites",
                    )
                else:
                    reason, detail = (
                        UnassignedReason.TIME_WINDOW,
                        "no position respects the windows and shift end",
                    )
                out.append(replace(base, feasible=False, reason=reason, detail=detail))
                continue
            add_m = float(added[k])
            sfd = float(to_d[a.r_start[r_idx]])
            perf = quantity * sfd
            rate_ttw, rate_wtt = a.r_ttw[r_idx], a.r_wtt[r_idx]
            dist_after = a.r_dist[r_idx] + add_m
            ttw = round(float(dist_after * rate_ttw / 1e6))
            wtt = round(float(dist_after * rate_wtt / 1e6))
            total = round(float(a.r_perf[r_idx] + perf))
            p = round(float(perf))
            rate = self.rates[self.vehicles[route.vehicle_id].type.id]
            fill = np.max(np.maximum(a.r_peak[r_idx], a.r_cap[r_idx] - a.p_room[k] + q) / a.r_cap[r_idx])
            out.append(
                replace(
                    base,
                    feasible=True,
                    cost_mcents=round(float((cost[k]) * 1000)),
                    added_distance_m=round(float(add_m)),
                    added_duration_s=round(float(end_shift[k])),
                    footprint=Footprint(
                        ttw_co2e_g=allocate_co2e_g(ttw, p, total),
                        wtt_co2e_g=allocate_co2e_g(wtt, p, total),
                        factor_id=rate.factor_id,
                        source=rate.source,
                        year=rate.year,
                    ),
                    fill_rate_pct=round(float((fill) * 100)),
                    delivery_s=round(float((dep_d[k]) - order.service_s)),
                )
            )
        return out

    def _open_day_candidates(
        self,
        order: Order,
        q: FloatArray,
        wins: Sequence[TimeWindow],
        per_profile: Mapping[int, tuple[FloatArray, FloatArray, FloatArray, FloatArray, float, float]],
    ) -> list[Candidate]:
        if not self.open_days:
            return []
        n = len(self.open_days)
        code = np.array([_PROFILES.index(v.profile) for v, _, _ in self.open_days])
        dist_dp = np.full(n, _INF)
        dur_dp = np.full(n, _INF)
        dist_dd = np.full(n, _INF)
        dur_dd = np.full(n, _INF)
        dist_pd = np.full(n, _INF)
        dur_pd = np.full(n, _INF)
        depot = np.array([d for _, _, d in self.open_days])
        for c, (fdf, ftf, tdf, ttf, pdd, pdt) in per_profile.items():
            m = code == c
            dist_dp[m], dur_dp[m] = tdf[depot[m], 0], ttf[depot[m], 0]
            dist_dd[m], dur_dd[m] = fdf[1, depot[m]], ftf[1, depot[m]]
            dist_pd[m], dur_pd[m] = pdd, pdt
        day = np.array([d for _, d, _ in self.open_days], dtype=np.float64)
        shift0 = day * DAY_S + np.array([v.shift_start_s for v, _, _ in self.open_days], dtype=np.float64)
        shift1 = day * DAY_S + np.array([v.shift_end_s for v, _, _ in self.open_days], dtype=np.float64)
        start_p = _window_start(shift0 + dur_dp, order.pickup_windows)
        start_d = _window_start(start_p + order.pickup_service_s + dur_pd, wins)
        end = start_d + order.service_s + dur_dd
        leave = np.maximum(shift0, start_p - dur_dp)
        dist = dist_dp + dist_pd + dist_dd
        out: list[Candidate] = []
        for k, (v, d, _) in enumerate(self.open_days):
            base = Candidate(vehicle_id=v.id, day=d, route_id=None, new_vehicle_day=True, feasible=False)
            cap = np.array([v.type.capacity_g, v.type.capacity_ml, v.type.capacity_parcels], dtype=np.float64)
            if not order.skills <= v.type.skills:
                out.append(replace(base, feasible=False, reason=UnassignedReason.SKILL, detail="skills"))
            elif (q > cap).any():
                out.append(
                    replace(
                        base,
                        feasible=False,
                        reason=UnassignedReason.CAPACITY,
                        detail="larger than the vehicle",
                    )
                )
            elif not np.isfinite(dist[k]):
                out.append(
                    replace(base, feasible=False, reason=UnassignedReason.UNREACHABLE, detail="no road")
                )
            elif not end[k] <= shift1[k]:
                out.append(
                    replace(
                        base,
                        feasible=False,
                        reason=UnassignedReason.TIME_WINDOW,
                        detail="windows cannot be met within the shift",
                    )
                )
            else:
                duration = float(end[k] - leave[k])
                t = v.type
                cost_c = (
                    t.fixed_cost_cents_per_day
                    + dist[k] * t.cost_cents_per_km / 1000
                    + duration * t.cost_cents_per_hour / 3600
                )
                rate = self.rates[t.id]
                out.append(
                    replace(
                        base,
                        feasible=True,
                        cost_mcents=round(float(cost_c * 1000)),
                        added_distance_m=int(dist[k]),
                        added_duration_s=round(float(duration)),
                        footprint=Footprint(
                            ttw_co2e_g=round(float(dist[k] * rate.ttw_co2e_mg_per_km / 1e6)),
                            wtt_co2e_g=round(float(dist[k] * rate.wtt_co2e_mg_per_km / 1e6)),
                            factor_id=rate.factor_id,
                            source=rate.source,
                            year=rate.year,
                        ),
                        fill_rate_pct=round(float((np.max(q / cap)) * 100)),
                        delivery_s=int(start_d[k]),
                    )
                )
        return out


def _build_arrays(
    routes: Sequence[Route],
    fleet: Mapping[str, Vehicle],
    rates: Mapping[str, EmissionRate],
    next_start: Mapping[tuple[str, int, int], int],
    index: Any,
    travel: TravelLookup,
) -> _Arrays:
    stop_profile: list[int] = []
    stop_site: list[int] = []
    arr: list[float] = []
    dep: list[float] = []
    dist_prev: list[float] = []
    wait_to_end: list[float] = []
    slack: list[float] = []
    r_start: list[int] = []
    r_perf: list[float] = []
    r_peak: list[list[float]] = []
    p_parts: dict[str, list[Any]] = {k: [] for k in ("i", "j", "wait", "chain", "room")}
    p_offsets: list[int] = []
    n_pairs = 0
    for r in routes:
        v = fleet[r.vehicle_id]
        code = _PROFILES.index(r.profile)
        off = len(arr)
        r_start.append(off)
        stops = r.stops
        n = len(stops)
        s_arr = np.array([s.arrival_s for s in stops], dtype=np.float64)
        s_dep = np.array([s.departure_s for s in stops], dtype=np.float64)
        ws = np.array(
            [s.window_start_s if s.window_start_s is not None else s.arrival_s for s in stops], np.float64
        )
        we = np.array([s.window_end_s if s.window_end_s is not None else np.inf for s in stops], np.float64)
        we = np.maximum(we, s_arr)  # a late stop in the plan is not made worse, not blocking
        wait = np.maximum(0.0, ws - s_arr)
        limit = r.day * DAY_S + v.shift_end_s
        nxt = next_start.get((r.vehicle_id, r.day, r.trip))
        if nxt is not None:
            limit = min(limit, nxt - v.reload_s)
        limit = max(limit, int(s_arr[-1]))
        # slack[k] = max push at arrival of k keeping k..end feasible (backwards)
        sl = np.empty(n)
        sl[-1] = limit - s_arr[-1]
        for k in range(n - 2, -1, -1):
            sl[k] = min(we[k] - s_arr[k], wait[k] + sl[k + 1])
        wp = np.concatenate([[0.0], np.cumsum(wait)])  # wp[k] = waits of stops < k
        h = we - s_arr + wp[:n]
        loads = np.array([[s.load_g, s.load_ml, s.load_parcels] for s in stops], dtype=np.float64)
        cap = np.array([v.type.capacity_g, v.type.capacity_ml, v.type.capacity_parcels], dtype=np.float64)
        r_peak.append(loads.max(axis=0).tolist())
        sites = [index(r.profile, Site(id=s.site_id, location=s.location)) for s in stops]
        stop_profile.extend([code] * n)
        stop_site.extend(sites)
        arr.extend(s_arr.tolist())
        dep.extend(s_dep.tolist())
        dist_prev.extend(float(s.distance_from_prev_m) for s in stops)
        wait_to_end.extend((wp[n - 1] - wp[:n]).tolist())
        slack.extend(sl.tolist())
        # GLEC performance of the orders already on the route: drop × SFD from the start
        drops = [k for k in range(1, n) if loads[k, 0] < loads[k - 1, 0] or loads[k, 1] < loads[k - 1, 1]]
        perf = 0.0
        if drops:
            dd, _ = travel.legs(
                r.profile,
                [Site(id=stops[0].site_id, location=stops[0].location)],
                [Site(id=stops[k].site_id, location=stops[k].location) for k in drops],
            )
            for col, k in enumerate(drops):
                dropped_g = loads[k - 1, 0] - loads[k, 0]
                qty = dropped_g if dropped_g > 0 else loads[k - 1, 1] - loads[k, 1]
                perf += qty * max(0, int(dd[0, col]))
        r_perf.append(perf)
        # pairs over insertion positions 0 .. n-2 (after stop i, after stop j, i <= j)
        m = n - 1
        ii, jj = np.triu_indices(m)
        chain = np.full((m, m), np.inf)
        room = np.empty((m, m, 3))
        for a in range(m):
            if a + 1 < m:
                chain[a, a + 1 :] = np.minimum.accumulate(h[a + 1 : m]) - wp[a + 1]
            room[a, a:] = cap - np.maximum.accumulate(loads[a:m], axis=0)
        p_offsets.append(n_pairs)
        n_pairs += len(ii)
        p_parts["i"].append(ii + off)
        p_parts["j"].append(jj + off)
        p_parts["wait"].append(wp[jj + 1] - wp[ii + 1])
        p_parts["chain"].append(chain[ii, jj])
        p_parts["room"].append(room[ii, jj])
    n_routes = len(routes)

    def cat(key: str, width: int = 0) -> Any:
        parts = p_parts[key]
        if parts:
            return np.concatenate(parts)
        return np.zeros((0, width) if width else 0)

    p_i = cat("i").astype(np.int64)
    p_j = cat("j").astype(np.int64)
    p_route = np.repeat(np.arange(n_routes), np.diff(np.array([*p_offsets, n_pairs]))) if n_routes else p_i
    return _Arrays(
        stop_profile=np.array(stop_profile, dtype=np.int64),
        stop_site=np.array(stop_site, dtype=np.int64),
        arr=np.array(arr),
        dep=np.array(dep),
        dist_prev=np.array(dist_prev),
        wait_to_end=np.array(wait_to_end),
        slack=np.array(slack),
        r_start=np.array(r_start, dtype=np.int64),
        r_day=np.array([r.day for r in routes], dtype=np.int64),
        r_dist=np.array([r.distance_m for r in routes], dtype=np.float64),
        r_perf=np.array(r_perf, dtype=np.float64),
        r_cpk=np.array([fleet[r.vehicle_id].type.cost_cents_per_km for r in routes], dtype=np.float64),
        r_cph=np.array([fleet[r.vehicle_id].type.cost_cents_per_hour for r in routes], dtype=np.float64),
        r_cap=np.array(
            [
                [
                    fleet[r.vehicle_id].type.capacity_g,
                    fleet[r.vehicle_id].type.capacity_ml,
                    fleet[r.vehicle_id].type.capacity_parcels,
                ]
                for r in routes
            ],
            dtype=np.float64,
        ).reshape(n_routes, 3),
        r_peak=np.array(r_peak, dtype=np.float64).reshape(n_routes, 3),
        r_ttw=np.array(
            [rates[fleet[r.vehicle_id].type.id].ttw_co2e_mg_per_km for r in routes], dtype=np.float64
        ),
        r_wtt=np.array(
            [rates[fleet[r.vehicle_id].type.id].wtt_co2e_mg_per_km for r in routes], dtype=np.float64
        ),
        p_i=p_i,
        p_j=p_j,
        p_route=p_route.astype(np.int64),
        p_same=p_i == p_j,
        p_wait=cat("wait"),
        p_chain=cat("chain"),
        p_room=cat("room", 3),
        p_offsets=np.array(p_offsets, dtype=np.int64),
    )
