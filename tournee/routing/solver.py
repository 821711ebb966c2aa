"""The one module that imports OR-Tools: a generic matrix-based routing model.

INTERFACE PINNED BY THE FOUNDATION COMMIT — the planner issue fills in
``solve_matrix_problem``; the benchmark suite and the week planner call it.

Everything is integers: travel matrices in metres and seconds per *profile*, costs
in integer cost units chosen by the caller (the week planner uses milli-cents), demands
per capacity dimension.  Vehicles index into the profile matrices, so a van and a cargo
bike in one model each use their own network.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "MatrixProblem",
    "MatrixSolution",
    "SolveParams",
    "SolveProgress",
    "solve_matrix_problem",
]

IntMatrix = NDArray[np.int64]


@dataclass(frozen=True, slots=True, kw_only=True)
class SolveParams:
    """Search controls (loadable from TOML by the CLI)."""

    time_limit_s: float = 10.0
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    seed: int = 0
    log_search: bool = False
    solution_limit: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SolveProgress:
    """Reported to the progress callback as the search improves."""

    elapsed_s: float
    best_objective: int
    solutions: int
    phase: str = "search"


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class MatrixProblem:
    """A rich VRP over explicit matrices (VRPTW, PDPTW, multi-profile, optional nodes).

    Node 0 is the default depot.  Per-node sequences have one entry per node; per-vehicle
    sequences one entry per vehicle.  ``None`` means "no constraint / defaults".
    """

    distance_m: Sequence[IntMatrix]  # one n×n matrix per profile
    duration_s: Sequence[IntMatrix]  # one n×n matrix per profile (travel only)
    num_vehicles: int
    arc_cost: Sequence[IntMatrix] | None = None  # per profile; default = distance
    vehicle_profile: Sequence[int] | None = None  # index into the matrices, default 0
    vehicle_start: Sequence[int] | None = None  # default depot 0
    vehicle_end: Sequence[int] | None = None  # default depot 0
    vehicle_window: Sequence[tuple[int, int]] | None = None  # (earliest start, latest end)
    vehicle_fixed_cost: Sequence[int] | None = None
    vehicle_cost_per_s: Sequence[int] | None = None  # cost units per second of route span
    capacities: Sequence[Sequence[int]] = ()  # [dimension][vehicle]
    demands: Sequence[Sequence[int]] = ()  # [dimension][node], signed for pickup/delivery
    time_windows: Sequence[Sequence[tuple[int, int]] | None] | None = None  # [node] → intervals
    service_s: Sequence[int] | None = None  # [node]
    pickups_deliveries: Sequence[tuple[int, int]] = ()
    allowed_vehicles: Sequence[Sequence[int] | None] | None = None  # [node]
    drop_penalty: Sequence[int | None] | None = None  # [node]; None = mandatory
    horizon_s: int = 10**9
    trip_chains: Sequence[tuple[Sequence[int], int]] = ()  # (vehicles in order, reload_s)
    initial_routes: Sequence[Sequence[int]] | None = None  # warm start, per vehicle
    locked_vehicles: Sequence[int] = field(default=())  # keep their initial route as is


@dataclass(frozen=True, slots=True, kw_only=True)
class MatrixSolution:
    """Routes per vehicle (visited nodes, depot excluded), their arrival times, and dropped nodes."""

    routes: tuple[tuple[int, ...], ...]
    arrival_s: tuple[tuple[int, ...], ...]
    start_s: tuple[int, ...]
    end_s: tuple[int, ...]
    dropped: tuple[int, ...]
    objective: int
    status: str
    wall_s: float
    first_solution_s: float | None
    solutions: int


def solve_matrix_problem(
    problem: MatrixProblem,
    *,
    params: SolveParams = SolveParams(),
    progress: Callable[[SolveProgress], None] | None = None,
) -> MatrixSolution:
    """Solve ``problem`` with OR-Tools routing (implemented by the planner issue)."""
    raise NotImplementedError("solve_matrix_problem is implemented by the week-planner work")
