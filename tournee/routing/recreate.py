"""Ruin and recreate over the routes of a solved matrix problem (no OR-Tools here).

Why: OR-Tools' local search inserts a dropped order only through a neighbourhood scan of
every move it knows; on a full sector of a big week (~250 stops) one scan takes ~2.6 s and
accepts one or two moves, so the search stops placing orders after its first descent
(``docs/benchmarks.md``, "why the sector searches stall").  Ruin and recreate (Schrimpf
et al. 2000; SISR, Christiaens & Vanden Berghe 2020) works the other way round: remove a
few orders near one another, re-insert every order that is out — the removed ones and the
dropped ones — at its cheapest feasible place, keep the result by simulated annealing.
Each insertion is checked in constant time per position (earliest and latest service
starts, loads and their suffix extremes per route), so one ruin and recreate of a 250-stop
sector takes about a millisecond instead of a scan.

The model is the one :mod:`tournee.routing.solver` builds, restricted to what these checks
express exactly: one time window per stop, the vehicle's start/end windows, capacities
with signed demands, pickup before delivery on one vehicle, allowed vehicles, drop
penalties, locked vehicles, fixed and per-second (span) costs.  :func:`supports` says
whether a problem is in that scope (several windows per stop or trip chains are not); the
solver then gives the routes back to OR-Tools, which re-checks every constraint and
computes the objective, so a plan never depends on these checks alone.

Arrays (all ``int64`` unless said): ``transit[p, i, j]`` travel time of profile ``p`` plus
the service time at ``i``; ``cost[p, i, j]``; per vehicle ``profile, start, end, start_lo,
start_hi, end_lo, end_hi, fixed, per_s``, ``cap[d, v]``, ``locked`` (bool); per node
``lo, hi, mate`` (delivery of a pickup, pickup of a delivery, -1 for a single stop or a
depot), ``kind`` (0 single stop, 1 pickup, 2 delivery, 3 depot), ``penalty`` (-1 when the
stop must be served), ``dem[d, n]``, ``allowed[v, n]`` (bool); ``near[n, k]`` the stops
nearest to each node.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Instance",
    "RuinRecreateResult",
    "can_eliminate",
    "eliminate_route",
    "route_costs",
    "ruin_and_recreate",
    "split_routes",
    "warm_up",
]

I64 = NDArray[np.int64]
Routes = Sequence[Sequence[int]]
BOOL = NDArray[np.bool_]

SINGLE, PICKUP, DELIVERY, DEPOT = 0, 1, 2, 3
_INF = 2**62
_MAX_STRING = 10  # longest string of consecutive stops one ruin takes from a route


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Instance:
    """A matrix problem as arrays (see the module docstring for each field)."""

    transit: I64
    cost: I64
    profile: I64
    start: I64
    end: I64
    start_lo: I64
    start_hi: I64
    end_lo: I64
    end_hi: I64
    fixed: I64
    per_s: I64
    cap: I64
    locked: BOOL
    lo: I64
    hi: I64
    mate: I64
    kind: I64
    penalty: I64
    dem: I64
    allowed: BOOL
    near: I64

    def __post_init__(self) -> None:
        n = self.lo.shape[0]
        v = self.profile.shape[0]
        if self.transit.shape[1:] != (n, n) or self.cost.shape != self.transit.shape:
            raise ValueError("transit and cost must be profiles × n × n")
        if self.cap.shape[1] != v or self.dem.shape != (self.cap.shape[0], n):
            raise ValueError("cap must be dims × vehicles and dem dims × nodes")
        if self.allowed.shape != (v, n) or self.near.shape[0] != n:
            raise ValueError("allowed must be vehicles × nodes and near nodes × k")


@dataclass(frozen=True, slots=True, kw_only=True)
class RuinRecreateResult:
    """The best routes found (nodes per vehicle, depots excluded) and the search's counts."""

    routes: tuple[tuple[int, ...], ...]
    objective: int  # route costs + penalties of the dropped stops, as these checks price them
    start_objective: int
    iterations: int
    improvements: int


# --------------------------------------------------------------------------- kernels


