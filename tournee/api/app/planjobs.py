"""The work of a plan job: read the tenant's data, call the planning use case, store the plan.

Runs in a :class:`~tournee.api.app.jobs.JobRunner` worker thread.  A re-plan keeps the
locked routes of its base plan unchanged: their orders are not planned again and their
vehicles are not offered on the weekdays those routes already use; the locked routes
are copied into the new version.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from tournee.api.app.jobs import Progress, Report, run_job
from tournee.api.app.policies import tenant_carbon_price, tenant_policy
from tournee.api.app.scenario import load_scenario
from tournee.api.db import make_engine, make_sessionmaker
from tournee.api.db import models as m
from tournee.api.services.maps import default_map_path, load_map
from tournee.api.services.plan_io import plan_from_json, plan_to_json
from tournee.api.services.planning import CarbonPriceRef, plan_scenario
from tournee.api.settings import Settings
from tournee.domain import Horizon, InvalidInput, LegKind, Plan, Profile, Route
from tournee.routing.graph import RoadNetwork
from tournee.routing.solver import SolveProgress

__all__ = ["NetworkCache", "plan_job_work", "run_plan_job_in_process", "store_plan"]

log = logging.getLogger(__name__)


class NetworkCache:
    """The road networks of the configured map, loaded once per process on first use."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._networks: dict[Profile, RoadNetwork] | None = None

    @property
    def map_path(self) -> Path:
        return self._settings.map_path or default_map_path()

    def get(self) -> dict[Profile, RoadNetwork]:
        with self._lock:
            if self._networks is None:
                self._networks = load_map(self.map_path, cache_dir=self._settings.data_dir / "cache")
            return self._networks


def _locked(session: Session, tenant_id: str, base_id: str | None) -> tuple[Plan | None, tuple[Route, ...]]:
    if base_id is None:
        return None, ()
    base = session.get(m.PlanVersion, base_id)
    if base is None or base.tenant_id != tenant_id:
        raise InvalidInput(f"base plan {base_id!r} not found", pointer="/base_plan_id")
    ids = set(session.scalars(select(m.RouteLock.route_id).where(m.RouteLock.plan_id == base_id)))
    plan = plan_from_json(base.body)
    return plan, tuple(dataclasses.replace(r, locked=True) for r in plan.routes if r.id in ids)


def _merge_locked(plan: Plan, base: Plan | None, locked: tuple[Route, ...]) -> Plan:
    if base is None or not locked:
        return plan
    route_ids = {r.id for r in locked}
    order_ids = {o for r in locked for o in r.order_ids}
    legs = tuple(
        leg
        for leg in base.legs
        if leg.route_id in route_ids or (leg.kind is LegKind.HUB_HANDLING and leg.order_id in order_ids)
    )
    # Keep route ids unique: the new plan's routes are renamed, never the locked ones.
    rename = {r.id: f"{r.id}~{plan.id}" for r in plan.routes if r.id in route_ids}
    routes = tuple(dataclasses.replace(r, id=rename.get(r.id, r.id)) for r in plan.routes)
    new_legs = tuple(
        dataclasses.replace(leg, route_id=rename.get(leg.route_id, leg.route_id)) if leg.route_id else leg
        for leg in plan.legs
    )
    return dataclasses.replace(plan, routes=locked + routes, legs=legs + new_legs)


def store_plan(session: Session, *, tenant_id: str, plan: Plan, parent_id: str | None) -> m.PlanVersion:
    """Save ``plan`` as the tenant's next immutable version; mark its served orders planned."""
    for _attempt in range(5):
        version = (
            session.scalar(
                select(func.max(m.PlanVersion.version)).where(m.PlanVersion.tenant_id == tenant_id)
            )
            or 0
        ) + 1
        row = m.PlanVersion(
            tenant_id=tenant_id,
            version=version,
            horizon_start=plan.horizon.start,
            days=plan.horizon.days,
            parent_id=parent_id,
            body=plan_to_json(plan),
        )
        session.add(row)
        served = plan.served_order_ids
        if served:
            for order in session.scalars(
                select(m.Order).where(m.Order.tenant_id == tenant_id, m.Order.id.in_(sorted(served)))
            ):
                if order.status == "pending":
                    order.status = "planned"
        try:
            session.commit()
        except IntegrityError:  # two jobs finished at once: take the next number
            session.rollback()
            continue
        return row
    raise InvalidInput("could not allocate a plan version number")  # pragma: no cover


def plan_job_work(
    make_session: sessionmaker[Session],
    networks: NetworkCache,
    *,
    tenant_id: str,
    start: dt.date,
    days: int,
    base_plan_id: str | None,
    time_limit_s: float,
) -> Callable[[Report], str]:
    """The callable a :class:`JobRunner` runs for one plan job; it returns the new plan's id."""

    def work(report: Report) -> str:
        report(Progress(phase="loading"))
        with make_session() as session:
            tenant = session.get(m.Tenant, tenant_id)
            assert tenant is not None
            horizon = Horizon(start=start, days=days)
            base, locked = _locked(session, tenant_id, base_plan_id)
            busy: dict[str, frozenset[int]] = {}
            for r in locked:
                busy[r.vehicle_id] = busy.get(r.vehicle_id, frozenset()) | {horizon.weekday_of(r.day)}
            scenario = load_scenario(
                session,
                tenant,
                horizon,
                exclude_order_ids=frozenset(o for r in locked for o in r.order_ids),
                busy=busy,
            )
            policy, _ = tenant_policy(session, tenant_id)
            currency = tenant.currency
        if policy.currency != currency:
            policy = dataclasses.replace(policy, currency=currency)
        price = tenant_carbon_price(policy)
        carbon = CarbonPriceRef(cents_per_t=price.cents_per_t, name=price.name, source=price.source)
        report(Progress(phase="loading map"))
        nets = networks.get()

        def on_progress(p: SolveProgress) -> None:
            report(Progress(phase=p.phase or "search", best_objective=p.best_objective))

        report(Progress(phase="planning"))
        run = plan_scenario(
            scenario,
            nets,
            time_limit_s=time_limit_s,
            carbon_price=carbon,
            cache_dir=None,
            plan_id=f"{tenant_id[:8]}-{start.isoformat()}",
            on_progress=on_progress,
        )
        plan = dataclasses.replace(_merge_locked(run.plan, base, locked), currency=currency)
        report(Progress(phase="saving"))
        with make_session() as session:
            row = store_plan(session, tenant_id=tenant_id, plan=plan, parent_id=base_plan_id)
            log.info("tenant %s: plan v%d stored (%d routes)", tenant_id, row.version, len(plan.routes))
            return row.id

    return work


def run_plan_job_in_process(
    settings: Settings,
    job_id: str,
    tenant_id: str,
    start: dt.date,
    days: int,
    base_plan_id: str | None,
    time_limit_s: float,
) -> None:
    """A plan job in a process of its own (``plan_executor = "process"``): its own engine and map."""
    engine = make_engine(settings.effective_database_url)
    try:
        make_session = make_sessionmaker(engine)
        work = plan_job_work(make_session, NetworkCache(settings), tenant_id=tenant_id, start=start, days=days,
                             base_plan_id=base_plan_id, time_limit_s=time_limit_s)  # fmt: skip
        run_job(make_session, job_id, work)
    finally:
        engine.dispose()
