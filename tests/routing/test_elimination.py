"""The elimination-tree tables: exact shortest paths whatever the order, the graph's shape or its gaps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra

from tests.routing.test_matrix import random_network
from tournee.domain import MapError
from tournee.routing.elimination import EliminationTree
from tournee.routing.matrix import CCHEngine

BIG = np.int64(1) << np.int64(60)


def _dijkstra(n: int, tail: np.ndarray, head: np.ndarray, w: np.ndarray) -> np.ndarray:
    """All-pairs reference; parallel arcs keep their cheapest, loops are dropped."""
    keep = tail != head
    best: dict[tuple[int, int], int] = {}
    for a, b, c in zip(tail[keep].tolist(), head[keep].tolist(), w[keep].tolist(), strict=True):
        best[(a, b)] = min(best.get((a, b), c), c)
    rows = [k[0] for k in best]
    cols = [k[1] for k in best]
    # scipy drops explicit zeros from a sparse matrix: shift every weight, subtract the hops later
    vals = [best[k] * 1_000_003 + 1 for k in best]
    g = sp.csr_matrix((np.array(vals, dtype=np.float64), (rows, cols)), shape=(n, n))
    d = dijkstra(g, directed=True)
    out = np.full((n, n), BIG, dtype=np.int64)
    ok = np.isfinite(d)
    out[ok] = (d[ok] // 1_000_003).astype(np.int64)
    return out


@st.composite
def graphs(draw: st.DrawFn) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 40))
    m = draw(st.integers(0, 120))
    tail = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), dtype=np.int64)
    head = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), dtype=np.int64)
    w = np.array(draw(st.lists(st.integers(0, 50), min_size=m, max_size=m)), dtype=np.int64)
    order = np.array(draw(st.permutations(list(range(n)))), dtype=np.int64)
    return n, tail, head, w, order


@settings(max_examples=150, deadline=None)
@given(graphs())
def test_node_to_node_tables_are_exact_shortest_paths_for_any_order(
    g: tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    # Random digraphs: one-way arcs, parallel arcs, loops, zero weights, isolated nodes and
    # disconnected parts, under any elimination order (a bad order is slow, never wrong).
    n, tail, head, w, order = g
    tree = EliminationTree.build(tail, head, order)
    nodes = np.arange(n, dtype=np.int64)[:, None]
    zero = np.zeros((n, 1), dtype=np.int64)
    table = tree.table(tree.customize(w), (nodes, zero), (nodes, zero), big=BIG)
    expected = _dijkstra(n, tail, head, w)
    np.fill_diagonal(expected, 0)
    assert (table == expected).all()


def test_a_parent_is_always_an_upward_neighbour_and_the_tree_is_shallow_under_nested_dissection() -> None:
    net = random_network(3, n_nodes=300)
    engine = CCHEngine(net)
    tree, _metrics = engine.tree()
    for v in range(net.node_count):
        ups = tree.up_head[tree.up_ptr[v] : tree.up_ptr[v + 1]]
        if ups.size:
            assert tree.parent[v] == ups.min()
            assert (ups > v).all()
        else:
            assert tree.parent[v] == -1
    # RoutingKit's nested dissection keeps the walk from any node to its root short
    identity = EliminationTree.build(net.tail, net.head, np.arange(net.node_count))
    assert int(tree.depth.max()) < int(identity.depth.max())


def test_points_between_nodes_take_the_cheaper_end_to_leave_and_to_arrive() -> None:
    # 0 -> 1 -> 2 -> 3 with a shortcut 0 -> 3; points sit between nodes with partial costs
    tail = np.array([0, 1, 2, 0], dtype=np.int64)
    head = np.array([1, 2, 3, 3], dtype=np.int64)
    w = np.array([10, 10, 10, 50], dtype=np.int64)
    tree = EliminationTree.build(tail, head, np.array([1, 2, 0, 3], dtype=np.int64))
    # point A on arc 0->1 at 4 (leaves by 1 at cost 6), point B on arc 2->3 at 7 (arrives from 2 at 7)
    leave = (np.array([[1], [3]], dtype=np.int64), np.array([[6], [3]], dtype=np.int64))
    arrive = (np.array([[0], [2]], dtype=np.int64), np.array([[4], [7]], dtype=np.int64))
    table = tree.table(tree.customize(w), leave, arrive, big=BIG)
    assert table[0, 1] == 6 + 10 + 7
    assert table[1, 0] == BIG  # 3 is a dead end


def test_a_cached_order_that_is_not_a_permutation_is_a_map_error(tmp_path: Path) -> None:
    net = random_network(4)
    CCHEngine(net, cache_dir=tmp_path)
    (entry,) = tmp_path.glob("cch-*")
    np.zeros(net.node_count, dtype="<u4").tofile(entry / "order")
    engine = CCHEngine(net, cache_dir=tmp_path)
    with pytest.raises(MapError, match="order is not a permutation"):
        engine.tree()