@numba.njit(cache=True, nogil=True)  # type: ignore[misc]
def _schedule(
    v: int,
    routes: I64,
    rlen: I64,
    transit: I64,
    profile: I64,
    start: I64,
    end: I64,
    start_lo: I64,
    start_hi: I64,
    end_lo: I64,
    end_hi: I64,
    lo: I64,
    hi: I64,
    dem: I64,
    cap: I64,
    early: I64,
    late: I64,
    load: I64,
    sufmax: I64,
    sufmin: I64,
    head: I64,
    tail: I64,
) -> bool:
    """Earliest and latest service starts, loads and suffix load extremes of route ``v``.

    ``early[v, x]`` / ``late[v, x]`` for the route's x-th stop; ``head[v]`` the earliest
    start and ``tail[v]`` the latest end; ``load[d, v, x]`` the load after stop x;
    ``sufmax/sufmin[d, v, x]`` extremes of ``load[d, v, x:]`` (index L: none).  Returns
    whether the route is feasible.
    """
    p = profile[v]
    n_stops = rlen[v]
    ok = True
    t = start_lo[v]
    prev = start[v]
    head[v] = t
    for x in range(n_stops):
        node = routes[v, x]
        t = max(t + transit[p, prev, node], lo[node])
        if t > hi[node]:
            ok = False
        early[v, x] = t
        prev = node
    t_end = max(t + transit[p, prev, end[v]], end_lo[v])
    if t_end > end_hi[v]:
        ok = False
    t = end_hi[v]
    nxt = end[v]
    tail[v] = t
    for x in range(n_stops - 1, -1, -1):
        node = routes[v, x]
        t = min(t - transit[p, node, nxt], hi[node])
        late[v, x] = t
        nxt = node
    if n_stops > 0 and min(t - transit[p, start[v], nxt], start_hi[v]) < start_lo[v]:
        ok = False
    for d in range(dem.shape[0]):
        c = np.int64(0)
        for x in range(n_stops):
            c += dem[d, routes[v, x]]
            load[d, v, x] = c
            if c < 0 or c > cap[d, v]:
                ok = False
        sufmax[d, v, n_stops] = -_INF
        sufmin[d, v, n_stops] = _INF
        for x in range(n_stops - 1, -1, -1):
            sufmax[d, v, x] = max(sufmax[d, v, x + 1], load[d, v, x])
            sufmin[d, v, x] = min(sufmin[d, v, x + 1], load[d, v, x])
    return ok


@numba.njit(cache=True, nogil=True)  # type: ignore[misc]
def _route_cost(
    v: int,
    routes: I64,
    rlen: I64,
    transit: I64,
    cost: I64,
    profile: I64,
    start: I64,
    end: I64,
    start_hi: I64,
    end_lo: I64,
    end_hi: I64,
    lo: I64,
    hi: I64,
    fixed: I64,
    per_s: I64,
) -> int:
    """Arc costs + fixed cost + per-second cost × the shortest span (an empty route costs 0).

    With one window per stop the span is shortest when the route leaves as late as its
    windows allow: the end time never drops by leaving earlier.
    """
    n_stops = rlen[v]
    if n_stops == 0:
        return 0
    p = profile[v]
    total = fixed[v]
    prev = start[v]
    for x in range(n_stops):
        total += cost[p, prev, routes[v, x]]
        prev = routes[v, x]
    total += cost[p, prev, end[v]]
    if per_s[v] == 0:
        return int(total)
    # latest start that keeps the route feasible
    t = end_hi[v]
    nxt = end[v]
    for x in range(n_stops - 1, -1, -1):
        node = routes[v, x]
        t = min(t - transit[p, node, nxt], hi[node])
        nxt = node
    leave = min(t - transit[p, start[v], nxt], start_hi[v])
    t = leave
    prev = start[v]
    for x in range(n_stops):
        node = routes[v, x]
        t = max(t + transit[p, prev, node], lo[node])
        prev = node
    t = max(t + transit[p, prev, end[v]], end_lo[v])
    return int(total + per_s[v] * (t - leave))


@numba.njit(cache=True, nogil=True)  # type: ignore[misc]
def _best_single(
    u: int,
    v: int,
    routes: I64,
    rlen: I64,
    transit: I64,
    cost: I64,
    profile: I64,
    start: I64,
    end: I64,
    lo: I64,
    hi: I64,
    dem: I64,
    cap: I64,
    per_s: I64,
    fixed: I64,
    early: I64,
    late: I64,
    load: I64,
    sufmax: I64,
    sufmin: I64,
    head: I64,
    tail: I64,
    blink: float,
    bound: int,
) -> tuple[int, int]:
    """Cheapest feasible gap of route ``v`` for single stop ``u``: (delta, gap), or (bound, -1)
    when no gap costs less than ``bound`` (the best insertion found so far, or the drop penalty)."""
    p = profile[v]
    n_stops = rlen[v]
    best = bound
    best_k = -1
    base = fixed[v] if n_stops == 0 else 0
    for k in range(n_stops + 1):
        t_prev = head[v] if k == 0 else early[v, k - 1]
        if t_prev > hi[u]:
            break  # service starts only grow along a route: no later gap is in time either
        if blink > 0.0 and np.random.random() < blink:
            continue
        prev = start[v] if k == 0 else routes[v, k - 1]
        nxt = end[v] if k == n_stops else routes[v, k]
        t = max(t_prev + transit[p, prev, u], lo[u])
        if t > hi[u]:
            continue
        latest_next = tail[v] if k == n_stops else late[v, k]
        if t + transit[p, u, nxt] > latest_next:
            continue
        ok = True
        for d in range(dem.shape[0]):
            q = dem[d, u]
            if q == 0:
                continue
            before = 0 if k == 0 else load[d, v, k - 1]
            if before + q < 0 or before + q > cap[d, v]:
                ok = False
                break
            if sufmax[d, v, k] + q > cap[d, v] or sufmin[d, v, k] + q < 0:
                ok = False
                break
        if not ok:
            continue
        delta = (
            base
            + cost[p, prev, u]
            + cost[p, u, nxt]
            - cost[p, prev, nxt]
            + per_s[v] * (transit[p, prev, u] + transit[p, u, nxt] - transit[p, prev, nxt])
        )
        if delta < best:
            best = delta
            best_k = k
    return int(best), best_k


