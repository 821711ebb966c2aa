"""The FastAPI application factory: ``create_app(settings)``."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from tournee import __version__
from tournee.api.app.addresses import AddressIndex
from tournee.api.app.errors import PROBLEM_RESPONSES, install_error_handlers
from tournee.api.app.jobs import JobRunner
from tournee.api.app.limits import BodySizeLimit
from tournee.api.app.planjobs import NetworkCache
from tournee.api.app.quoting import QuoteService
from tournee.api.app.ratelimit import RateLimiter
from tournee.api.app.routers import (
    addresses,
    customers,
    hubs,
    imports,
    merchants,
    orders,
    plans,
    quotes,
    route_sheets,
    standing_orders,
    tariff,
    tenants,
    vehicles,
    vroom,
)
from tournee.api.db import make_engine, make_sessionmaker, upgrade
from tournee.api.db import models as m
from tournee.api.services.maps import default_map_path
from tournee.api.settings import Settings
from tournee.api.web.router import build_router

__all__ = ["API_PREFIX", "create_app"]

log = logging.getLogger(__name__)

API_PREFIX = "/v1"


def _api_router() -> APIRouter:
    api = APIRouter(prefix=API_PREFIX, responses=PROBLEM_RESPONSES)
    api.include_router(tenants.router)
    api.include_router(merchants.router)
    api.include_router(customers.router)
    api.include_router(hubs.hubs)
    api.include_router(hubs.relay_points)
    api.include_router(vehicles.router)
    api.include_router(tariff.router)
    api.include_router(orders.router)
    api.include_router(standing_orders.router)
    api.include_router(plans.jobs)
    api.include_router(plans.plans)
    api.include_router(route_sheets.router)
    api.include_router(imports.router)
    api.include_router(addresses.router)
    api.include_router(quotes.quotes)
    api.include_router(quotes.public)
    api.include_router(vroom.router)
    return api


def _fail_interrupted_jobs(make_session: sessionmaker[Session]) -> None:
    """Jobs queued or running when the server stopped will never finish: say so."""
    try:
        with make_session() as session:
            session.execute(
                update(m.PlanJob)
                .where(m.PlanJob.status.in_(("queued", "running")))
                .values(
                    status="failed", phase="failed", error="interrupted: the server restarted; start it again"
                )
            )
            session.commit()
    except SQLAlchemyError:  # a database not migrated yet (migrate_on_startup off)
        log.warning("could not check for interrupted plan jobs", exc_info=True)


def _warm_matrix_kernels() -> None:
    """Compile the elimination-tree and ruin-and-recreate kernels (≈ 6 s and ≈ 10 s once per
    install), or load them from numba's cache."""
    from tournee.routing import recreate
    from tournee.routing.elimination import warm_up

    try:
        warm_up()
        recreate.warm_up()
    except Exception:  # a plan still works: its first large matrix or search compiles them instead
        log.warning("could not prepare the numba kernels at start", exc_info=True)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API for ``settings`` (default: from the ``TOURNEE_*`` environment).

    The database is migrated to the newest schema when the app is created (unless
    ``migrate_on_startup`` is off), so a fresh SQLite file works at once.
    """
    settings = settings or Settings.from_env()
    engine = make_engine(settings.effective_database_url)
    make_session = make_sessionmaker(engine)
    if settings.migrate_on_startup:  # the process that owns the database's start-up (not each of N workers)
        upgrade(engine)
        _fail_interrupted_jobs(make_session)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # the first large plan must not spend its time limit compiling the matrix kernels
        threading.Thread(target=_warm_matrix_kernels, name="tournee-warm-up", daemon=True).start()
        yield
        app.state.jobs.shutdown()
        engine.dispose()

    app = FastAPI(
        title="Tournée API",
        version=__version__,
        summary="Low-carbon last-mile delivery for local commerce: orders, quotes, plans, route sheets.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_session
    app.state.jobs = JobRunner(
        make_session, workers=settings.plan_workers, processes=settings.plan_executor == "process"
    )
    app.state.networks = NetworkCache(settings)
    app.state.quotes = QuoteService(app.state.networks, travel=settings.quote_travel)
    app.state.rate_limiter = RateLimiter(settings.quote_rate_per_minute)
    app.state.addresses = AddressIndex(
        settings.map_path or default_map_path(),
        cache_dir=settings.data_dir / "cache",
        geocoder_url=settings.geocoder_url,
    )
    install_error_handlers(app)
    app.include_router(_api_router())
    app.include_router(build_router(api_prefix=API_PREFIX))

    @app.get(API_PREFIX + "/health", tags=["meta"])
    def health() -> dict[str, str]:
        """Liveness probe (no authentication)."""
        return {"status": "ok", "version": __version__}

    app.add_middleware(
        BodySizeLimit, max_body_bytes=settings.max_body_bytes, max_csv_bytes=settings.max_csv_bytes
    )
    return app
