"""Cheapest feasible insertion of a prospective order into an existing plan.

For each vehicle-day of the plan, :meth:`QuoteContext.candidates` finds the cheapest
place to insert the order's pickup and delivery into the route (capacity in g, ml and
parcels; customer and pickup windows; the shift end or the next trip's start), and, for
vehicle-days the plan does not use, the cost of opening one (fixed cost + the
depot → pickup → delivery → depot trip).  No re-solve: the plan is read once into flat
arrays (:meth:`QuoteContext.build`) so that a quote is a few vectorised passes over the
insertion positions; pairs of positions whose exact lower bound cannot beat a known
insertion are skipped (``prune=False`` evaluates them all, same answer).  Locked
(dispatched) rounds take nothing.

Emissions follow the planner's ISO 14083 / GLEC rule: the route's emissions after the
insertion (distance × the vehicle's CO2e per km) are shared in proportion to quantity ×
shortest feasible distance from the route's start to each order's drop point, so the
new order gets ``q × SFD / (Σ existing q × SFD + q × SFD)`` of them.  Quantity is mass,
or volume when volume is what fills the vehicle (``tournee.routing.emissions`` does the
same for the planner).
"""

from __future__ import annotations

import logging
import math
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
    Location,
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
from tournee.tariffs.policy import great_circle_m
from tournee.tariffs.travel import TravelLookup

__all__ = [
    "Candidate",
    "EmissionRate",
    "QuoteContext",
    "allocate_co2e_g",
    "default_emission_rate",
]

log = logging.getLogger(__name__)

FloatArray = NDArray[np.floating[Any]]
IntArray = NDArray[np.signedinteger[Any]]
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


def _crow_m(a: Location, b: Location) -> int:
    """Great-circle metres: the SFD when a site is off the road network."""
    return round(great_circle_m(a.lon, a.lat, b.lon, b.lat))


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


def _window_start(a: FloatArray, windows: Sequence[TimeWindow]) -> FloatArray:
    """Earliest service start at or after arrival ``a`` inside one of ``windows`` (inf if none).

    Overlapping windows are merged first; then the first merged window ending at or after
    the arrival gives the start (one binary search per arrival, whatever the window count).
    """
    if not windows:
        return a
    merged: list[list[int]] = []
    for w in sorted(windows, key=lambda w: w.start_s):
        if merged and w.start_s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], w.end_s)
        else:
            merged.append([w.start_s, w.end_s])
    ends = np.array([m[1] for m in merged], dtype=a.dtype)
    starts = np.array([m[0] for m in merged] + [np.inf], dtype=a.dtype)
    return np.maximum(a, starts[np.searchsorted(ends, a, side="left")])


def _stacked_site_index(arrays: _Arrays, site_lists: Mapping[Profile, Sequence[Site]]) -> IntArray:
    """Each stop's site row once the profiles' site lists are stacked in ``_PROFILES`` order."""
    offsets = np.cumsum([0, *(len(site_lists[p]) for p in _PROFILES)])[:-1]
    return (offsets[arrays.stop_profile] + _site_of_stop(arrays)).astype(np.int64)


def _site_of_stop(arrays: _Arrays) -> IntArray:
    out = np.zeros(len(arrays.stop_profile), dtype=np.int64)
    for code, rows in enumerate(arrays.prof_rows):
        out[rows] = arrays.prof_sites[code]
    return out


def _heads(groups: IntArray) -> tuple[IntArray, IntArray]:
    """For a non-decreasing array: its distinct values and where each first appears."""
    if not len(groups):
        return groups, np.zeros(0, dtype=np.int64)
    first = np.flatnonzero(np.concatenate(([True], groups[1:] != groups[:-1])))
    return groups[first], first


def _segment_argmin(values: FloatArray, starts: IntArray, segment_of: IntArray) -> IntArray:
    """Index of the first minimum of each contiguous segment (its start when all are inf)."""
    m = np.fmin.reduceat(values, starts)
    hits = np.flatnonzero(values == m[segment_of])
    seg, first = _heads(segment_of[hits])
    out = starts.copy()
    out[seg] = hits[first]
    return out