@numba.njit(cache=True, nogil=True)  # type: ignore[misc]
def _best_pair(
    pu: int,
    du: int,
    v: int,
    routes: I64,
    rlen: I64,
    transit: I64,
    cost: I64,
    profile: I64,
    start: I64,
    end: I64,
    lo: I64,
    hi: I64,
    dem: I64,
    cap: I64,
    per_s: I64,
    fixed: I64,
    early: I64,
    late: I64,
    load: I64,
    sufmax: I64,
    sufmin: I64,
    head: I64,
    tail: I64,
    blink: float,
    bound: int,
) -> tuple[int, int, int]:
    """Cheapest feasible gaps (k for the pickup, m >= k for the delivery) in route ``v``:
    (delta, k, m), or (bound, -1, -1) when none costs less than ``bound``.

    A pickup gap whose own detour already reaches the bound skips its delivery walk: with
    costs and times that obey the triangle inequality (shortest paths do) the delivery only
    adds to it.  This cuts the quadratic walk of long routes to the few promising gaps.
    """
    p = profile[v]
    n_stops = rlen[v]
    dims = dem.shape[0]
    best = bound
    best_k = -1
    best_m = -1
    base = fixed[v] if n_stops == 0 else 0
    for k in range(n_stops + 1):
        prev = start[v] if k == 0 else routes[v, k - 1]
        t_prev = head[v] if k == 0 else early[v, k - 1]
        if t_prev > hi[pu] or t_prev > hi[du]:
            break  # service starts only grow along a route: no later gap is in time either
        tp = max(t_prev + transit[p, prev, pu], lo[pu])
        if tp > hi[pu]:
            continue
        ok = True
        for d in range(dims):
            before = 0 if k == 0 else load[d, v, k - 1]
            q = dem[d, pu]
            if before + q < 0 or before + q > cap[d, v]:
                ok = False
                break
        if not ok:
            continue
        nxt_k = end[v] if k == n_stops else routes[v, k]
        # the pickup's own detour: a delivery anywhere after it only adds to it (triangle
        # inequality of shortest-path costs and times), so a gap already as dear as the best
        # insertion found needs no delivery walk
        d_pick = (
            cost[p, prev, pu]
            + cost[p, pu, nxt_k]
            - cost[p, prev, nxt_k]
            + per_s[v] * (transit[p, prev, pu] + transit[p, pu, nxt_k] - transit[p, prev, nxt_k])
        )
        if base + d_pick >= best:
            continue
        # delivery right after the pickup
        if not (blink > 0.0 and np.random.random() < blink):
            td = max(tp + transit[p, pu, du], lo[du])
            latest_next = tail[v] if k == n_stops else late[v, k]
            if td <= hi[du] and td + transit[p, du, nxt_k] <= latest_next:
                ok = True
                for d in range(dims):
                    before = 0 if k == 0 else load[d, v, k - 1]
                    q = dem[d, pu] + dem[d, du]
                    if before + q < 0 or before + q > cap[d, v]:
                        ok = False
                        break
                    if sufmax[d, v, k] + q > cap[d, v] or sufmin[d, v, k] + q < 0:
                        ok = False
                        break
                if ok:
                    delta = (
                        base
                        + cost[p, prev, pu]
                        + cost[p, pu, du]
                        + cost[p, du, nxt_k]
                        - cost[p, prev, nxt_k]
                        + per_s[v]
                        * (
                            transit[p, prev, pu]
                            + transit[p, pu, du]
                            + transit[p, du, nxt_k]
                            - transit[p, prev, nxt_k]
                        )
                    )
                    if delta < best:
                        best = delta
                        best_k = k
                        best_m = k
        if k == n_stops:
            continue
        # delivery later: walk the stops after the pickup with their pushed service starts
        t = tp
        last = pu
        for m in range(k + 1, n_stops + 1):
            node = routes[v, m - 1]
            t = max(t + transit[p, last, node], lo[node])
            if t > late[v, m - 1]:
                break  # this stop (and so the rest of the route) can no longer be served in time
            if t > hi[du]:
                break  # the delivery would start later still, here and further on
            last = node
            load_ok = True
            for d in range(dims):
                if load[d, v, m - 1] + dem[d, pu] > cap[d, v] or load[d, v, m - 1] + dem[d, pu] < 0:
                    load_ok = False
                    break
            if not load_ok:
                break  # the pickup's load does not fit past this stop
            if blink > 0.0 and np.random.random() < blink:
                continue
            nxt = end[v] if m == n_stops else routes[v, m]
            td = max(t + transit[p, node, du], lo[du])
            if td > hi[du]:
                continue
            latest_next = tail[v] if m == n_stops else late[v, m]
            if td + transit[p, du, nxt] > latest_next:
                continue
            ok = True
            for d in range(dims):
                q = dem[d, pu] + dem[d, du]
                after = load[d, v, m - 1] + q
                if after < 0 or after > cap[d, v]:
                    ok = False
                    break
                if q != 0 and (sufmax[d, v, m] + q > cap[d, v] or sufmin[d, v, m] + q < 0):
                    ok = False
                    break
            if not ok:
                continue
            delta = (
                base
                + d_pick
                + cost[p, node, du]
                + cost[p, du, nxt]
                - cost[p, node, nxt]
                + per_s[v] * (transit[p, node, du] + transit[p, du, nxt] - transit[p, node, nxt])
            )
            if delta < best:
                best = delta
                best_k = k
                best_m = m
    return int(best), best_k, best_m


