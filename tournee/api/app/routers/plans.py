"""Plans: start a planning job, follow its progress, fetch versions, lock routes, re-plan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tournee.api.app import schemas as s
from tournee.api.app.crud import get_owned
from tournee.api.app.deps import DbSession
from tournee.api.app.jobs import JobRunner
from tournee.api.app.planjobs import plan_job_work, run_plan_job_in_process
from tournee.api.app.routers.common import Fleet, Limit, Offset
from tournee.api.db import models as m
from tournee.api.settings import Settings
from tournee.domain import Conflict, InvalidInput

jobs = APIRouter(prefix="/plan-jobs", tags=["plans"])
plans = APIRouter(prefix="/plans", tags=["plans"])


def _enqueue(request: Request, session: DbSession, job: m.PlanJob, time_limit_s: float | None) -> m.PlanJob:
    settings: Settings = request.app.state.settings
    session.add(job)
    session.commit()
    limit_s = time_limit_s or settings.plan_time_limit_s
    runner: JobRunner = request.app.state.jobs
    if runner.processes:
        args = (settings, job.id, job.tenant_id, job.horizon_start, job.days, job.base_plan_id, limit_s)
        runner.submit(job.id, process_call=(run_plan_job_in_process, args))
        return job
    work = plan_job_work(
        request.app.state.sessionmaker,
        request.app.state.networks,
        tenant_id=job.tenant_id,
        start=job.horizon_start,
        days=job.days,
        base_plan_id=job.base_plan_id,
        time_limit_s=limit_s,
    )
    runner.submit(job.id, work)
    return job


@jobs.post("", status_code=status.HTTP_202_ACCEPTED, response_model=s.PlanJobPublic)
def start_plan_job(
    body: s.PlanJobCreate, request: Request, session: DbSession, principal: Fleet
) -> m.PlanJob:
    """Start planning the horizon in a worker; poll the job for its progress."""
    job = m.PlanJob(tenant_id=principal.tenant_id, horizon_start=body.start, days=body.days)
    return _enqueue(request, session, job, body.time_limit_s)


@jobs.get("/{job_id}", response_model=s.PlanJobPublic)
def read_plan_job(job_id: str, session: DbSession, principal: Fleet) -> m.PlanJob:
    """The job's status and progress: phase, elapsed seconds, best objective so far."""
    return get_owned(session, m.PlanJob, principal.tenant_id, job_id, what="plan job")


def _job_snapshot(request: Request, tenant_id: str, job_id: str) -> s.PlanJobPublic:
    with request.app.state.sessionmaker() as session:
        return s.PlanJobPublic.model_validate(
            get_owned(session, m.PlanJob, tenant_id, job_id, what="plan job")
        )


@jobs.get(
    "/{job_id}/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "Server-sent events: one `progress` event per change",
            "content": {"text/event-stream": {}},
        }
    },
)
async def stream_plan_job(job_id: str, request: Request, principal: Fleet) -> StreamingResponse:
    """The job's progress as server-sent events (``event: progress``), until it is done or failed."""
    first = await run_in_threadpool(_job_snapshot, request, principal.tenant_id, job_id)

    async def events() -> AsyncIterator[str]:
        snapshot, last = first, ""
        while True:
            data = snapshot.model_dump_json()
            if data != last:
                yield f"event: progress\ndata: {data}\n\n"
                last = data
            if snapshot.status in ("done", "failed") or await request.is_disconnected():
                return
            await asyncio.sleep(0.5)
            snapshot = await run_in_threadpool(_job_snapshot, request, principal.tenant_id, job_id)

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


@plans.get("", response_model=list[s.PlanSummary])
def list_plans(
    session: DbSession, principal: Fleet, limit: Limit = 50, offset: Offset = 0
) -> list[m.PlanVersion]:
    """Plan versions, newest first."""
    stmt = (
        select(m.PlanVersion)
        .where(m.PlanVersion.tenant_id == principal.tenant_id)
        .order_by(m.PlanVersion.version.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(stmt))


def _locks(session: DbSession, plan_id: str) -> list[str]:
    return sorted(session.scalars(select(m.RouteLock.route_id).where(m.RouteLock.plan_id == plan_id)))


@plans.get("/{plan_id}", response_model=s.PlanPublic)
def read_plan(plan_id: str, session: DbSession, principal: Fleet) -> s.PlanPublic:
    """One plan version: routes, per-order legs, unassigned orders with reasons, locks."""
    row = get_owned(session, m.PlanVersion, principal.tenant_id, plan_id, what="plan")
    summary = s.PlanSummary.model_validate(row)
    return s.PlanPublic(**summary.model_dump(), body=row.body, locked_route_ids=_locks(session, row.id))


def _route_ids(row: m.PlanVersion) -> set[str]:
    return {str(r.get("id")) for r in row.body.get("routes", [])}


@plans.post("/{plan_id}/locks", status_code=status.HTTP_201_CREATED, response_model=list[str])
def lock_route(plan_id: str, body: s.LockCreate, session: DbSession, principal: Fleet) -> list[str]:
    """Lock a route (e.g. dispatched): a re-plan from this version keeps it unchanged."""
    row = get_owned(session, m.PlanVersion, principal.tenant_id, plan_id, what="plan")
    if body.route_id not in _route_ids(row):
        raise InvalidInput(f"route_id: plan {plan_id!r} has no route {body.route_id!r}", pointer="/route_id")
    if session.get(m.RouteLock, (principal.tenant_id, plan_id, body.route_id)) is None:
        session.add(m.RouteLock(tenant_id=principal.tenant_id, plan_id=plan_id, route_id=body.route_id))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
    return _locks(session, plan_id)


@plans.delete("/{plan_id}/locks/{route_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def unlock_route(plan_id: str, route_id: str, session: DbSession, principal: Fleet) -> Response:
    """Unlock a route."""
    get_owned(session, m.PlanVersion, principal.tenant_id, plan_id, what="plan")
    lock = session.get(m.RouteLock, (principal.tenant_id, plan_id, route_id))
    if lock is not None:
        session.delete(lock)
        session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@plans.post("/{plan_id}/replan", status_code=status.HTTP_202_ACCEPTED, response_model=s.PlanJobPublic)
def replan(
    plan_id: str, body: s.ReplanRequest, request: Request, session: DbSession, principal: Fleet
) -> m.PlanJob:
    """Plan the same horizon again from this version, keeping its locked routes."""
    row = get_owned(session, m.PlanVersion, principal.tenant_id, plan_id, what="plan")
    running = session.scalar(
        select(m.PlanJob.id).where(
            m.PlanJob.tenant_id == principal.tenant_id,
            m.PlanJob.base_plan_id == plan_id,
            m.PlanJob.status.in_(("queued", "running")),
        )
    )
    if running is not None:
        raise Conflict(f"a re-plan of plan {plan_id!r} is already running (job {running!r})")
    job = m.PlanJob(
        tenant_id=principal.tenant_id, horizon_start=row.horizon_start, days=row.days, base_plan_id=plan_id
    )
    return _enqueue(request, session, job, body.time_limit_s)