def _as_float(x: IntArray) -> FloatArray:
    f = x.astype(np.float64)
    f[x < 0] = _INF
    return f


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class _Arrays:
    """Flat arrays of one plan (see ``QuoteContext.build``).

    Per stop (routes concatenated): "insert after stop k" reads stop k and the stop
    after it (``nxt``).  Per pair (I < J, same route): pickup after I, delivery after J.
    Costs per route are stored in cents per metre and cents per second.
    """

    # per stop
    stop_route: IntArray
    stop_profile: IntArray  # index into _PROFILES
    prof_rows: tuple[IntArray, ...]  # per profile code: the stops of that profile …
    prof_sites: tuple[IntArray, ...]  # … and their site index in the profile's site list
    arr: FloatArray
    dep: FloatArray
    nxt: IntArray
    nxt_arr: FloatArray
    nxt_dist_prev: FloatArray
    nxt_slack: FloatArray  # max push at arrival of the next stop keeping the rest feasible
    nxt_wslack: FloatArray  # max push at arrival of the next stop keeping that stop in its window
    nxt_wte: FloatArray  # waits from the next stop to the end (absorb a push)
    valid: NDArray[np.bool_]  # False on END stops
    room_g: FloatArray
    room_ml: FloatArray
    room_p: FloatArray
    cap_g: FloatArray
    cap_ml: FloatArray
    cap_p: FloatArray
    s_cpk: FloatArray
    s_cph: FloatArray
    # per route
    r_start: IntArray
    r_end: IntArray
    r_dist: FloatArray
    r_perf: FloatArray  # (routes, 2): Σ mass × SFD (g·m) and Σ volume × SFD (ml·m) of its orders
    r_cap: FloatArray  # (routes, 3) g, ml, parcels
    r_peak: FloatArray  # (routes, 3)
    r_ttw: FloatArray  # mg CO2e per km of the route's vehicle
    r_wtt: FloatArray
    # per pair I < J
    p_i: IntArray
    p_j: IntArray
    p_wait: FloatArray  # waits of stops I+1 .. J
    p_chain: FloatArray  # max push at I+1 keeping I+1 .. J feasible
    p_room_g: FloatArray  # capacity left over stops I .. J
    p_room_ml: FloatArray
    p_room_p: FloatArray
    p_cpk: FloatArray
    p_cph: FloatArray
    p_slack_j: FloatArray  # nxt_slack[p_j]
    p_wte_j: FloatArray  # nxt_wte[p_j]
    p_route: IntArray
    pos_first_pair: IntArray  # per stop: index of its first pair as I (pairs of one I are contiguous)
    pos_pairs: IntArray  # per stop: pairs with it as I
    pos_has_before: NDArray[np.bool_]  # per stop: it can be a J (some I before it)


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
    stop_gsite: IntArray  # per stop: its site's row in the profiles' site lists stacked in order
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
            stop_gsite=_stacked_site_index(arrays, site_lists),
            open_days=tuple(open_days),
        )

    # ------------------------------------------------------------------------------------
    def candidates(
        self,
        order: Order,
        *,
        delivery: Site | None = None,
        windows: Sequence[TimeWindow] | None = None,
        prune: bool = True,
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
        prune
            Skip insertion pairs whose lower bound cannot beat a known insertion (same
            answer, faster); False evaluates every pair.

        Returns
        -------
        list of Candidate
            One per route of the plan and one per unused vehicle-day.
        """
        wins = tuple(order.windows if windows is None else windows)
        return self.candidates_for(order, [(delivery or order.delivery, wins)], prune=prune)[0]

    def candidates_for(
        self,
        order: Order,
        drops: Sequence[tuple[Site, Sequence[TimeWindow]]],
        *,
        prune: bool = True,
    ) -> list[list[Candidate]]:
        """:meth:`candidates` for several delivery sites at once (home and relay point).

        The travel lookups for the pickup and every drop are made together, one call
        per direction and profile.
        """
        q = np.array([order.weight_g, order.volume_ml, order.parcels], dtype=np.float64)
        a = self.arrays
        n_stops = len(a.arr)
        k = len(drops)
        new_sites = [order.pickup, *(d for d, _ in drops)]
        # travel between the plan's sites and the new sites: per profile one call per direction,
        # stacked over the profiles' site lists, then one gather per quantity for every stop
        per_profile: list[dict[int, tuple[FloatArray, FloatArray, FloatArray, FloatArray, float, float]]] = [
            {} for _ in drops
        ]
        parts: list[list[FloatArray]] = [[], [], [], []]  # to, from, time to, time from: (1+k, sites)
        pair_d = np.full((len(_PROFILES), k), _INF)
        pair_t = np.full((len(_PROFILES), k), _INF)
        for code, profile in enumerate(_PROFILES):
            sites = self.sites[profile]
            if not sites:
                continue
            fd, ft = self.travel.legs(profile, new_sites, sites)
            td, tt = self.travel.legs(profile, sites, new_sites)
            dd, dt_ = self.travel.legs(profile, [order.pickup], new_sites[1:])
            fdf, ftf, tdf, ttf = _as_float(fd), _as_float(ft), _as_float(td), _as_float(tt)
            pair_d[code], pair_t[code] = _as_float(dd)[0], _as_float(dt_)[0]
            parts[0].append(tdf.T)
            parts[1].append(fdf)
            parts[2].append(ttf.T)
            parts[3].append(ftf)
            for d in range(k):
                sel = [0, d + 1]
                per_profile[d][code] = (
                    fdf[sel],
                    ftf[sel],
                    tdf[:, sel],
                    ttf[:, sel],
                    float(pair_d[code, d]),
                    float(pair_t[code, d]),
                )
        if n_stops:
            to_all, from_all, tto_all, tfrom_all = (
                np.concatenate(x, axis=1)[:, self.stop_gsite] for x in parts
            )
            pd_all, pt_all = pair_d[a.stop_profile], pair_t[a.stop_profile]  # (stops, k)
        result: list[list[Candidate]] = []
        for d, (drop, wins) in enumerate(drops):
            out: list[Candidate] = []
            if n_stops:
                tr = (
                    to_all[0], to_all[d + 1], from_all[0], from_all[d + 1],
                    tto_all[0], tto_all[d + 1], tfrom_all[0], tfrom_all[d + 1],
                    pd_all[:, d], pt_all[:, d],
                )  # fmt: skip
                out.extend(self._route_candidates(order, drop, q, tuple(wins), tr, prune=prune))
            out.extend(self._open_day_candidates(order, q, tuple(wins), per_profile[d]))
            result.append(out)
        return result

    def _route_candidates(
        self,
        order: Order,
        drop: Site,
        q: FloatArray,
        wins: Sequence[TimeWindow],
        tr: Sequence[FloatArray],
        *,
        prune: bool,
    ) -> list[Candidate]:
        a = self.arrays
        to_p, to_d, from_p, from_d, tto_p, tto_d, tfrom_p, tfrom_d, pd_dist, pd_dur = tr
        nxt = a.nxt
        s_d = float(order.service_s)
        skills = order.skills
        with np.errstate(invalid="ignore"):
            # per position k (insert after stop k): the pickup alone, the delivery alone, both together
            dep_p = _window_start(a.dep + tto_p, order.pickup_windows) + order.pickup_service_s
            push1 = dep_p + tfrom_p[nxt] - a.nxt_arr
            add_p = to_p + from_p[nxt] - a.nxt_dist_prev
            arr_d0 = a.dep + tto_d
            tail_d = tfrom_d[nxt] - a.nxt_arr + s_d
            add_d = to_d + from_d[nxt] - a.nxt_dist_prev
            room_s = (a.room_g >= q[0]) & (a.room_p >= q[2]) & a.valid
            if q[1] > 0:
                room_s &= a.room_ml >= q[1]
            if skills:
                room_s &= np.array([skills <= self.vehicles[r.vehicle_id].type.skills for r in self.routes])[
                    a.stop_route
                ]
            # pickup then delivery right after it
            dep_d_s = _window_start(dep_p + pd_dur, wins) + s_d
            d2_s = dep_d_s + tfrom_d[nxt] - a.nxt_arr
            added_s = to_p + pd_dist + from_d[nxt] - a.nxt_dist_prev
            shift_s = np.maximum(d2_s - a.nxt_wte, 0.0)
            cost_s = added_s * a.s_cpk + shift_s * a.s_cph
            cost_s = np.where(room_s & (d2_s <= a.nxt_slack) & np.isfinite(cost_s), cost_s, _INF)
            best_s = np.minimum.reduceat(cost_s, a.r_start)
            # pickup after stop I, delivery after a later stop J: exact lower bounds per position
            # prune most pairs, then the survivors are evaluated in full (see _pair_costs)
            n_routes = len(self.routes)
            idx_all: IntArray
            n_extra = 0
            if not prune:
                idx_all = np.arange(len(a.p_i), dtype=np.int64)
            else:
                route_of = a.stop_route
                pd0 = arr_d0 + tail_d
                # necessary conditions: the stop after I takes the pickup's push (no wait absorbs
                # it before), and the rest of the route takes the delivery's push after J
                ok_i = room_s & (push1 <= a.nxt_wslack)
                ok_j = room_s & ((_window_start(arr_d0, wins) + tail_d) <= a.nxt_slack)
                lb_a = np.where(ok_i, add_p * a.s_cpk, _INF)
                lb_b = np.where(ok_j, add_d * a.s_cpk, _INF)
                x_i = np.where(ok_i, push1 - a.nxt_wte, _INF)
                y_j = np.where(ok_j, pd0, _INF)
                min_a = np.fmin.reduceat(lb_a, a.r_start)[route_of]
                min_b = np.fmin.reduceat(lb_b, a.r_start)[route_of]
                min_x = np.fmin.reduceat(x_i, a.r_start)[route_of]
                min_y = np.fmin.reduceat(y_j, a.r_start)[route_of]
                lb_i = lb_a + min_b + a.s_cph * np.maximum(x_i + min_y, 0.0)
                lb_j = lb_b + min_a + a.s_cph * np.maximum(min_x + y_j, 0.0)
                lb_i = np.where(a.pos_pairs > 0, lb_i, _INF)
                lb_j = np.where(a.pos_has_before, lb_j, _INF)
                # an upper bound per route: the best "together" insertion, and the pair of best bounds
                order_i = _segment_argmin(lb_i, a.r_start, route_of)
                order_j = _segment_argmin(lb_j, a.r_start, route_of)
                ok_h = (order_i < order_j) & np.isfinite(lb_i[order_i]) & np.isfinite(lb_j[order_j])
                h_idx = (a.pos_first_pair[order_i] + (order_j - order_i - 1))[ok_h]
                h_cost, _ = self._pair_costs(
                    h_idx, order, q, wins, push1, arr_d0, tail_d, add_p, add_d, room_s
                )
                ub = best_s.copy()
                h_routes = np.flatnonzero(ok_h)
                ub[h_routes] = np.fmin(ub[h_routes], h_cost)
                # a margin for float32 pair costs rounding below their float64 bound
                ub_s = ub[route_of] * (1 + 1e-5) + 1e-3
                keep_i = np.flatnonzero(lb_i < ub_s)
                counts = a.pos_pairs[keep_i]
                total = int(counts.sum())
                if total:
                    starts = a.pos_first_pair[keep_i]
                    shift_idx = np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
                    idx_all = shift_idx + np.arange(total, dtype=np.int64)
                    idx_all = idx_all[lb_j[a.p_j[idx_all]] < ub_s[a.p_j[idx_all]]]
                else:
                    idx_all = np.zeros(0, dtype=np.int64)
                idx_all = np.concatenate([idx_all, h_idx]).astype(np.int64)
                n_extra = len(h_idx)
            cost, d2 = self._pair_costs(idx_all, order, q, wins, push1, arr_d0, tail_d, add_p, add_d, room_s)
        # per-route minimum: the main indices are sorted (so are their routes); then the bound pairs
        best_p = np.full(n_routes, _INF)
        pair_route = a.p_route[idx_all]
        main = len(idx_all) - n_extra
        if main:
            pr = pair_route[:main]
            heads = np.flatnonzero(np.concatenate([[True], pr[1:] != pr[:-1]]))
            best_p[pr[heads]] = np.fmin.reduceat(cost[:main], heads)
        if n_extra:
            hr = pair_route[main:]  # at most one per route
            best_p[hr] = np.fmin(best_p[hr], cost[main:])
        cap_any = (np.maximum.reduceat(room_s.astype(np.int8), a.r_start) > 0).tolist()
        # where each route's best is: first position (together) or first pair reaching it
        n_r = len(self.routes)
        at_s = np.full(n_r, -1, dtype=np.int64)
        hits = np.flatnonzero(np.isfinite(cost_s) & (cost_s == best_s[a.stop_route]))
        r_s, first_s = _heads(a.stop_route[hits])
        at_s[r_s] = hits[first_s]
        at_p = np.full(n_r, -1, dtype=np.int64)
        hits = np.flatnonzero(np.isfinite(cost) & (cost == best_p[pair_route]))
        r_p, first_p = np.unique(pair_route[hits], return_index=True)
        at_p[r_p] = hits[first_p]
        use_s = (at_s >= 0) & ((at_p < 0) | (best_s <= best_p))
        feasible = (at_s >= 0) | (at_p >= 0)
        # the chosen insertion of every feasible route, vectorised
        ks = np.where(use_s, at_s, 0)
        kp = np.where(use_s | (at_p < 0), 0, at_p)
        pair = idx_all[kp] if len(idx_all) else np.zeros(n_r, dtype=np.int64)
        pi, pj = a.p_i[pair], a.p_j[pair]
        best = np.where(use_s, best_s, best_p)
        add_m = np.where(use_s, added_s[ks], add_p[pi] + add_d[pj])
        d2_pair = d2[kp].astype(np.float64) if len(d2) else np.zeros(n_r)
        shift = np.where(use_s, shift_s[ks], np.maximum(d2_pair - a.nxt_wte[pj], 0.0))
        delivery = np.where(use_s, dep_d_s[ks] - s_d, d2_pair - tail_d[pj])
        room = np.where(
            use_s[:, None],
            np.stack([a.room_g[ks], a.room_ml[ks], a.room_p[ks]], axis=1),
            np.stack([a.p_room_g[pair], a.p_room_ml[pair], a.p_room_p[pair]], axis=1),
        )
        peak = np.maximum(a.r_peak, a.r_cap - room + q)
        fill = np.max(peak / a.r_cap, axis=1)
        # the planner's rule: volume is the quantity when volume is what fills the vehicle
        by_volume = peak[:, 1] * a.r_cap[:, 0] > peak[:, 0] * a.r_cap[:, 1]
        sfd = to_d[a.r_start]
        perf = np.where(by_volume, order.volume_ml, order.weight_g) * sfd
        existing = np.where(by_volume, a.r_perf[:, 1], a.r_perf[:, 0])
        dist_after = a.r_dist + add_m
        with np.errstate(invalid="ignore"):
            ttw = np.rint(dist_after * a.r_ttw / 1e6)
            wtt = np.rint(dist_after * a.r_wtt / 1e6)
        rows = zip(
            feasible.tolist(), best.tolist(), add_m.tolist(), shift.tolist(), delivery.tolist(),
            fill.tolist(), perf.tolist(), existing.tolist(), ttw.tolist(), wtt.tolist(), strict=True,
        )  # fmt: skip

        out: list[Candidate] = []
        for r_idx, (route, row) in enumerate(zip(self.routes, rows, strict=True)):
            ok, cost_c, add_r, shift_r, deliv_r, fill_r, perf_r, existing_r, ttw_r, wtt_r = row
            vehicle = self.vehicles[route.vehicle_id]
            if not ok:
                lo = int(a.r_start[r_idx])
                if route.locked:
                    reason, detail = UnassignedReason.LOCKED_OUT, "the round is locked (already dispatched)"
                elif not skills <= vehicle.type.skills:
                    reason, detail = UnassignedReason.SKILL, f"needs {sorted(skills - vehicle.type.skills)}"
                elif not cap_any[r_idx]:
                    reason, detail = UnassignedReason.CAPACITY, "no room left on the round"
                elif not (np.isfinite(to_d[lo]) and np.isfinite(to_p[lo])):
                    reason, detail = (
                        UnassignedReason.UNREACHABLE,
                        "no road joins the round to the order's sites",
                    )
                else:
                    reason, detail = (
                        UnassignedReason.TIME_WINDOW,
                        "no position respects the windows and shift end",
                    )
                out.append(
                    Candidate(
                        vehicle_id=route.vehicle_id,
                        day=route.day,
                        route_id=route.id,
                        new_vehicle_day=False,
                        feasible=False,
                        reason=reason,
                        detail=detail,
                    )
                )
                continue
            if not math.isfinite(perf_r):  # the depot or the drop is off the road network
                q_r = order.volume_ml if by_volume[r_idx] else order.weight_g
                perf_r = q_r * _crow_m(route.stops[0].location, drop.location)
            total = round(existing_r + perf_r)
            p = round(perf_r)
            rate = self.rates[vehicle.type.id]
            out.append(
                Candidate(
                    vehicle_id=route.vehicle_id,
                    day=route.day,
                    route_id=route.id,
                    new_vehicle_day=False,
                    feasible=True,
                    cost_mcents=round(cost_c * 1000),
                    added_distance_m=round(add_r),
                    added_duration_s=round(shift_r),
                    footprint=Footprint(
                        ttw_co2e_g=allocate_co2e_g(int(ttw_r), p, total),
                        wtt_co2e_g=allocate_co2e_g(int(wtt_r), p, total),
                        factor_id=rate.factor_id,
                        source=rate.source,
                        year=rate.year,
                    ),
                    fill_rate_pct=round(fill_r * 100),
                    delivery_s=round(deliv_r),
                )
            )
        return out

    def _pair_costs(
        self,
        idx: IntArray,
        order: Order,
        q: FloatArray,
        wins: Sequence[TimeWindow],
        push1: FloatArray,
        arr_d0: FloatArray,
        tail_d: FloatArray,
        add_p: FloatArray,
        add_d: FloatArray,
        room_s: NDArray[np.bool_],
    ) -> tuple[FloatArray, FloatArray]:
        """Exact cost (inf if infeasible) and delivery push of the pairs ``idx`` (pickup after I < J)."""
        a = self.arrays
        f32 = np.float32
        i, j = a.p_i[idx], a.p_j[idx]
        with np.errstate(invalid="ignore"):
            d1 = push1.astype(f32)[i]
            shift = d1 - a.p_wait[idx]
            np.maximum(shift, 0.0, out=shift)
            if wins:
                arrive = arr_d0.astype(f32)[j]
                arrive += shift
                d2 = _window_start(arrive, wins)
                d2 += tail_d.astype(f32)[j]
            else:
                d2 = (arr_d0 + tail_d).astype(f32)[j]
                d2 += shift
            bad = d1 > a.p_chain[idx]
            bad |= d2 > a.p_slack_j[idx]
            bad |= a.p_room_g[idx] < q[0]
            bad |= a.p_room_p[idx] < q[2]
            if q[1] > 0:
                bad |= a.p_room_ml[idx] < q[1]
            if order.skills:
                bad |= ~room_s[i]
            cost = add_p.astype(f32)[i]
            cost += add_d.astype(f32)[j]
            cost *= a.p_cpk[idx]
            late = d2 - a.p_wte_j[idx]
            np.maximum(late, 0.0, out=late)
            late *= a.p_cph[idx]
            cost += late
            np.putmask(cost, bad, np.inf)
        return cost, d2

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
    cols: dict[str, list[Any]] = {
        k: []
        for k in (
            "stop_route", "profile", "site", "arr", "dep", "nxt", "nxt_arr", "nxt_dist_prev", "nxt_slack", "nxt_wslack",
            "nxt_wte", "valid", "room", "cap", "cpk", "cph",
        )
    }  # fmt: skip
    pairs: dict[str, list[Any]] = {k: [] for k in ("i", "j", "wait", "chain", "room", "cpk", "cph")}
    r_start: list[int] = []
    r_perf: list[list[float]] = []
    r_peak: list[Any] = []
    r_cap: list[Any] = []
    pos_pairs: list[Any] = []
    pos_first: list[Any] = []
    pos_before: list[Any] = []
    p_route: list[Any] = []
    off = 0
    n_pairs = 0
    for r_idx, r in enumerate(routes):
        v = fleet[r.vehicle_id]
        vt = v.type
        stops = r.stops
        n = len(stops)
        r_start.append(off)
        s_arr = np.array([s.arrival_s for s in stops], dtype=np.float64)
        s_dep = np.array([s.departure_s for s in stops], dtype=np.float64)
        ws = np.array(
            [s.window_start_s if s.window_start_s is not None else s.arrival_s for s in stops], np.float64
        )
        we = np.array([s.window_end_s if s.window_end_s is not None else np.inf for s in stops], np.float64)
        we = np.maximum(we, s_arr)  # a stop already late in the plan is not made worse, not blocking
        wait = np.maximum(0.0, ws - s_arr)
        limit = r.day * DAY_S + v.shift_end_s
        nxt_trip = next_start.get((r.vehicle_id, r.day, r.trip))
        if nxt_trip is not None:
            limit = min(limit, nxt_trip - v.reload_s)
        limit = max(limit, int(s_arr[-1]))
        # slack[k] = max push at arrival of k keeping k .. end feasible (backwards)
        sl = np.empty(n)
        sl[-1] = limit - s_arr[-1]
        for k in range(n - 2, -1, -1):
            sl[k] = min(we[k] - s_arr[k], wait[k] + sl[k + 1])
        wp = np.concatenate([[0.0], np.cumsum(wait)])  # wp[k] = waits of stops before k
        wte = wp[n - 1] - wp[:n]  # waits of stops k .. end-1
        h = we - s_arr + wp[:n]
        loads = np.array([[s.load_g, s.load_ml, s.load_parcels] for s in stops], dtype=np.float64)
        cap = np.array([vt.capacity_g, vt.capacity_ml, vt.capacity_parcels], dtype=np.float64)
        r_cap.append(cap)
        r_peak.append(loads.max(axis=0))
        nxt_local = np.minimum(np.arange(n) + 1, n - 1)
        cols["stop_route"].append(np.full(n, r_idx))
        cols["profile"].append(np.full(n, _PROFILES.index(r.profile)))
        cols["site"].append(
            np.array([index(r.profile, Site(id=s.site_id, location=s.location)) for s in stops])
        )
        cols["arr"].append(s_arr)
        cols["dep"].append(s_dep)
        cols["nxt"].append(nxt_local + off)
        cols["nxt_arr"].append(s_arr[nxt_local])
        cols["nxt_dist_prev"].append(np.array([float(s.distance_from_prev_m) for s in stops])[nxt_local])
        cols["nxt_slack"].append(sl[nxt_local])
        cols["nxt_wslack"].append((we - s_arr)[nxt_local])
        cols["nxt_wte"].append(wte[nxt_local])
        cols["valid"].append(np.arange(n) < n - 1)
        # a locked (dispatched) round takes nothing more: no room anywhere
        free = cap if not r.locked else np.full(3, -1.0)
        cols["room"].append(free - loads if not r.locked else np.full((n, 3), -1.0))
        cols["cap"].append(np.tile(cap, (n, 1)))
        cols["cpk"].append(np.full(n, vt.cost_cents_per_km / 1000))
        cols["cph"].append(np.full(n, vt.cost_cents_per_hour / 3600))
        # GLEC performance of the orders already on the route: drop × SFD from the start
        drops = [k for k in range(1, n) if loads[k, 0] < loads[k - 1, 0] or loads[k, 1] < loads[k - 1, 1]]
        perf = [0.0, 0.0]
        if drops:
            start = Site(id=stops[0].site_id, location=stops[0].location)
            dd, _ = travel.legs(
                r.profile, [start], [Site(id=stops[k].site_id, location=stops[k].location) for k in drops]
            )
            for col, k in enumerate(drops):
                sfd = int(dd[0, col]) if dd[0, col] >= 0 else _crow_m(stops[0].location, stops[k].location)
                perf[0] += max(0.0, loads[k - 1, 0] - loads[k, 0]) * sfd
                perf[1] += max(0.0, loads[k - 1, 1] - loads[k, 1]) * sfd
        r_perf.append(perf)
        # pairs over insertion positions 0 .. n-2 with I < J
        m = n - 1
        ii, jj = np.triu_indices(m, k=1)  # row-major: the pairs of one I are contiguous
        per_i = np.concatenate([np.arange(m - 1, -1, -1), [0]])  # stop a has m-1-a pairs as I; END none
        pos_pairs.append(per_i)
        pos_first.append(n_pairs + np.concatenate([[0], np.cumsum(per_i)[:-1]]))
        pos_before.append((np.arange(n) >= 1) & (np.arange(n) < n - 1))
        p_route.append(np.full(len(ii), r_idx))
        n_pairs += len(ii)
        if len(ii):
            chain = np.full((m, m), np.inf)
            room = np.empty((m, m, 3))
            for a in range(m):
                if a + 1 < m:
                    chain[a, a + 1 :] = np.minimum.accumulate(h[a + 1 : m]) - wp[a + 1]
                room[a, a:] = free - np.maximum.accumulate(loads[a:m], axis=0) if not r.locked else -1.0
            pairs["i"].append(ii + off)
            pairs["j"].append(jj + off)
            pairs["wait"].append(wp[jj + 1] - wp[ii + 1])
            pairs["chain"].append(chain[ii, jj])
            pairs["room"].append(room[ii, jj])
            pairs["cpk"].append(np.full(len(ii), vt.cost_cents_per_km / 1000))
            pairs["cph"].append(np.full(len(ii), vt.cost_cents_per_hour / 3600))
        off += n

    def cat(parts: list[Any], *, dtype: Any = np.float64, width: int = 0) -> Any:
        if parts:
            return np.concatenate(parts).astype(dtype)
        return np.zeros((0, width) if width else 0, dtype=dtype)

    # pair-level arrays in float32 (times < 2^24 s are exact) and int32 indices: half the memory traffic
    f32 = np.float32
    p_i = cat(pairs["i"], dtype=np.int32)
    p_j = cat(pairs["j"], dtype=np.int32)
    nxt_slack = cat(cols["nxt_slack"])
    nxt_wte = cat(cols["nxt_wte"])
    profile = cat(cols["profile"], dtype=np.int64)
    site = cat(cols["site"], dtype=np.int64)
    rows = tuple(np.flatnonzero(profile == c) for c in range(len(_PROFILES)))
    room = cat(cols["room"], width=3)
    capc = cat(cols["cap"], width=3)
    proom = cat(pairs["room"], width=3)
    starts = np.array(r_start, dtype=np.int64)
    return _Arrays(
        stop_route=cat(cols["stop_route"], dtype=np.int64),
        stop_profile=profile,
        prof_rows=rows,
        prof_sites=tuple(site[r] for r in rows),
        arr=cat(cols["arr"]),
        dep=cat(cols["dep"]),
        nxt=cat(cols["nxt"], dtype=np.int64),
        nxt_arr=cat(cols["nxt_arr"]),
        nxt_dist_prev=cat(cols["nxt_dist_prev"]),
        nxt_slack=nxt_slack,
        nxt_wslack=cat(cols["nxt_wslack"]),
        nxt_wte=nxt_wte,
        valid=cat(cols["valid"], dtype=np.bool_),
        room_g=np.ascontiguousarray(room[:, 0]),
        room_ml=np.ascontiguousarray(room[:, 1]),
        room_p=np.ascontiguousarray(room[:, 2]),
        cap_g=np.ascontiguousarray(capc[:, 0]),
        cap_ml=np.ascontiguousarray(capc[:, 1]),
        cap_p=np.ascontiguousarray(capc[:, 2]),
        s_cpk=cat(cols["cpk"]),
        s_cph=cat(cols["cph"]),
        r_start=starts,
        r_end=starts + np.array([len(r.stops) for r in routes], dtype=np.int64),
        r_dist=np.array([r.distance_m for r in routes], dtype=np.float64),
        r_perf=np.array(r_perf, dtype=np.float64).reshape(len(routes), 2),
        r_cap=np.array(r_cap, dtype=np.float64).reshape(len(routes), 3),
        r_peak=np.array(r_peak, dtype=np.float64).reshape(len(routes), 3),
        r_ttw=np.array(
            [rates[fleet[r.vehicle_id].type.id].ttw_co2e_mg_per_km for r in routes], dtype=np.float64
        ),
        r_wtt=np.array(
            [rates[fleet[r.vehicle_id].type.id].wtt_co2e_mg_per_km for r in routes], dtype=np.float64
        ),
        p_i=p_i,
        p_j=p_j,
        p_wait=cat(pairs["wait"], dtype=f32),
        p_chain=cat(pairs["chain"], dtype=f32),
        p_room_g=np.ascontiguousarray(proom[:, 0], dtype=f32),
        p_room_ml=np.ascontiguousarray(proom[:, 1], dtype=f32),
        p_room_p=np.ascontiguousarray(proom[:, 2], dtype=f32),
        p_cpk=cat(pairs["cpk"], dtype=f32),
        p_cph=cat(pairs["cph"], dtype=f32),
        p_slack_j=nxt_slack[p_j].astype(f32),
        p_wte_j=nxt_wte[p_j].astype(f32),
        p_route=cat(p_route, dtype=np.int64),
        pos_first_pair=cat(pos_first, dtype=np.int64),
        pos_pairs=cat(pos_pairs, dtype=np.int64),
        pos_has_before=cat(pos_before, dtype=np.bool_),
    )