@numba.njit(cache=True, nogil=True)  # type: ignore[misc]
def _insert_at(v: int, gap: int, node: int, routes: I64, rlen: I64, route_of: I64) -> None:
    for x in range(rlen[v], gap, -1):
        routes[v, x] = routes[v, x - 1]
    routes[v, gap] = node
    rlen[v] += 1
    route_of[node] = v


@numba.njit(cache=True, nogil=True)  # type: ignore[misc]
def _remove_node(node: int, routes: I64, rlen: I64, route_of: I64) -> int:
    v = route_of[node]
    w = 0
    for x in range(rlen[v]):
        if routes[v, x] != node:
            routes[v, w] = routes[v, x]
            w += 1
    rlen[v] = w
    route_of[node] = -1
    return int(v)


@numba.njit(cache=True, nogil=True)  # type: ignore[misc]
def _scratch(n: int, nv: int, dims: int) -> tuple[I64, I64, I64, I64, I64, I64, I64]:
    """The arrays :func:`_schedule` fills for ``nv`` routes of up to ``n`` stops: early, late,
    load, sufmax, sufmin, head, tail."""
    return (
        np.zeros((nv, n + 1), dtype=np.int64),
        np.zeros((nv, n + 1), dtype=np.int64),
        np.zeros((dims, nv, n + 1), dtype=np.int64),
        np.zeros((dims, nv, n + 2), dtype=np.int64),
        np.zeros((dims, nv, n + 2), dtype=np.int64),
        np.zeros(nv, dtype=np.int64),
        np.zeros(nv, dtype=np.int64),
    )


