"""Plan jobs run in worker threads or processes, never in ``async def``; progress goes to the job row.

A job is a callable ``work(report)`` returning the id of what it produced; ``report``
updates the job's phase, elapsed time and best objective (throttled to a few writes a
second).  OR-Tools releases the GIL while it searches, so the API keeps answering.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from tournee.api.db import models as m
from tournee.domain import TourneeError

__all__ = ["JobRunner", "Progress", "Report", "run_job"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Progress:
    """A progress update: the phase, and the best objective found so far (if any)."""

    phase: str
    best_objective: int | None = None


Report = Callable[[Progress], None]


class JobRunner:
    """A small pool of worker threads that run plan jobs and record their progress."""

    def __init__(
        self,
        make_session: sessionmaker[Session],
        *,
        workers: int = 1,
        processes: bool = False,
        min_interval_s: float = 0.25,
    ) -> None:
        self._make_session = make_session
        self._workers = max(1, workers)
        self.processes = processes
        self._pool: Executor | None = None
        self._futures: dict[str, Future[None]] = {}
        self._lock = threading.Lock()
        self._min_interval_s = min_interval_s

    def submit(
        self,
        job_id: str,
        work: Callable[[Report], str] | None = None,
        *,
        process_call: tuple[Callable[..., None], tuple[Any, ...]] | None = None,
    ) -> None:
        """Queue a job whose row ``job_id`` is committed with status ``queued``.

        In thread mode ``work`` runs here; in process mode ``process_call`` — a module-level
        function and its picklable arguments — runs in a fresh process and records the
        job's progress itself (see :func:`run_job`).
        """
        with self._lock:
            if self._pool is None:  # first job, or the app was restarted (lifespan) after a shutdown
                self._pool = (
                    ProcessPoolExecutor(
                        max_workers=self._workers, mp_context=multiprocessing.get_context("spawn")
                    )
                    if self.processes
                    else ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="tournee-plan")
                )
            if self.processes:
                if process_call is None:
                    raise ValueError("a process-mode job needs process_call")
                future = self._pool.submit(process_call[0], *process_call[1])
            else:
                if work is None:
                    raise ValueError("a thread-mode job needs work")
                future = self._pool.submit(run_job, self._make_session, job_id, work, self._min_interval_s)
            self._futures[job_id] = future
        future.add_done_callback(lambda _f: self._forget(job_id))

    def _forget(self, job_id: str) -> None:
        with self._lock:
            self._futures.pop(job_id, None)

    def wait(self, job_id: str, timeout_s: float | None = None) -> None:
        """Block until the job has finished (tests and the CLI)."""
        with self._lock:
            future = self._futures.get(job_id)
        if future is not None:
            future.result(timeout=timeout_s)

    def shutdown(self) -> None:
        """Wait for the running jobs; queued ones are cancelled (a later job starts a new pool)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _update(make_session: sessionmaker[Session], job_id: str, **fields: object) -> None:
    with make_session() as session:
        job = session.get(m.PlanJob, job_id)
        if job is None:
            return
        for key, value in fields.items():
            setattr(job, key, value)
        session.commit()


def run_job(
    make_session: sessionmaker[Session],
    job_id: str,
    work: Callable[[Report], str],
    min_interval_s: float = 0.25,
) -> None:
    """Run ``work`` for the job row ``job_id`` and record its status, progress and result.

    Progress is written at most every ``min_interval_s`` seconds; a domain error fails
    the job with its message, anything else with a generic one (logged).
    """
    t0 = time.perf_counter()
    last = [0.0]
    best: list[int | None] = [None]

    def report(progress: Progress) -> None:
        now = time.perf_counter()
        if progress.best_objective is not None and (best[0] is None or progress.best_objective < best[0]):
            best[0] = progress.best_objective
        if now - last[0] < min_interval_s:
            return
        last[0] = now
        _update(
            make_session,
            job_id,
            phase=progress.phase[:40],
            elapsed_s=round(now - t0, 3),
            best_objective=best[0],
        )

    _update(make_session, job_id, status="running", phase="starting")
    try:
        result_id = work(report)
    except TourneeError as exc:
        log.info("plan job %s failed: %s", job_id, exc.message)
        _update(make_session, job_id, status="failed", phase="failed", error=exc.message,
                elapsed_s=round(time.perf_counter() - t0, 3))  # fmt: skip
    except Exception:
        log.exception("plan job %s crashed", job_id)
        _update(make_session, job_id, status="failed", phase="failed", error="internal error (logged on the server)",
                elapsed_s=round(time.perf_counter() - t0, 3))  # fmt: skip
    else:
        _update(make_session, job_id, status="done", phase="done", plan_id=result_id, best_objective=best[0],
                elapsed_s=round(time.perf_counter() - t0, 3))  # fmt: skip
