"""Latency of the shopper's quote endpoint under concurrent load, on localhost.

Starts ``tournee serve --demo`` (uvicorn, one process, SQLite under a temporary data
folder) in a subprocess, plans the demo week once so that quotes are priced by insertion
into real rounds, then sends ``--requests`` anonymous ``POST /v1/public/<tenant>/quotes``
with at most ``--concurrency`` in flight (delivery points drawn around central Helsinki,
seeded), and reports p50/p95/p99 latency, throughput and any non-201 answer.

    python -m benchmarks api [--requests 1000] [--concurrency 50] [--seed 0] [--no-plan]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

DESCRIPTION = "p50/p99 latency of the public quote endpoint at N concurrent requests (uvicorn on localhost)"

CENTRE = (24.9384, 60.1699)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--requests", type=int, default=1000, help="quote requests to send (default 1000)")
    parser.add_argument("--concurrency", type=int, default=50, help="requests in flight (default 50)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the delivery points")
    parser.add_argument("--no-plan", action="store_true", help="quote against an empty plan (no demo plan)")
    parser.add_argument(
        "--plan-time-limit", type=float, default=10.0, help="solver budget of the demo plan, s"
    )
    parser.add_argument("--workers", type=int, default=1, help="server processes (tournee serve --workers)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, token: str | None = None) -> Any:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def _post(url: str, body: dict[str, Any], token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def _start_server(
    data_dir: Path, port: int, workers: int
) -> tuple[subprocess.Popen[str], dict[str, str], str]:
    env = {**os.environ, "TOURNEE_QUOTE_RATE_PER_MINUTE": "1000000", "TOURNEE_DATA_DIR": str(data_dir)}
    cmd = [
        sys.executable,
        "-c",
        "from tournee.api.cli import main; main()",
        "serve",
        "--demo",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    log = open(data_dir / "server.log", "w")  # noqa: SIM115 (kept open for the server's lifetime)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True, env=env)
    tokens: dict[str, str] = {}
    slug = ""
    assert proc.stdout is not None
    deadline = time.monotonic() + 180
    for line in proc.stdout:
        parts = line.split()
        if line.startswith("demo tenant"):
            slug = parts[2].strip("'")
        elif len(parts) == 2 and parts[1].startswith("trn_"):
            tokens[parts[0]] = parts[1]
        elif line.startswith("API:"):
            break
        if time.monotonic() > deadline:
            break
    # Keep reading the server's stdout (uvicorn's access log) so that it never blocks on a full pipe.
    threading.Thread(target=lambda: [None for _ in proc.stdout or ()], daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    while time.monotonic() < deadline:
        try:
            _get(f"{base}/v1/health")
            return proc, tokens, slug
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the server did not start")


async def _load(
    base: str, bodies: list[dict[str, Any]], concurrency: int
) -> tuple[list[float], Counter[int], float]:
    import httpx

    latencies: list[float] = []
    codes: Counter[int] = Counter()
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for b in bodies:
        queue.put_nowait(b)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

        async def worker() -> None:
            while not queue.empty():
                body = queue.get_nowait()
                t0 = time.perf_counter()
                try:
                    r = await client.post("/quotes", json=body)
                except httpx.TransportError:  # a keep-alive connection closed by the server as it was reused
                    codes[0] += 1
                    continue
                latencies.append((time.perf_counter() - t0) * 1000)
                codes[r.status_code] += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    return latencies, codes, wall


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        t0 = time.perf_counter()
        proc, tokens, slug = _start_server(Path(tmp), port, args.workers)
        startup_s = time.perf_counter() - t0
        base = f"http://127.0.0.1:{port}/v1"
        try:
            planner = tokens["planner"]
            merchants = _get(f"{base}/merchants", planner)
            plan_orders = 0
            if not args.no_plan:
                fleet_start = _get(f"{base}/orders?limit=1", tokens["staff"])[0]["date_from"]
                job = _post(f"{base}/plan-jobs", {"start": fleet_start, "days": 6, "time_limit_s": args.plan_time_limit},
                            planner)  # fmt: skip
                waited = time.monotonic()
                while job["status"] not in ("done", "failed") and time.monotonic() - waited < 180:
                    time.sleep(0.5)
                    job = _get(f"{base}/plan-jobs/{job['id']}", planner)
                if job["status"] == "done":
                    plan = _get(f"{base}/plans/{job['plan_id']}", planner)
                    plan_orders = len({leg["order_id"] for leg in plan["body"]["legs"]})
            bodies = []
            for _ in range(args.requests):
                angle, radius = rng.uniform(0, 6.283), rng.uniform(0, 0.012)
                bodies.append({
                    "merchant_id": rng.choice(merchants)["id"],
                    "lon": round(CENTRE[0] + 2 * radius * math.cos(angle), 6),
                    "lat": round(CENTRE[1] + radius * math.sin(angle), 6),
                    "weight_g": rng.randint(500, 15_000), "parcels": rng.randint(1, 3),
                })  # fmt: skip
            public = f"{base}/public/{slug}"
            _post(f"{public}/quotes", bodies[0])  # warm-up: builds the quote context once
            latencies, codes, wall = asyncio.run(_load(public, bodies, args.concurrency))
        except Exception:
            print((Path(tmp) / "server.log").read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    return {
        "requests": args.requests,
        "concurrency": args.concurrency,
        "plan_orders": plan_orders,
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(_pct(latencies, 95), 1),
        "p99_ms": round(_pct(latencies, 99), 1),
        "max_ms": round(max(latencies), 1),
        "throughput_rps": round(len(latencies) / wall, 1),
        "status_codes": dict(codes),
        "server_startup_s": round(startup_s, 1),
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 1),
        "quote_travel": os.environ.get("TOURNEE_QUOTE_TRAVEL", "road"),
    }


def render(result: dict[str, Any]) -> str:
    codes = ", ".join(
        f"{'connection reset' if str(k) == '0' else k}: {v}"
        for k, v in sorted(result["status_codes"].items())
    )
    return "\n".join(
        [
            "# Quote endpoint latency (`python -m benchmarks api`)",
            "",
            f"`POST /v1/public/<tenant>/quotes`, {result['requests']} requests, {result['concurrency']} in flight, "
            f"uvicorn ({result['workers']} process(es)) on localhost, SQLite; Helsinki demo tenant, plan of {result['plan_orders']} "
            "orders (quotes priced by insertion into its rounds, road travel).",
            "",
            "| p50 | p95 | p99 | max | throughput | answers |",
            "|---:|---:|---:|---:|---:|---|",
            f"| {result['p50_ms']} ms | {result['p95_ms']} ms | {result['p99_ms']} ms | {result['max_ms']} ms | "
            f"{result['throughput_rps']} req/s | {codes} |",
            "",
            f"Quote travel: {result['quote_travel']} (`TOURNEE_QUOTE_TRAVEL`). Machine: {result['cpus']} CPUs "
            f"shared with other jobs while measuring (1-minute load average {result['load_average_1min']} at the "
            "end), client and server on the same cores — figures are pessimistic. Latency includes queueing: "
            "with 50 in flight, p50 ≈ 50 / throughput.",
        ]
    )