@numba.njit(cache=True, nogil=True)  # type: ignore[misc]
def _run(
    iterations: int,
    temperature: float,
    cooling: float,
    max_removed: int,
    blink: float,
    seed: int,
    transit: I64,
    cost: I64,
    profile: I64,
    start: I64,
    end: I64,
    start_lo: I64,
    start_hi: I64,
    end_lo: I64,
    end_hi: I64,
    fixed: I64,
    per_s: I64,
    cap: I64,
    locked: BOOL,
    lo: I64,
    hi: I64,
    mate: I64,
    kind: I64,
    penalty: I64,
    dem: I64,
    allowed: BOOL,
    near: I64,
    routes: I64,
    rlen: I64,
    best_routes: I64,
    best_rlen: I64,
    best_obj: I64,
) -> tuple[int, int]:
    """``iterations`` ruins and recreates from ``routes`` (the current solution, updated).

    ``best_*`` keep the best solution seen (``best_obj[0]`` its objective, which the caller
    sets before the first call).  Returns (the current objective, improvements of the best).
    """
    np.random.seed(seed)
    n = lo.shape[0]
    nv = profile.shape[0]
    dims = dem.shape[0]
    early, late, load, sufmax, sufmin, head, tail = _scratch(n, nv, dims)
    route_of = np.full(n, -1, dtype=np.int64)
    rcost = np.zeros(nv, dtype=np.int64)

    def sched(v: int) -> bool:  # recompute route v's schedule, loads and suffix extremes
        return _schedule(  # type: ignore[no-any-return]
            v, routes, rlen, transit, profile, start, end, start_lo, start_hi, end_lo, end_hi,
            lo, hi, dem, cap, early, late, load, sufmax, sufmin, head, tail,
        )  # fmt: skip

    def price(v: int) -> int:  # route v's cost
        return _route_cost(  # type: ignore[no-any-return]
            v, routes, rlen, transit, cost, profile, start, end, start_hi, end_lo, end_hi, lo, hi, fixed, per_s
        )  # fmt: skip

    for v in range(nv):
        for x in range(rlen[v]):
            route_of[routes[v, x]] = v
    # current objective
    cur = np.int64(0)
    for v in range(nv):
        sched(v)
        rcost[v] = price(v)
        cur += rcost[v]
    for u in range(n):
        if kind[u] != DEPOT and route_of[u] < 0 and penalty[u] > 0:
            cur += penalty[u]
    saved_routes = routes.copy()
    saved_rlen = rlen.copy()
    saved_cost = rcost.copy()
    out = np.empty(n, dtype=np.int64)
    seg = np.empty(n, dtype=np.int64)
    touched = np.zeros(nv, dtype=np.bool_)
    improvements = 0
    temp = temperature
    for _ in range(iterations):
        saved_routes[:, :] = routes
        saved_rlen[:] = rlen
        saved_cost[:] = rcost
        touched[:] = False
        # ---- ruin: whole orders near a seed stop (a dropped one half of the time)
        n_out = 0
        for u in range(n):
            if kind[u] != DEPOT and kind[u] != DELIVERY and route_of[u] < 0:
                out[n_out] = u
                n_out += 1
        dropped_count = n_out
        if dropped_count > 0 and np.random.random() < 0.5:
            seed_node = out[np.random.randint(dropped_count)]
        else:
            seed_node = np.random.randint(n)
        target = 1 + np.random.randint(max_removed)
        strings = np.random.random() < 0.5  # SISR: strings of consecutive stops, one per route
        removed = 0
        for j in range(-1, near.shape[1]):
            if removed >= target:
                break
            x = seed_node if j < 0 else near[seed_node, j]
            if x < 0 or kind[x] == DEPOT or route_of[x] < 0 or locked[route_of[x]]:
                continue
            v = route_of[x]
            n_seg = 1
            seg[0] = x
            if strings:
                if touched[v]:
                    continue
                length = 1 + np.random.randint(min(rlen[v], _MAX_STRING))
                pos = 0
                while routes[v, pos] != x:
                    pos += 1
                first = min(max(pos - np.random.randint(length), 0), rlen[v] - length)
                n_seg = length
                for i in range(length):
                    seg[i] = routes[v, first + i]
            for i in range(n_seg):
                y = seg[i]
                if route_of[y] < 0:
                    continue  # gone with its pair
                head_node = y if kind[y] != DELIVERY else mate[y]
                _remove_node(y, routes, rlen, route_of)
                if mate[y] >= 0:
                    _remove_node(mate[y], routes, rlen, route_of)
                touched[v] = True
                out[n_out] = head_node
                n_out += 1
                removed += 1
        for v in range(nv):
            if touched[v]:
                sched(v)
        # ---- recreate: every order that is out, in a random, heaviest-first or farthest-first order
        keys = np.empty(n_out, dtype=np.float64)
        how = np.random.random()
        for i in range(n_out):
            u = out[i]
            if how < 0.5:
                keys[i] = np.random.random()
            elif how < 0.8:
                keys[i] = -float(dem[0, u]) if dims > 0 else np.random.random()
            else:
                keys[i] = -float(cost[0, start[0], u])
        order = np.argsort(keys)
        feasible = True
        for i in range(n_out):
            u = out[order[i]]
            is_pair = kind[u] == PICKUP
            worth = _INF
            if is_pair:
                if penalty[u] >= 0 or penalty[mate[u]] >= 0:
                    worth = max(penalty[u], 0) + max(penalty[mate[u]], 0)
            elif penalty[u] >= 0:
                worth = penalty[u]
            best = _INF
            best_v = -1
            best_k = -1
            best_m = -1
            for v in range(nv):
                if locked[v] or not allowed[v, u] or (is_pair and not allowed[v, mate[u]]):
                    continue
                if is_pair:
                    delta, k, m = _best_pair(
                        u,
                        mate[u],
                        v,
                        routes,
                        rlen,
                        transit,
                        cost,
                        profile,
                        start,
                        end,
                        lo,
                        hi,
                        dem,
                        cap,
                        per_s,
                        fixed,
                        early,
                        late,
                        load,
                        sufmax,
                        sufmin,
                        head,
                        tail,
                        blink,
                        min(best, worth),
                    )
                else:
                    delta, k = _best_single(
                        u,
                        v,
                        routes,
                        rlen,
                        transit,
                        cost,
                        profile,
                        start,
                        end,
                        lo,
                        hi,
                        dem,
                        cap,
                        per_s,
                        fixed,
                        early,
                        late,
                        load,
                        sufmax,
                        sufmin,
                        head,
                        tail,
                        blink,
                        min(best, worth),
                    )
                    m = -1
                if delta < best:
                    best = delta
                    best_v = v
                    best_k = k
                    best_m = m
            if best_v < 0 or best >= worth:
                if worth >= _INF:
                    feasible = False
                    break
                continue
            if is_pair:
                _insert_at(best_v, best_m, mate[u], routes, rlen, route_of)
                _insert_at(best_v, best_k, u, routes, rlen, route_of)
            else:
                _insert_at(best_v, best_k, u, routes, rlen, route_of)
            touched[best_v] = True
            sched(best_v)
        # ---- price the new solution
        new = np.int64(0)
        if feasible:
            for v in range(nv):
                if touched[v]:
                    rcost[v] = price(v)
                new += rcost[v]
            for u in range(n):
                if kind[u] != DEPOT and route_of[u] < 0 and penalty[u] > 0:
                    new += penalty[u]
        accept = feasible and (
            new < cur or (temp > 0.0 and new - cur < -temp * math.log(max(np.random.random(), 1e-12)))
        )
        if accept:
            cur = new
            if new < best_obj[0]:
                best_obj[0] = new
                best_routes[:, :] = routes
                best_rlen[:] = rlen
                improvements += 1
        else:
            routes[:, :] = saved_routes
            rlen[:] = saved_rlen
            rcost[:] = saved_cost
            for u in range(n):
                route_of[u] = -1
            for v in range(nv):
                for x in range(rlen[v]):
                    route_of[routes[v, x]] = v
                if touched[v]:
                    sched(v)
        temp *= cooling
    return int(cur), improvements


