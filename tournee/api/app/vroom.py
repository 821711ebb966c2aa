"""VROOM JSON in and out: solve a VROOM problem with Tournée's routing core.

Tools that speak VROOM (https://github.com/VROOM-Project/vroom/blob/master/docs/API.md)
can switch: ``vehicles``, ``jobs`` and ``shipments`` with coordinates go in; ``code``,
``summary``, ``routes`` (steps with arrival, cumulated duration and distance, load) and
``unassigned`` come out — each unassigned task with an added ``reason`` (capacity,
skill, time_window, unreachable, off_network, not_worth_it) and a ``detail`` a planner can
act on.  Travel is on the roads of the loaded map (or straight lines on request); costs
are travel durations, as VROOM's default.  Amounts of jobs are loaded at the start
(deliveries) or brought back (pickups) and both count against capacity.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from tournee.api.app.schemas import Lat, Lon
from tournee.domain import InvalidInput, Location, Profile, Site
from tournee.routing.solver import MatrixProblem, MatrixSolution, SolveParams, solve_matrix_problem
from tournee.routing.travel import SiteMatrices, TravelModel

__all__ = ["VroomProblem", "solve_vroom"]

Coord = Annotated[tuple[Lon, Lat], Field(description="[lon, lat]")]
Window = Annotated[
    tuple[Annotated[int, Field(strict=True, ge=0)], Annotated[int, Field(strict=True, ge=0)]], Field()
]
Amount = Annotated[list[Annotated[int, Field(strict=True, ge=0, le=10**9)]], Field(max_length=8)]
TaskId = Annotated[int, Field(strict=True, ge=0, le=2**53)]
Skills = Annotated[list[Annotated[int, Field(strict=True, ge=0)]], Field(max_length=50)]


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")


class VroomVehicle(_In):
    id: TaskId
    profile: Literal["car", "van", "bike", "cargo_bike", "truck"] = "car"
    start: Coord | None = None
    end: Coord | None = None
    capacity: Amount | None = None
    time_window: Window | None = None
    skills: Skills | None = None
    description: Annotated[str, Field(max_length=200)] = ""


class VroomJob(_In):
    id: TaskId
    location: Coord
    service: Annotated[int, Field(strict=True, ge=0, le=86_400)] = 0
    delivery: Amount | None = None
    pickup: Amount | None = None
    amount: Amount | None = None  # older VROOM name for delivery
    time_windows: Annotated[list[Window], Field(max_length=20)] | None = None
    skills: Skills | None = None
    priority: Annotated[int, Field(strict=True, ge=0, le=100)] = 0
    description: Annotated[str, Field(max_length=200)] = ""


class VroomStep(_In):
    id: TaskId
    location: Coord
    service: Annotated[int, Field(strict=True, ge=0, le=86_400)] = 0
    time_windows: Annotated[list[Window], Field(max_length=20)] | None = None
    description: Annotated[str, Field(max_length=200)] = ""


class VroomShipment(_In):
    pickup: VroomStep
    delivery: VroomStep
    amount: Amount | None = None
    skills: Skills | None = None
    priority: Annotated[int, Field(strict=True, ge=0, le=100)] = 0


class VroomProblem(_In):
    """A VROOM problem with coordinates (matrices given by the caller are not supported)."""

    vehicles: Annotated[list[VroomVehicle], Field(min_length=1, max_length=200)]
    jobs: Annotated[list[VroomJob], Field(max_length=2000)] = Field(default_factory=list)
    shipments: Annotated[list[VroomShipment], Field(max_length=1000)] = Field(default_factory=list)


_PROFILE = {"car": Profile.VAN, "van": Profile.VAN, "truck": Profile.VAN, "bike": Profile.CARGO_BIKE,
            "cargo_bike": Profile.CARGO_BIKE}  # fmt: skip
_PENALTY = 10**8  # seconds-equivalent: serving is always preferred when feasible


class _Task:
    __slots__ = ("amount", "delivered", "id", "kind", "location", "node", "partner", "picked", "pointer", "priority",
                 "service", "skills", "windows")  # fmt: skip

    def __init__(self, *, kind: str, id: int, location: tuple[float, float], service: int, windows: list[tuple[int, int]] | None,
                 amount: list[int], skills: set[int], priority: int, pointer: str) -> None:  # fmt: skip
        self.kind, self.id, self.location, self.service = kind, id, location, service
        self.windows, self.amount, self.skills, self.priority = windows, amount, skills, priority
        self.pointer = pointer
        self.node = -1
        self.delivered: list[int] = []  # a job's amounts loaded at the start
        self.picked: list[int] = []  # a job's amounts brought back
        self.partner: _Task | None = None


def _tasks(problem: VroomProblem) -> list[_Task]:
    tasks: list[_Task] = []
    seen: set[tuple[str, int]] = set()

    def unique(kind: str, task_id: int, pointer: str) -> None:
        key = ("job" if kind == "job" else "shipment-" + kind, task_id)
        if key in seen:
            raise InvalidInput(f"{pointer}/id: duplicate {kind} id {task_id}", pointer=f"{pointer}/id")
        seen.add(key)

    for i, job in enumerate(problem.jobs):
        unique("job", job.id, f"/jobs/{i}")
        amount = [a + b for a, b in _zip_amounts(job.delivery or job.amount or [], job.pickup or [])]
        tasks.append(_Task(kind="job", id=job.id, location=job.location, service=job.service,
                           windows=[tuple(w) for w in job.time_windows] if job.time_windows else None,  # type: ignore[misc]
                           amount=amount, skills=set(job.skills or []), priority=job.priority, pointer=f"/jobs/{i}"))  # fmt: skip
        tasks[-1].delivered = list(job.delivery or job.amount or [])
        tasks[-1].picked = list(job.pickup or [])
    for i, sh in enumerate(problem.shipments):
        unique("pickup", sh.pickup.id, f"/shipments/{i}/pickup")
        unique("delivery", sh.delivery.id, f"/shipments/{i}/delivery")
        amount = list(sh.amount or [])
        p = _Task(kind="pickup", id=sh.pickup.id, location=sh.pickup.location, service=sh.pickup.service,
                  windows=[tuple(w) for w in sh.pickup.time_windows] if sh.pickup.time_windows else None,  # type: ignore[misc]
                  amount=amount, skills=set(sh.skills or []), priority=sh.priority, pointer=f"/shipments/{i}/pickup")  # fmt: skip
        d = _Task(kind="delivery", id=sh.delivery.id, location=sh.delivery.location, service=sh.delivery.service,
                  windows=[tuple(w) for w in sh.delivery.time_windows] if sh.delivery.time_windows else None,  # type: ignore[misc]
                  amount=amount, skills=set(sh.skills or []), priority=sh.priority, pointer=f"/shipments/{i}/delivery")  # fmt: skip
        p.partner, d.partner = d, p
        tasks.extend((p, d))
    for t in tasks:
        for k, (a, b) in enumerate(t.windows or []):
            if b < a:
                raise InvalidInput(
                    f"{t.pointer}/time_windows/{k}: ends before it starts",
                    pointer=f"{t.pointer}/time_windows/{k}",
                )
    return tasks


def _zip_amounts(a: Sequence[int], b: Sequence[int]) -> list[tuple[int, int]]:
    n = max(len(a), len(b))
    return [(a[k] if k < len(a) else 0, b[k] if k < len(b) else 0) for k in range(n)]


def solve_vroom(
    problem: VroomProblem, *, travel: TravelModel, time_limit_s: float = 2.0, travel_name: str = ""
) -> dict[str, Any]:
    """Solve a VROOM problem; answer in VROOM's solution format with reasons for unassigned tasks.

    Raises
    ------
    InvalidInput
        For inconsistent input (duplicate ids, a window ending before it starts).
    """
    t0 = time.perf_counter()
    tasks = _tasks(problem)
    vehicles = problem.vehicles
    for k, v in enumerate(vehicles):
        if v.time_window is not None and v.time_window[1] < v.time_window[0]:
            raise InvalidInput(
                f"/vehicles/{k}/time_window: ends before it starts", pointer=f"/vehicles/{k}/time_window"
            )
    # Times are shifted so the earliest one is 0 (VROOM allows UNIX timestamps).
    times = [w[0] for t in tasks for w in (t.windows or [])] + [
        v.time_window[0] for v in vehicles if v.time_window
    ]
    t_zero = min(times) if times else 0
    # A free "anywhere" depot (no travel to or from it) for vehicles without start or end;
    # it must be some vehicle's start or end, else the solver would treat it as a stop.
    free = any(v.start is None or v.end is None for v in vehicles)
    coords: list[tuple[float, float] | None] = [None] if free else []
    start_node: list[int] = []
    end_node: list[int] = []
    for v in vehicles:
        for coord, target in ((v.start, start_node), (v.end, end_node)):
            if coord is None:
                target.append(0)  # the free depot, node 0 when it exists
            else:
                coords.append(coord)
                target.append(len(coords) - 1)
    for t in tasks:
        coords.append(t.location)
        t.node = len(coords) - 1
    n = len(coords)
    profiles = sorted({_PROFILE[v.profile] for v in vehicles}, key=lambda p: p.value)
    dist_mats, dur_mats, reach = [], [], []
    sites = [
        Site(id=f"n{i}", location=Location(lon=c[0], lat=c[1])) for i, c in enumerate(coords) if c is not None
    ]
    off: dict[int, str] = {}
    for profile in profiles:
        mats: SiteMatrices = travel.site_matrices(profile, sites)
        dist = np.zeros((n, n), dtype=np.int64)
        dur = np.zeros((n, n), dtype=np.int64)
        ok = np.ones((n, n), dtype=np.bool_)
        o = 1 if free else 0
        dist[o:, o:] = np.where(mats.reachable, mats.distance_m, 0)
        dur[o:, o:] = np.where(mats.reachable, mats.duration_s, 0)
        ok[o:, o:] = mats.reachable
        for sid, why in mats.off_network.items():
            off[int(sid[1:])] = why
        dist_mats.append(dist)
        dur_mats.append(dur)
        reach.append(ok)
    vprofile = [profiles.index(_PROFILE[v.profile]) for v in vehicles]
    dims = max([len(v.capacity or []) for v in vehicles] + [len(t.amount) for t in tasks] + [0])
    capacities = [
        [(v.capacity or [])[d] if d < len(v.capacity or []) else 0 for v in vehicles] for d in range(dims)
    ]
    demands = [[0] * n for _ in range(dims)]
    for t in tasks:
        for d, amount in enumerate(t.amount):
            demands[d][t.node] = -amount if t.kind == "delivery" else amount
    windows: list[list[tuple[int, int]] | None] = [None] * n
    service = [0] * n
    allowed: list[list[int] | None] = [None] * n
    penalty: list[int | None] = [None] * n
    reasons: dict[int, tuple[str, str]] = {}
    horizon = 10**9
    for t in tasks:
        service[t.node] = t.service
        if t.windows:
            windows[t.node] = [(a - t_zero, b - t_zero) for a, b in t.windows]
        fits = [
            k for k, v in enumerate(vehicles)
            if t.skills <= set(v.skills or []) and all(
                a <= (capacities[d][k] if d < dims else 0) for d, a in enumerate(t.amount))
        ]  # fmt: skip
        if not any(t.skills <= set(v.skills or []) for v in vehicles):
            reasons[t.node] = ("skill", f"no vehicle has the skills {sorted(t.skills)}")
        elif not fits:
            reasons[t.node] = ("capacity", f"amount {t.amount} exceeds every suitable vehicle's capacity")
        elif t.node in off:  # site n{i} is node i (the free depot has no site)
            reasons[t.node] = ("off_network", off[t.node])
        allowed[t.node] = fits
        penalty[t.node] = _PENALTY * (1 + t.priority)
    vehicle_window = [
        ((v.time_window[0] - t_zero, v.time_window[1] - t_zero) if v.time_window else (0, horizon))
        for v in vehicles
    ]
    matrix = MatrixProblem(
        distance_m=dist_mats,
        duration_s=dur_mats,
        arc_cost=dur_mats,
        num_vehicles=len(vehicles),
        vehicle_profile=vprofile,
        vehicle_start=start_node,
        vehicle_end=end_node,
        vehicle_window=vehicle_window,
        capacities=capacities,
        demands=demands,
        time_windows=windows,
        service_s=service,
        pickups_deliveries=[(t.node, t.partner.node) for t in tasks if t.kind == "pickup" and t.partner],
        allowed_vehicles=allowed,
        drop_penalty=penalty,
        horizon_s=horizon,
    )
    loaded = time.perf_counter()
    solution = solve_matrix_problem(matrix, params=SolveParams(time_limit_s=time_limit_s))
    return _answer(problem, tasks, solution, matrix, reach, vprofile, t_zero, reasons,
                   loading_ms=round((loaded - t0) * 1000), travel_name=travel_name)  # fmt: skip


def _why_unassigned(t: _Task, matrix: MatrixProblem, reach: list[Any], vprofile: list[int], reasons: dict[int, tuple[str, str]]) -> tuple[str, str]:  # fmt: skip
    if t.node in reasons:
        return reasons[t.node]
    allowed = (matrix.allowed_vehicles or [])[t.node] or []
    starts, ends = matrix.vehicle_start or [], matrix.vehicle_end or []
    reachable = [
        k for k in allowed if reach[vprofile[k]][starts[k], t.node] and reach[vprofile[k]][t.node, ends[k]]
    ]
    if not reachable:
        return "unreachable", "no road joins it to a suitable vehicle's start and end"
    windows = (matrix.time_windows or [])[t.node]
    if windows:
        for k in reachable:
            v0, v1 = (matrix.vehicle_window or [])[k]
            dur = matrix.duration_s[vprofile[k]]
            arrive = v0 + int(dur[starts[k], t.node])
            for a, b in windows:
                begin = max(arrive, a)
                if begin <= b and begin + (matrix.service_s or [])[t.node] + int(dur[t.node, ends[k]]) <= v1:
                    break
            else:
                continue
            break
        else:
            return (
                "time_window",
                "no suitable vehicle can reach it inside its time windows and still return in time",
            )
    return "not_worth_it", "servable alone, but the vehicles' time and capacity went to other tasks"


def _answer(problem: VroomProblem, tasks: list[_Task], solution: MatrixSolution, matrix: MatrixProblem,
            reach: list[Any], vprofile: list[int], t_zero: int, reasons: dict[int, tuple[str, str]],
            *, loading_ms: int, travel_name: str) -> dict[str, Any]:  # fmt: skip
    by_node = {t.node: t for t in tasks}
    routes_out = []
    total = {"cost": 0, "duration": 0, "distance": 0, "service": 0, "waiting_time": 0}
    dims = len(matrix.capacities)
    for k, nodes in enumerate(solution.routes):
        if not nodes:
            continue
        v = problem.vehicles[k]
        prof = vprofile[k]
        dur, dist = matrix.duration_s[prof], matrix.distance_m[prof]
        starts, ends = matrix.vehicle_start or [], matrix.vehicle_end or []
        start_load = [sum(_part(by_node[n].delivered, d) for n in nodes) for d in range(dims)]
        current = list(start_load)
        steps: list[dict[str, Any]] = []
        prev = starts[k]
        cum_dur = cum_dist = service = waiting = 0
        t_now = solution.start_s[k]
        loc = v.start
        steps.append({"type": "start", "location": list(loc) if loc else None, "arrival": t_now + t_zero,
                      "duration": 0, "distance": 0, "load": list(current)})  # fmt: skip
        for n, arrival in zip(nodes, solution.arrival_s[k], strict=False):
            t = by_node[n]
            cum_dur += int(dur[prev, n])
            cum_dist += int(dist[prev, n])
            travel_arrival = t_now + int(dur[prev, n])
            waiting += max(0, arrival - travel_arrival)
            for d in range(dims):
                amount = t.amount[d] if d < len(t.amount) else 0
                if t.kind == "pickup":
                    current[d] += amount
                elif t.kind == "delivery":
                    current[d] -= amount
                else:
                    current[d] += _part(t.picked, d) - _part(t.delivered, d)
            steps.append({"type": t.kind, "id": t.id, "location": list(t.location), "arrival": arrival + t_zero,
                          "duration": cum_dur, "distance": cum_dist, "service": t.service,
                          "waiting_time": max(0, arrival - travel_arrival), "load": list(current)})  # fmt: skip
            service += t.service
            t_now = arrival + t.service
            prev = n
        cum_dur += int(dur[prev, ends[k]])
        cum_dist += int(dist[prev, ends[k]])
        steps.append({"type": "end", "location": list(v.end) if v.end else None, "arrival": solution.end_s[k] + t_zero,
                      "duration": cum_dur, "distance": cum_dist, "load": list(current)})  # fmt: skip
        figures = {
            "cost": cum_dur,
            "duration": cum_dur,
            "distance": cum_dist,
            "service": service,
            "waiting_time": waiting,
        }
        for key, value in figures.items():
            total[key] += value
        route: dict[str, Any] = {"vehicle": v.id, "cost": cum_dur, "service": service, "duration": cum_dur, "waiting_time": waiting,
                 "distance": cum_dist, "steps": steps, "delivery": start_load, "amount": start_load}  # fmt: skip
        routes_out.append(route)
    dropped = set(solution.dropped)
    unassigned = []
    for t in tasks:
        if t.node in dropped:
            reason, detail = _why_unassigned(t, matrix, reach, vprofile, reasons)
            unassigned.append({"id": t.id, "type": t.kind, "location": list(t.location), "reason": reason,
                               "detail": detail, "description": ""})  # fmt: skip
    return {
        "code": 0,
        "summary": {
            **total,
            "routes": len(routes_out),
            "unassigned": len(unassigned),
            "setup": 0,
            "priority": 0,
            "violations": [],
            "computing_times": {
                "loading": loading_ms,
                "solving": round(solution.wall_s * 1000),
                "routing": 0,
            },
        },
        "unassigned": unassigned,
        "routes": routes_out,
        "tournee": {"status": solution.status, "objective": solution.objective, "travel": travel_name},
    }


def _part(amounts: Sequence[int], d: int) -> int:
    return amounts[d] if d < len(amounts) else 0
