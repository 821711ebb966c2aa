"""Independent feasibility check and double-precision cost of a benchmark solution.

Every solver in ``benchmarks/solver.py`` sees the same integer problem (arc cost
``round(1000·d)``, travel time ``ceil(1000·d)``); this module re-reads the routes it returns
against the instance itself, in the instance's own units, and recomputes the distance, so the
figures compared with the literature never depend on a solver's own bookkeeping.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from benchmarks.instances import FloatArray, Instance, distance_matrix

__all__ = ["CheckResult", "check_solution"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult:
    """Outcome of :func:`check_solution`.

    ``distance`` is the total arc length in the instance's units (double precision, or the
    TSPLIB nearest-integer arcs for CVRPLIB); ``vehicles`` counts the non-empty routes.
    ``violations`` lists what is wrong, one readable line each (empty when feasible).
    """

    feasible: bool
    distance: float
    vehicles: int
    violations: tuple[str, ...]


def check_solution(
    instance: Instance,
    routes: Sequence[Sequence[int]],
    *,
    tolerance: float = 1e-6,
    dist: FloatArray | None = None,
) -> CheckResult:
    """Check ``routes`` against ``instance`` and re-score them in double precision.

    Parameters
    ----------
    instance
        The instance the routes claim to solve.
    routes
        One list of node ids per vehicle, depot (node 0) excluded; empty routes are ignored.
    tolerance
        Slack allowed on time-window and horizon comparisons (instance time units).
    dist
        The instance's :func:`~benchmarks.instances.distance_matrix`, if already computed.

    Returns
    -------
    CheckResult
        Feasibility (every customer exactly once, capacity at every point of the route, time
        windows with waiting allowed, return to the depot by its due time, pickup before its
        delivery on the same route, no more routes than the fleet) and the re-scored distance.
    """
    d = distance_matrix(instance) if dist is None else dist
    n = instance.n
    violations: list[str] = []
    used = [list(r) for r in routes if len(r) > 0]
    if len(used) > instance.fleet:
        violations.append(f"{len(used)} routes, but the fleet is {instance.fleet}")
    seen = np.zeros(n, dtype=np.int64)
    where: dict[int, tuple[int, int]] = {}
    total = 0.0
    for k, route in enumerate(used):
        bad = [v for v in route if not 0 < v < n]
        if bad:
            violations.append(f"route {k}: node ids {bad[:5]} are not customers (1..{n - 1})")
            continue
        for pos, v in enumerate(route):
            seen[v] += 1
            where[v] = (k, pos)
        path = [0, *route, 0]
        total += float(sum(d[a, b] for a, b in itertools.pairwise(path)))
        _check_load(instance, k, route, violations)
        if instance.has_time_windows:
            _check_times(instance, d, k, route, tolerance, violations)
    missing = [int(v) for v in np.flatnonzero(seen[1:] == 0) + 1]
    twice = [int(v) for v in np.flatnonzero(seen[1:] > 1) + 1]
    if missing:
        violations.append(f"{len(missing)} customers not visited, e.g. {missing[:5]}")
    if twice:
        violations.append(f"{len(twice)} customers visited more than once, e.g. {twice[:5]}")
    for pickup, delivery in instance.pairs:
        if pickup in where and delivery in where:
            (kp, pp), (kd, pd) = where[pickup], where[delivery]
            if kp != kd:
                violations.append(f"pair {pickup}->{delivery}: on routes {kp} and {kd}")
            elif pp > pd:
                violations.append(f"pair {pickup}->{delivery}: delivery before pickup on route {kp}")
    return CheckResult(
        feasible=not violations, distance=total, vehicles=len(used), violations=tuple(violations)
    )


def _check_load(instance: Instance, k: int, route: list[int], violations: list[str]) -> None:
    demands = instance.demand[route]
    if instance.kind == "pdptw":
        load = np.cumsum(demands)
        if load.max(initial=0) > instance.capacity or load.min(initial=0) < 0:
            violations.append(
                f"route {k}: load leaves [0, {instance.capacity}] (max {load.max()}, min {load.min()})"
            )
    elif int(demands.sum()) > instance.capacity:
        violations.append(f"route {k}: load {int(demands.sum())} exceeds capacity {instance.capacity}")


def _check_times(
    instance: Instance, d: FloatArray, k: int, route: list[int], tolerance: float, violations: list[str]
) -> None:
    t = float(instance.ready[0])
    prev = 0
    for v in route:
        t = max(t + float(d[prev, v]), float(instance.ready[v]))
        if t > instance.due[v] + tolerance:
            violations.append(
                f"route {k}: node {v} served at {t:.4f}, after its due time {instance.due[v]:g}"
            )
            return
        t += float(instance.service[v])
        prev = v
    t += float(d[prev, 0])
    if t > instance.due[0] + tolerance:
        violations.append(f"route {k}: back at the depot at {t:.4f}, after the horizon {instance.due[0]:g}")