@numba.njit(cache=True, nogil=True)  # type: ignore[misc]
def _best_split(
    r: int,
    u: int,
    routes: I64,
    rlen: I64,
    transit: I64,
    cost: I64,
    profile: I64,
    start: I64,
    end: I64,
    start_lo: I64,
    start_hi: I64,
    end_lo: I64,
    end_hi: I64,
    fixed: I64,
    per_s: I64,
    cap: I64,
    locked: BOOL,
    lo: I64,
    hi: I64,
    mate: I64,
    kind: I64,
    penalty: I64,
    dem: I64,
    allowed: BOOL,
    near: I64,
) -> tuple[int, int, bool]:
    """Cheapest cut of route ``r`` in two, one part moved to the empty vehicle ``u``.

    Cuts fall between stops where no pickup waits for its delivery; the part after the cut
    goes to ``u`` (``tail_to_u``) or the part before it does.  Returns (cost change, cut,
    tail_to_u), cut -1 when no feasible cut lowers the cost.  The instance's arrays come in
    :func:`_arrays`' order, as for :func:`_run`.
    """
    n = lo.shape[0]
    nv = profile.shape[0]
    dims = dem.shape[0]
    early, late, load, sufmax, sufmin, head, tail = _scratch(n, nv, dims)
    n_stops = rlen[r]
    base = _route_cost(
        r, routes, rlen, transit, cost, profile, start, end, start_hi, end_lo, end_hi, lo, hi, fixed, per_s
    )
    # which prefixes / suffixes vehicle u may take
    pre_ok = np.zeros(n_stops + 1, dtype=np.bool_)
    suf_ok = np.zeros(n_stops + 1, dtype=np.bool_)
    pre_ok[0] = True
    for x in range(n_stops):
        pre_ok[x + 1] = pre_ok[x] and allowed[u, routes[r, x]]
    suf_ok[n_stops] = True
    for x in range(n_stops - 1, -1, -1):
        suf_ok[x] = suf_ok[x + 1] and allowed[u, routes[r, x]]
    work = routes.copy()
    wlen = rlen.copy()
    best = 0
    best_cut = -1
    best_tail = True
    open_pairs = 0
    for k in range(1, n_stops):
        node = routes[r, k - 1]
        if kind[node] == PICKUP:
            open_pairs += 1
        elif kind[node] == DELIVERY:
            open_pairs -= 1
        if open_pairs != 0:
            continue
        for tail_to_u in (True, False):
            if tail_to_u and not suf_ok[k]:
                continue
            if not tail_to_u and not pre_ok[k]:
                continue
            if tail_to_u:  # r keeps [0, k), u takes [k, n)
                for x in range(k, n_stops):
                    work[u, x - k] = routes[r, x]
                wlen[u] = n_stops - k
                wlen[r] = k
            else:  # u takes [0, k), r keeps [k, n)
                for x in range(k):
                    work[u, x] = routes[r, x]
                for x in range(k, n_stops):
                    work[r, x - k] = routes[r, x]
                wlen[u] = k
                wlen[r] = n_stops - k
            ok_r = _schedule(
                r, work, wlen, transit, profile, start, end, start_lo, start_hi, end_lo, end_hi,
                lo, hi, dem, cap, early, late, load, sufmax, sufmin, head, tail,
            )  # fmt: skip
            ok_u = ok_r and _schedule(
                u, work, wlen, transit, profile, start, end, start_lo, start_hi, end_lo, end_hi,
                lo, hi, dem, cap, early, late, load, sufmax, sufmin, head, tail,
            )  # fmt: skip
            if ok_u:
                delta = (
                    _route_cost(r, work, wlen, transit, cost, profile, start, end, start_hi, end_lo, end_hi, lo, hi, fixed, per_s)
                    + _route_cost(u, work, wlen, transit, cost, profile, start, end, start_hi, end_lo, end_hi, lo, hi, fixed, per_s)
                    - base
                )  # fmt: skip
                if delta < best:
                    best = delta
                    best_cut = k
                    best_tail = tail_to_u
            for x in range(n_stops):  # restore route r
                work[r, x] = routes[r, x]
            wlen[r] = n_stops
            wlen[u] = 0
    return int(best), best_cut, best_tail


# --------------------------------------------------------------------------- driver

_kernel: Any = _run  # numba's dispatcher, called with the instance's arrays spread


def _arrays(inst: Instance) -> tuple[Any, ...]:
    return (
        inst.transit,
        inst.cost,
        inst.profile,
        inst.start,
        inst.end,
        inst.start_lo,
        inst.start_hi,
        inst.end_lo,
        inst.end_hi,
        inst.fixed,
        inst.per_s,
        inst.cap,
        inst.locked,
        inst.lo,
        inst.hi,
        inst.mate,
        inst.kind,
        inst.penalty,
        inst.dem,
        inst.allowed,
        inst.near,
    )


def _pack(inst: Instance, routes: Routes) -> tuple[I64, I64]:
    n = inst.lo.shape[0]
    packed = np.zeros((inst.profile.shape[0], n + 1), dtype=np.int64)
    rlen = np.zeros(inst.profile.shape[0], dtype=np.int64)
    for v, route in enumerate(routes):
        packed[v, : len(route)] = route
        rlen[v] = len(route)
    return packed, rlen


