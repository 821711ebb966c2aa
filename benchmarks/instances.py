"""Read the literature routing instances in ``../shared/benchmarks`` and their best-known solutions.

Formats (see ``../shared/benchmarks/README.md``):

* Solomon / Gehring & Homberger VRPTW ``.txt`` (node 0 is the depot, its due date the horizon);
* Li & Lim PDPTW ``.txt`` (first line ``K Q speed``, then one line per node with its sibling);
* CVRPLIB ``.vrp`` (TSPLIB ``EUC_2D``, depot is node 1 in the file, node 0 here);
* solution files: SINTEF (``Route k : ids``) and CVRPLIB (``Route #k: customers`` numbered 1..n).

Everything is kept in the instance's own units (double precision); the solver adapters in
``benchmarks/solver.py`` scale to integers and ``benchmarks/checker.py`` re-scores in doubles.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from tournee.domain.errors import InvalidInput

__all__ = [
    "SETS",
    "BestKnown",
    "Instance",
    "distance_matrix",
    "instance_class",
    "instance_paths",
    "load_bks",
    "natural_key",
    "parse_cvrplib",
    "parse_cvrplib_solution",
    "parse_instance",
    "parse_lilim",
    "parse_sintef_solution",
    "parse_solomon",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: benchmark set name → (folder under the shared benchmarks root, file suffix)
SETS: dict[str, tuple[str, str]] = {
    "solomon": ("solomon", ".txt"),
    "homberger200": ("homberger/200", ".txt"),
    "lilim": ("lilim/100", ".txt"),
    "cvrp-x": ("cvrplib/X", ".vrp"),
}


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Instance:
    """One benchmark instance, node 0 the depot, in the instance's own (double) units.

    ``kind`` is ``"vrptw"``, ``"pdptw"`` or ``"cvrp"``.  ``rounding`` says how an arc length is
    derived from the coordinates: ``"exact"`` (double-precision Euclidean, Solomon / Homberger /
    Li & Lim) or ``"nint"`` (TSPLIB ``EUC_2D``: each arc rounded to the nearest integer, CVRPLIB).
    ``demand`` is signed for pickup-and-delivery (pickup > 0, delivery < 0).  ``fleet`` is the
    number of vehicles offered to every solver (an upper bound, not a target).  Without time
    windows (CVRP) ``ready`` is 0 and ``due`` is ``inf``.
    """

    name: str
    kind: str
    x: FloatArray
    y: FloatArray
    demand: IntArray
    ready: FloatArray
    due: FloatArray
    service: FloatArray
    capacity: int
    fleet: int
    pairs: tuple[tuple[int, int], ...] = ()
    rounding: str = "exact"

    def __post_init__(self) -> None:
        n = len(self.x)
        for field in ("y", "demand", "ready", "due", "service"):
            if len(getattr(self, field)) != n:
                raise InvalidInput(
                    f"instance {self.name!r}: {field} has {len(getattr(self, field))} entries, expected {n}"
                )
        if self.kind not in ("vrptw", "pdptw", "cvrp"):
            raise InvalidInput(
                f"instance {self.name!r}: kind must be vrptw, pdptw or cvrp, got {self.kind!r}"
            )
        if self.rounding not in ("exact", "nint"):
            raise InvalidInput(
                f"instance {self.name!r}: rounding must be exact or nint, got {self.rounding!r}"
            )
        if n < 2:
            raise InvalidInput(
                f"instance {self.name!r}: needs a depot and at least one customer, got {n} nodes"
            )
        if self.capacity <= 0 or self.fleet <= 0:
            raise InvalidInput(f"instance {self.name!r}: capacity and fleet must be > 0")

    @property
    def n(self) -> int:
        """Number of nodes, depot included."""
        return len(self.x)

    @property
    def has_time_windows(self) -> bool:
        """Whether the instance carries time windows (every family but CVRP)."""
        return self.kind != "cvrp"


@dataclass(frozen=True, slots=True, kw_only=True)
class BestKnown:
    """A best-known solution value from ``bks.csv`` under one objective convention."""

    vehicles: int
    distance: float
    convention: str  # "hierarchical" | "distance-only"
    source: str


def distance_matrix(instance: Instance) -> FloatArray:
    """Arc lengths between all nodes in double precision, under the instance's convention.

    Parameters
    ----------
    instance
        The instance (``rounding`` selects exact Euclidean or TSPLIB nearest-integer).

    Returns
    -------
    numpy.ndarray
        ``n × n`` float64 matrix (travel time = distance for every family here).
    """
    d = np.hypot(instance.x[:, None] - instance.x[None, :], instance.y[:, None] - instance.y[None, :])
    if instance.rounding == "nint":
        d = np.floor(d + 0.5)
    return d


def natural_key(name: str) -> tuple[object, ...]:
    """Sort key putting ``c1_2_2`` before ``c1_2_10`` and ``R109`` before ``R110``."""
    return tuple(int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name))


def instance_class(name: str) -> str:
    """The class of an instance (``C1``, ``RC2``, ``lc1``, ``r2`` …; ``X`` for CVRPLIB X)."""
    if name.startswith("X-"):
        return "X"
    match = re.match(r"[A-Za-z]+\d", name)
    return match.group(0) if match else name


def instance_paths(root: Path, set_name: str) -> list[Path]:
    """The instance files of one benchmark set, in natural order.

    Parameters
    ----------
    root
        The shared benchmarks folder (``../shared/benchmarks``).
    set_name
        One of :data:`SETS`.

    Raises
    ------
    InvalidInput
        Unknown set, or its folder is missing.
    """
    if set_name not in SETS:
        raise InvalidInput(f"benchmark set {set_name!r} is unknown; choose one of {sorted(SETS)}")
    folder, suffix = SETS[set_name]
    where = root / folder
    if not where.is_dir():
        raise InvalidInput(f"benchmark set {set_name!r}: folder {where} is absent")
    return sorted(where.glob(f"*{suffix}"), key=lambda p: natural_key(p.stem))


def _numbers(path: Path) -> list[list[float]]:
    rows = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split()
        if not parts:
            continue
        try:
            rows.append([float(p) for p in parts])
        except ValueError:
            continue
    return rows


def _as_int(value: float, *, path: Path, field: str) -> int:
    if value != int(value):
        raise InvalidInput(f"{path.name}: {field} must be an integer, got {value}")
    return int(value)


def parse_solomon(path: Path) -> Instance:
    """Read a Solomon or Gehring & Homberger VRPTW file.

    The ``VEHICLE NUMBER CAPACITY`` pair is the first two-number line; node lines have seven
    numbers ``id x y demand ready due service`` and node 0 is the depot.

    Raises
    ------
    InvalidInput
        When the vehicle line or the node lines are missing or malformed.
    """
    rows = _numbers(path)
    head = [r for r in rows if len(r) == 2]
    nodes = [r for r in rows if len(r) == 7]
    if not head or not nodes:
        raise InvalidInput(f"{path.name}: not a Solomon/Homberger file (vehicle line or node lines missing)")
    ids = [int(r[0]) for r in nodes]
    if ids != list(range(len(nodes))):
        raise InvalidInput(f"{path.name}: node ids must run 0..{len(nodes) - 1} in order")
    a = np.array(nodes, dtype=np.float64)
    return Instance(
        name=path.stem,
        kind="vrptw",
        x=a[:, 1],
        y=a[:, 2],
        demand=a[:, 3].astype(np.int64),
        ready=a[:, 4],
        due=a[:, 5],
        service=a[:, 6],
        capacity=_as_int(head[0][1], path=path, field="capacity"),
        fleet=_as_int(head[0][0], path=path, field="vehicle number"),
    )


def parse_lilim(path: Path) -> Instance:
    """Read a Li & Lim PDPTW file (``K Q speed`` then ``id x y demand ready due service p d``).

    Raises
    ------
    InvalidInput
        When a node does not belong to exactly one consistent pickup-delivery pair.
    """
    rows = _numbers(path)
    if not rows or len(rows[0]) != 3:
        raise InvalidInput(f"{path.name}: first line must be 'K Q speed'")
    # The third header number ("speed") is 0 or 1 across the set and is ignored by the
    # literature: travel time = distance everywhere.
    k, q, _speed = rows[0]
    nodes = [r for r in rows[1:] if len(r) == 9]
    a = np.array(nodes, dtype=np.float64)
    if [int(i) for i in a[:, 0]] != list(range(len(nodes))):
        raise InvalidInput(f"{path.name}: node ids must run 0..{len(nodes) - 1} in order")
    pairs: list[tuple[int, int]] = []
    for i in range(1, len(nodes)):
        demand, pick, deliv = a[i, 3], int(a[i, 7]), int(a[i, 8])
        if demand > 0:
            if deliv <= 0 or deliv >= len(nodes) or int(a[deliv, 7]) != i or a[deliv, 3] != -demand:
                raise InvalidInput(f"{path.name}: pickup {i} names delivery {deliv}, which does not match")
            pairs.append((i, deliv))
        elif demand < 0:
            if pick <= 0 or pick >= len(nodes) or int(a[pick, 8]) != i:
                raise InvalidInput(f"{path.name}: delivery {i} names pickup {pick}, which does not match")
        else:
            raise InvalidInput(f"{path.name}: node {i} has zero demand (neither pickup nor delivery)")
    if 2 * len(pairs) != len(nodes) - 1:
        raise InvalidInput(f"{path.name}: {len(nodes) - 1} customers but {len(pairs)} pairs")
    return Instance(
        name=path.stem,
        kind="pdptw",
        x=a[:, 1],
        y=a[:, 2],
        demand=a[:, 3].astype(np.int64),
        ready=a[:, 4],
        due=a[:, 5],
        service=a[:, 6],
        capacity=_as_int(q, path=path, field="capacity"),
        fleet=_as_int(k, path=path, field="vehicle number"),
        pairs=tuple(pairs),
    )


def parse_cvrplib(path: Path) -> Instance:
    """Read a CVRPLIB ``.vrp`` (TSPLIB ``EUC_2D``) file; the file's node 1 becomes node 0.

    The fleet offered is ``ceil(1.1·k) + 2`` where ``k`` is the minimum number of routes
    (``-kNN`` in the name, else ``ceil(total demand / capacity)``): the fleet is unlimited under
    the CVRPLIB convention, this only keeps the models small.

    Raises
    ------
    InvalidInput
        Unsupported edge weight type, missing sections or a depot other than node 1.
    """
    text = path.read_text(encoding="utf-8", errors="replace")
    spec: dict[str, str] = {}
    section: str | None = None
    coords: dict[int, tuple[float, float]] = {}
    demands: dict[int, int] = {}
    depots: list[int] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line == "EOF":
            continue
        if ":" in line and not line[0].isdigit() and not line.startswith("-"):
            key, _, value = line.partition(":")
            spec[key.strip().upper()] = value.strip()
            section = None
            continue
        if line.upper().endswith("_SECTION"):
            section = line.upper()
            continue
        parts = line.split()
        if section == "NODE_COORD_SECTION":
            coords[int(parts[0])] = (float(parts[1]), float(parts[2]))
        elif section == "DEMAND_SECTION":
            demands[int(parts[0])] = int(parts[1])
        elif section == "DEPOT_SECTION" and int(parts[0]) > 0:
            depots.append(int(parts[0]))
    if spec.get("EDGE_WEIGHT_TYPE") != "EUC_2D":
        raise InvalidInput(
            f"{path.name}: EDGE_WEIGHT_TYPE must be EUC_2D, got {spec.get('EDGE_WEIGHT_TYPE')!r}"
        )
    if depots != [1]:
        raise InvalidInput(f"{path.name}: the depot must be node 1, got {depots}")
    n = int(spec["DIMENSION"])
    if sorted(coords) != list(range(1, n + 1)) or sorted(demands) != list(range(1, n + 1)):
        raise InvalidInput(f"{path.name}: coordinates or demands do not cover nodes 1..{n}")
    capacity = int(spec["CAPACITY"])
    demand = np.array([demands[i] for i in range(1, n + 1)], dtype=np.int64)
    match = re.search(r"-k(\d+)", path.stem)
    k_min = int(match.group(1)) if match else math.ceil(int(demand.sum()) / capacity)
    return Instance(
        name=path.stem,
        kind="cvrp",
        x=np.array([coords[i][0] for i in range(1, n + 1)]),
        y=np.array([coords[i][1] for i in range(1, n + 1)]),
        demand=demand,
        ready=np.zeros(n),
        due=np.full(n, math.inf),
        service=np.zeros(n),
        capacity=capacity,
        fleet=math.ceil(1.1 * k_min) + 2,
        rounding="nint",
    )


def parse_instance(path: Path) -> Instance:
    """Read any supported instance file, choosing the parser from its suffix and first line."""
    if path.suffix == ".vrp":
        return parse_cvrplib(path)
    first = path.read_text(encoding="utf-8", errors="replace").split("\n", 1)[0].split()
    if len(first) == 3 and all(re.fullmatch(r"[\d.]+", t) for t in first):
        return parse_lilim(path)
    return parse_solomon(path)


def parse_sintef_solution(path: Path) -> list[list[int]]:
    """Routes of a SINTEF solution file (``Route k : node ids``), depot excluded."""
    routes = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        match = re.match(r"\s*Route\s*\d+\s*:(.*)", line)
        if match:
            routes.append([int(t) for t in match.group(1).split()])
    if not routes:
        raise InvalidInput(f"{path.name}: no 'Route k : …' line")
    return routes


def parse_cvrplib_solution(path: Path) -> tuple[list[list[int]], float | None]:
    """Routes (customers numbered 1..n, as our node ids) and the stated cost of a CVRPLIB ``.sol``."""
    routes: list[list[int]] = []
    cost: float | None = None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        match = re.match(r"\s*Route\s*#\d+\s*:(.*)", line)
        if match:
            routes.append([int(t) for t in match.group(1).split()])
        elif line.strip().lower().startswith("cost"):
            cost = float(line.split()[1])
    if not routes:
        raise InvalidInput(f"{path.name}: no 'Route #k: …' line")
    return routes, cost


def load_bks(root: Path) -> dict[str, dict[str, BestKnown]]:
    """Best-known solutions from ``bks.csv``: instance name → convention → :class:`BestKnown`.

    The convention key is ``"hierarchical"`` (fewest vehicles, then distance) or
    ``"distance-only"`` (vehicles free: Solomon's distance table and CVRPLIB).
    """
    table: dict[str, dict[str, BestKnown]] = {}
    with (root / "bks.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            convention = "hierarchical" if row["convention"].startswith("hierarchical") else "distance-only"
            table.setdefault(row["instance"], {})[convention] = BestKnown(
                vehicles=int(row["vehicles_bks"]),
                distance=float(row["distance_bks"]),
                convention=convention,
                source=row["source"],
            )
    return table