def route_costs(inst: Instance, routes: Routes) -> int:
    """Objective of ``routes`` as this module prices it (route costs + dropped penalties)."""
    packed, rlen = _pack(inst, routes)
    best_routes, best_rlen = packed.copy(), rlen.copy()
    best = np.array([_INF], dtype=np.int64)
    cur, _ = _kernel(0, 0.0, 1.0, 1, 0.0, 0, *_arrays(inst), packed, rlen, best_routes, best_rlen, best)
    return int(cur)


def ruin_and_recreate(
    inst: Instance,
    routes: Routes,
    *,
    time_limit_s: float,
    seed: int = 0,
    max_removed: int = 10,
    blink: float = 0.01,
    batch_s: float = 0.02,
    progress: Callable[[int], None] | None = None,
) -> RuinRecreateResult:
    """Improve ``routes`` (a feasible solution) by ruin and recreate for ``time_limit_s``.

    Simulated annealing from a temperature of the solution's mean arc cost down to a
    hundredth of it over the time limit.  The compiled loop runs in batches sized to take
    about ``batch_s`` seconds each (the clock is read between batches, so the limit is kept
    to about that on any size of problem); ``progress(best_objective)`` after
    each batch that improved the best.  The returned routes are the best solution seen.
    """
    t0 = time.perf_counter()
    packed, rlen = _pack(inst, routes)
    start_obj = route_costs(inst, routes)
    best_routes, best_rlen = packed.copy(), rlen.copy()
    best = np.array([start_obj], dtype=np.int64)
    arcs = int(rlen.sum() + np.count_nonzero(rlen))
    dropped_pen = _dropped_penalties(inst, routes)
    temp0 = max(1.0, (start_obj - dropped_pen) / max(arcs, 1))
    temp_end = temp0 / 100.0
    temp = temp0
    iterations = improvements = 0
    k = 0
    batch = 1
    while True:
        now = time.perf_counter()
        elapsed = now - t0
        if elapsed >= time_limit_s:
            break
        share = elapsed / time_limit_s
        temp = temp0 * (temp_end / temp0) ** share
        before = int(best[0])
        _, imp = _kernel(
            batch,
            temp,
            1.0,
            max_removed,
            blink,
            (seed * 1_000_003 + k) % 2**32,
            *_arrays(inst),
            packed,
            rlen,
            best_routes,
            best_rlen,
            best,
        )
        k += 1
        iterations += batch
        improvements += imp
        took = time.perf_counter() - now
        left = time_limit_s - (time.perf_counter() - t0)
        batch = max(1, min(2 * batch, int(batch * min(batch_s, max(left, 0.0)) / max(took, 1e-6))))
        if progress is not None and int(best[0]) < before:
            progress(int(best[0]))
    out = tuple(tuple(int(x) for x in best_routes[v, : best_rlen[v]]) for v in range(best_rlen.shape[0]))
    return RuinRecreateResult(
        routes=out,
        objective=int(best[0]),
        start_objective=start_obj,
        iterations=iterations,
        improvements=improvements,
    )


def eliminate_route(
    inst: Instance,
    routes: Routes,
    *,
    time_limit_s: float,
    seed: int = 0,
    max_removed: int = 10,
    blink: float = 0.01,
) -> RuinRecreateResult | None:
    """Try to serve what ``routes`` serve with one route fewer.

    Ruin and recreate keeps the number of routes it starts from: a ruin removes at most a
    few orders, so a route of twenty is never emptied, and a plan one vehicle short of the
    best can stay so (Li & Lim lr202: 3 or 4 vehicles, 1,197.7 or 1,250.1, from the same
    start).  Here the smallest route is emptied and its vehicle kept out; its orders may stay
    out at a penalty dearer than the whole plan (so every accepted step serves at least as
    many of them) while ruin and recreate places them among the other routes (unused
    vehicles stay unused).  Returns the result priced with the real penalties when it
    serves every order ``routes`` serve, else None (at once when :func:`can_eliminate` says
    no route can go).
    """
    if not can_eliminate(inst, routes):
        return None
    candidates = [v for v, route in enumerate(routes) if route and not inst.locked[v]]
    pick = min(candidates, key=lambda v: (len(routes[v]), v))
    served = {x for route in routes for x in route}
    start_obj = route_costs(inst, routes)
    out_penalty = max(1, start_obj - _dropped_penalties(inst, routes))
    penalty = inst.penalty.copy()
    penalty[np.asarray(routes[pick], dtype=np.int64)] = out_penalty
    # the emptied vehicle, and every vehicle unused so far, take nothing
    used = np.zeros_like(inst.locked)
    used[candidates] = True
    locked = inst.locked | ~used
    locked[pick] = True
    trial = replace(inst, penalty=penalty, locked=locked)
    start = [list(route) if v != pick else [] for v, route in enumerate(routes)]
    found = ruin_and_recreate(
        trial, start, time_limit_s=time_limit_s, seed=seed, max_removed=max_removed, blink=blink
    )
    if not served <= {x for route in found.routes for x in route}:
        return None
    return RuinRecreateResult(
        routes=found.routes,
        objective=route_costs(inst, found.routes),
        start_objective=start_obj,
        iterations=found.iterations,
        improvements=found.improvements,
    )


def split_routes(inst: Instance, routes: Routes) -> tuple[tuple[int, ...], ...] | None:
    """``routes`` with routes cut in two onto unused vehicles wherever that costs less; None if none.

    The counterpart of :func:`eliminate_route`.  With a per-second cost on each route's
    span, one vehicle serving a morning and an evening round pays for the idle hours
    between them, and two vehicles — one a round — cost less; but ruin and recreate never
    gets there: any single order is cheapest to insert into the long route that already
    spans the day, never into an empty vehicle, whose fixed cost and trip it would carry
    alone (a day's cargo-bike sector of the Helsinki impact week: one bike at €145.78, two
    at €91.13).  Each step takes the cheapest feasible cut over every running
    route and unused vehicle (whole pickup-and-delivery pairs on either side, every stop
    allowed on its new vehicle); steps repeat while one lowers the cost.
    """
    packed, rlen = _pack(inst, routes)
    arrays = _arrays(inst)
    changed = False
    while True:
        running = [v for v in range(rlen.shape[0]) if rlen[v] > 1 and not inst.locked[v]]
        empty: dict[tuple[int, ...], int] = {}  # one unused vehicle per kind of vehicle
        for v in range(rlen.shape[0]):
            if rlen[v] == 0 and not inst.locked[v]:
                kind_of = (
                    int(inst.profile[v]), int(inst.start[v]), int(inst.end[v]), int(inst.start_lo[v]),
                    int(inst.start_hi[v]), int(inst.end_lo[v]), int(inst.end_hi[v]), int(inst.fixed[v]),
                    int(inst.per_s[v]), *inst.cap[:, v].tolist(), *np.flatnonzero(inst.allowed[v]).tolist(),
                )  # fmt: skip
                empty.setdefault(kind_of, v)
        best: tuple[int, int, int, int, bool] | None = None
        for r in running:
            for u in empty.values():
                delta, cut, tail_to_u = _best_split(r, u, packed, rlen, *arrays)
                if cut >= 0 and (best is None or delta < best[0]):
                    best = (delta, r, u, cut, tail_to_u)
        if best is None:
            break
        _, r, u, cut, tail_to_u = best
        route = packed[r, : rlen[r]].copy()
        keep, moved = (route[:cut], route[cut:]) if tail_to_u else (route[cut:], route[:cut])
        packed[r, : len(keep)] = keep
        rlen[r] = len(keep)
        packed[u, : len(moved)] = moved
        rlen[u] = len(moved)
        changed = True
    if not changed:
        return None
    return tuple(tuple(int(x) for x in packed[v, : rlen[v]]) for v in range(rlen.shape[0]))


def can_eliminate(inst: Instance, routes: Routes) -> bool:
    """Whether :func:`eliminate_route` can succeed: every order served, two unlocked routes run.

    A plan that still leaves orders out has no route to spare (a full sector of a week).
    """
    running = sum(1 for v, route in enumerate(routes) if route and not inst.locked[v])
    return running >= 2 and _dropped_penalties(inst, routes) == 0


def _dropped_penalties(inst: Instance, routes: Routes) -> int:
    served = {x for route in routes for x in route}
    return int(
        sum(
            int(inst.penalty[u])
            for u in range(inst.lo.shape[0])
            if inst.kind[u] != DEPOT and u not in served and inst.penalty[u] > 0
        )
    )


_warm = False


def warm_up() -> float:
    """Compile the kernels, or load them from numba's disk cache; returns the seconds it took.

    Once per process (later calls return 0.0).  The first ruin and recreate of a process
    would otherwise spend that time (≈ 10 s to compile after an install, a fraction of a
    second from the cache) inside its own time limit.
    """
    global _warm
    if _warm:
        return 0.0
    t0 = time.perf_counter()
    n = 3
    z = np.zeros(1, dtype=np.int64)
    m = np.ones((1, n, n), dtype=np.int64)
    tiny = Instance(
        transit=m,
        cost=m,
        profile=z,
        start=z,
        end=z,
        start_lo=z,
        start_hi=np.full(1, 100, dtype=np.int64),
        end_lo=z,
        end_hi=np.full(1, 100, dtype=np.int64),
        fixed=z,
        per_s=np.ones(1, dtype=np.int64),
        cap=np.full((1, 1), 5, dtype=np.int64),
        locked=np.zeros(1, dtype=np.bool_),
        lo=np.zeros(n, dtype=np.int64),
        hi=np.full(n, 100, dtype=np.int64),
        mate=np.array([-1, 2, 1], dtype=np.int64),
        kind=np.array([DEPOT, PICKUP, DELIVERY], dtype=np.int64),
        penalty=np.array([-1, 50, 50], dtype=np.int64),
        dem=np.array([[0, 1, -1]], dtype=np.int64),
        allowed=np.ones((1, n), dtype=np.bool_),
        near=np.array([[1], [2], [1]], dtype=np.int64),
    )
    packed, rlen = _pack(tiny, [[]])
    best = np.array([_INF], dtype=np.int64)
    _kernel(2, 1.0, 1.0, 1, 0.5, 0, *_arrays(tiny), packed, rlen, packed.copy(), rlen.copy(), best)
    _best_split(0, 0, packed, rlen, *_arrays(tiny))  # compiles it (an empty route: no cut)
    _warm = True
    return time.perf_counter() - t0
