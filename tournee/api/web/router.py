"""The web pages: shopper tier chooser, staff phone orders, planner week board, courier round.

:func:`build_router` returns an :class:`~fastapi.APIRouter` that ``create_app`` includes.
Pages are server-rendered (Jinja2, French or English) and talk to the JSON API under
``/v1`` with ``fetch``; the few things the API does not serve as JSON — route sheet PDF,
GPX, charts, the offline base map, the courier's view of a route and marking its stops —
are served here under ``/web``.  Scripts, styles and Leaflet are vendored under
``/web/static``: no page loads anything from another host (online map tiles are an
opt-in toggle).

Language: ``?lang=`` (remembered in a cookie), else the cookie, else the tenant's
language, else the browser's; French by default.
"""

import datetime as dt
import json
import logging
import mimetypes
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from tournee.api.db import models as m
from tournee.api.web import documents, i18n, sheets
from tournee.api.web.templating import render
from tournee.domain import NotFound, StopKind, TierQuote, UnassignedReason

__all__ = ["FAILURE_REASONS", "JS_MESSAGES", "build_router"]

log = logging.getLogger(__name__)

LANG_COOKIE = "tournee_lang"
STATIC_DIR = Path(str(files("tournee.api.web") / "static"))


def N_(message: str) -> str:  # noqa: N802  (the gettext convention Babel extracts)
    """Mark a message for extraction; it is translated when the page is rendered."""
    return message


# Strings the pages' scripts show (t("…") in static/js); translated per page.
JS_MESSAGES: tuple[str, ...] = (
    N_("No relay point within {km} km of the address"),
    N_("This tier's days fall outside the current plan"),
    N_("No circuit day of your zone in this tier's days"),
    N_("Your access token is missing or no longer valid."),
    N_("This access token may not open this page."),
    N_("between {a} and {b}"),
    N_("Cheapest for the planet"),
    N_("Not available"),
    N_("of which carbon: {amount}"),
    N_("Prices valid until {time}"),
    N_("Choose your address in the list."),
    N_("Give a weight in kg."),
    N_("Give your name and phone number."),
    N_("{tier}: {when}, {price}."),
    N_("This delivery emits about {kg} CO2e."),
    N_("Order"),
    N_("New customer"),
    N_("No option yet."),
    N_("Find the customer by phone, or give the new customer's name and address."),
    N_("Order saved for {name}: {tier}, {price}."),
    N_("Every week on {day} from {date}."),
    N_("best cost so far"),
    N_("The plan is ready."),
    N_("Planning failed:"),
    N_(
        "Plan version {version} · {routes} routes · {served} orders served, {unassigned} unassigned · {km} · {co2} CO2e · {cost}"
    ),
    N_("Vehicle"),
    N_("Fill rate"),
    N_("{fill} % full · {stops} stops"),
    N_("Map"),
    N_("Locked"),
    N_("Lock"),
    N_("Route {route} is locked: a re-plan keeps it as it is."),
    N_("Every order is in a route."),
    N_("Navigate"),
    N_("Picked up"),
    N_("Delivered"),
    N_("Failed"),
    N_("My round"),
    N_("start"),
    N_("{done} of {total} stops done"),
    N_("Door code"),
    N_("{parcels} parcels · {kg}"),
    N_("To collect"),
)

REASONS: dict[str, str] = {
    UnassignedReason.CAPACITY: N_("Too heavy or bulky for every vehicle it may use"),
    UnassignedReason.NO_VEHICLE_DAY: N_("No vehicle works on the days its tier allows"),
    UnassignedReason.TIME_WINDOW: N_("Its time window cannot be reached in any shift"),
    UnassignedReason.SKILL: N_("No vehicle has the equipment it needs"),
    UnassignedReason.OFF_NETWORK: N_("Its address is too far from any road"),
    UnassignedReason.UNREACHABLE: N_("No road joins its addresses"),
    UnassignedReason.NOT_WORTH_IT: N_("Serving it costs more than the penalty for leaving it"),
    UnassignedReason.LOCKED_OUT: N_("Only locked routes could have served it"),
    UnassignedReason.SEARCH_TIME: N_("The search ran out of time before placing it"),
}

# The shipped policy's tier names and the tariffs engine's fixed reasons, as the pages show them
# (an operator's own tiers keep the names their policy gives).
TIER_NAMES: dict[str, str] = {
    "Express, next day": N_("Express, next day"),
    "Standard, 2–3 days": N_("Standard, 2–3 days"),
    "Weekly circuit (next circuit day of your zone)": N_("Weekly circuit (next circuit day of your zone)"),
    "Within 14 days": N_("Within 14 days"),
    " — relay point": N_(" — relay point"),
}

QUOTE_REASONS: dict[str, str] = {
    "too large for the room left on every vehicle-day of the tier": N_(
        "Too large for the room left in this tier's rounds"
    ),
    "its time windows cannot be met on any vehicle-day of the tier": N_(
        "Its time window cannot be met in this tier's rounds"
    ),
    "no vehicle working in the tier has the skills it needs": N_(
        "No vehicle of this tier has the equipment it needs"
    ),
    "no road joins its pickup or delivery to the rounds of the tier": N_(
        "No road joins the address to this tier's rounds"
    ),
    "the rounds of the tier are locked (already dispatched)": N_("This tier's rounds have already left"),
    "no vehicle works on the tier's days": N_("No vehicle works on this tier's days"),
    "no round runs on the tier's days and this tier does not open one": N_(
        "No round runs on this tier's days"
    ),
    "every round on the tier's days is full or out of time, and this tier does not open a new vehicle-day": N_(
        "Every round on this tier's days is full"
    ),
    "no circuit zone covers the delivery address": N_("No circuit serves this address"),
}

FAILURE_REASONS: dict[str, str] = {
    "absent": N_("Nobody at home"),
    "refused": N_("Refused by the customer"),
    "address_not_found": N_("Address not found"),
    "no_access": N_("No access (door code, gate)"),
    "damaged": N_("Goods damaged"),
    "other": N_("Other"),
}

PHASES: dict[str, str] = {
    "queued": N_("Waiting for a worker"),
    "loading": N_("Loading orders and fleet"),
    "loading map": N_("Loading the road map"),
    "planning": N_("Computing road travel times"),
    "search": N_("Searching for the best routes"),
    "saving": N_("Saving the plan"),
    "done": N_("Done"),
    "failed": N_("Failed"),
}

WEEKDAYS: tuple[tuple[str, str], ...] = (
    ("MO", N_("Monday")),
    ("TU", N_("Tuesday")),
    ("WE", N_("Wednesday")),
    ("TH", N_("Thursday")),
    ("FR", N_("Friday")),
    ("SA", N_("Saturday")),
    ("SU", N_("Sunday")),
)


class StopStatusUpdate(BaseModel):
    """A courier's report on one stop."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["delivered", "failed"]
    reason: Literal["absent", "refused", "address_not_found", "no_access", "damaged", "other"] | None = None
    note: Annotated[str, Field(max_length=500)] = ""


def endpoints(*, api: str, root: str, slug: str = "") -> dict[str, str]:
    """Paths the pages' scripts call (``{name}`` placeholders are filled in by the script)."""
    web = f"{root}/web"
    public = f"{api}/public/{slug}" if slug else api
    return {
        "addresses": f"{web}/shop/{slug}/addresses" if slug else f"{api}/addresses",
        "quote": f"{public}/quotes" if slug else f"{api}/quotes",
        "order": f"{public}/orders" if slug else f"{api}/orders",
        "orders": f"{api}/orders",
        "customers": f"{api}/customers",
        "merchants": f"{api}/merchants",
        "vehicles": f"{api}/vehicles",
        "standing_orders": f"{api}/standing-orders",
        "plan_jobs": f"{api}/plan-jobs",
        "plan_job": f"{api}/plan-jobs/{{job_id}}",
        "plan": f"{api}/plans/{{plan_id}}",
        "locks": f"{api}/plans/{{plan_id}}/locks",
        "replan": f"{api}/plans/{{plan_id}}/replan",
        "basemap": f"{web}/basemap.geojson",
        "fill_chart": f"{web}/plans/{{plan_id}}/fill-rate.svg",
        "plan_lines": f"{web}/plans/{{plan_id}}/lines.json",
        "sheet": f"{web}/plans/{{plan_id}}/routes/{{route_id}}/courier.json",
        "tier_chart": f"{web}/shop/{slug}/quotes/{{quote_id}}/tiers.svg" if slug else "",
        "sheet_pdf": f"{web}/plans/{{plan_id}}/routes/{{route_id}}/sheet.pdf",
        "sheet_gpx": f"{web}/plans/{{plan_id}}/routes/{{route_id}}/route.gpx",
        "stop_status": f"{web}/plans/{{plan_id}}/routes/{{route_id}}/stops/{{seq}}/status",
    }


def _maps(request: Request) -> sheets.WebMaps:
    return sheets.web_maps(request.app.state)


def _lang(request: Request, *, tenant_lang: str | None = None) -> tuple[str, bool]:
    query = request.query_params.get("lang")
    cookie = request.cookies.get(LANG_COOKIE)
    chosen = bool((query and query[:2] in i18n.LANGUAGES) or (cookie and cookie[:2] in i18n.LANGUAGES))
    lang = i18n.negotiate_lang(
        query=query,
        cookie=cookie,
        tenant_lang=tenant_lang,
        accept_language=None if tenant_lang else request.headers.get("accept-language"),
    )
    return lang, chosen


def build_router(*, api_prefix: str = "/v1", root: str = "") -> APIRouter:
    """The pages and their document endpoints, to include in the FastAPI app.

    Parameters
    ----------
    api_prefix : str
        Where the JSON API is mounted (the pages call it).
    root : str
        Prefix under which this router is included (``""`` when included at the root).

    Returns
    -------
    APIRouter
        Pages at ``/``, ``/shop/{tenant}``, ``/staff``, ``/planner``, ``/m/routes/{route_id}``
        and helpers under ``/web`` (left out of the OpenAPI document).
    """
    # Imported here, not at the top: the app module imports this one to include the pages.
    # (This module has no ``from __future__ import annotations``: the endpoints' annotations
    # below are evaluated where they are defined, so these local names resolve.)
    from tournee.api.app.deps import DbSession, Principal, get_principal
    from tournee.api.app.errors import Forbidden

    router = APIRouter(include_in_schema=False)
    static_url = f"{root}/web/static"

    def page(
        request: Request,
        template: str,
        *,
        name: str,
        needs_token: bool,
        tenant_lang: str | None = None,
        currency: str = "EUR",
        config: dict[str, Any] | None = None,
        **context: Any,
    ) -> HTMLResponse:
        lang, chosen = _lang(request, tenant_lang=tenant_lang)
        t = i18n.translations(lang)
        center = _maps(request).center() if name == "planner" else (0.0, 0.0)
        cfg: dict[str, Any] = {
            "page": name,
            "lang": lang,
            "lang_chosen": chosen,
            "intl": i18n.intl_locale(lang, currency),
            "currency": currency,
            "api": api_prefix,
            "root": root,
            "endpoints": endpoints(api=api_prefix, root=root),
            "messages": {msg: t.gettext(msg) for msg in JS_MESSAGES},
            "reasons": {str(k): t.gettext(v) for k, v in REASONS.items()},
            "failure_reasons": {k: t.gettext(v) for k, v in FAILURE_REASONS.items()},
            "tier_names": {k: t.gettext(v) for k, v in TIER_NAMES.items()},
            "quote_reasons": {k: t.gettext(v) for k, v in QUOTE_REASONS.items()},
            "phases": {k: t.gettext(v) for k, v in PHASES.items()},
            "kinds": {k.value: documents._kind_label(k, lang) for k in StopKind},
            "center": list(center),
        }
        cfg.update(config or {})
        html = render(
            template,
            lang=lang,
            currency=currency,
            page=name,
            root=root,
            static=static_url,
            needs_token=needs_token,
            languages=i18n.language_names(lang),
            config=cfg,
            osm_credit=documents.OSM_CREDIT,
            **context,
        )
        response = HTMLResponse(html)
        query = request.query_params.get("lang")
        if query and query[:2] in i18n.LANGUAGES:
            response.set_cookie(LANG_COOKIE, query[:2], max_age=365 * 86_400, samesite="lax")
        return response

    @router.get("/", response_class=HTMLResponse)
    def index(request: Request) -> HTMLResponse:
        """Links to each page."""
        return page(request, "index.html", name="index", needs_token=False)

    @router.get("/shop/{tenant_slug}", response_class=HTMLResponse)
    def shopper_page(
        request: Request,
        tenant_slug: str,
        session: DbSession,
        merchant: Annotated[str, Query(max_length=64)] = "",
        weight_g: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
        parcels: Annotated[int, Query(ge=1, le=1000)] = 1,
        address: Annotated[str, Query(max_length=400)] = "",
    ) -> HTMLResponse:
        """The shopper's tier chooser, embeddable in a merchant's shop (no sign-in)."""
        tenant = session.scalar(select(m.Tenant).where(m.Tenant.slug == tenant_slug))
        if tenant is None:
            raise NotFound(f"shop {tenant_slug!r} not found")
        mer = session.get(m.Merchant, merchant) if merchant else None
        if mer is None or mer.tenant_id != tenant.id:
            mer = session.scalar(
                select(m.Merchant).where(m.Merchant.tenant_id == tenant.id).order_by(m.Merchant.created_at)
            )
        lang, _ = _lang(request, tenant_lang=tenant.language)
        return page(
            request,
            "shopper.html",
            name="shopper",
            needs_token=False,
            tenant_lang=tenant.language,
            currency=tenant.currency,
            config={
                "merchant_id": mer.id if mer else "",
                "endpoints": endpoints(api=api_prefix, root=root, slug=tenant.slug),
                "lang_chosen": True,  # the tenant is known: no need to ask /web/me
            },
            tenant_name=tenant.name,
            merchant_name=mer.name if mer else "",
            weight_kg=i18n.format_number(weight_g / 1000, lang=lang, digits=1) if weight_g else "",
            parcels=parcels,
            address=address,
        )

    @router.get("/staff", response_class=HTMLResponse)
    def staff_page(request: Request) -> HTMLResponse:
        """Phone orders for staff (sign in with a staff, planner or admin token)."""
        lang, _ = _lang(request)
        t = i18n.translations(lang)
        return page(
            request,
            "staff.html",
            name="staff",
            needs_token=True,
            weekdays=[(code, t.gettext(label)) for code, label in WEEKDAYS],
        )

    @router.get("/planner", response_class=HTMLResponse)
    def planner_page(request: Request) -> HTMLResponse:
        """The planner's week board (planner or admin token)."""
        settings = getattr(request.app.state, "settings", None)
        return page(
            request,
            "planner.html",
            name="planner",
            needs_token=True,
            config={"plan_time_limit_s": float(getattr(settings, "plan_time_limit_s", 10.0))},
        )

    @router.get("/m/routes/{route_id}", response_class=HTMLResponse)
    def courier_page(
        request: Request, route_id: str, plan: Annotated[str, Query(min_length=1, max_length=64)]
    ) -> HTMLResponse:
        """The courier's round on a phone (courier token: own vehicle's routes only)."""
        lang, _ = _lang(request)
        t = i18n.translations(lang)
        return page(
            request,
            "courier.html",
            name="courier",
            needs_token=True,
            config={"plan_id": plan, "route_id": route_id},
            failure_reasons=[(k, t.gettext(v)) for k, v in FAILURE_REASONS.items()],
        )

    # ------------------------------------------------------------------ helpers under /web

    @router.get("/web/static/{path:path}")
    def static(path: str) -> Response:
        """Vendored scripts, styles and images (Leaflet), served from the package."""
        target = (STATIC_DIR / path).resolve()
        if not target.is_file() or STATIC_DIR.resolve() not in target.parents:
            return JSONResponse({"title": "Not Found", "status": 404}, status_code=404)
        media = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return FileResponse(target, media_type=media, headers={"Cache-Control": "public, max-age=3600"})

    @router.get("/web/shop/{tenant_slug}/addresses")
    def shop_addresses(
        request: Request,
        tenant_slug: Annotated[str, PathParam(min_length=1, max_length=64)],
        session: DbSession,
        q: Annotated[str, Query(min_length=1, max_length=200)],
        limit: Annotated[int, Query(ge=1, le=20)] = 8,
    ) -> list[dict[str, Any]]:
        """Address autocomplete for a shop's checkout: anonymous, rate-limited, public OSM addresses only."""
        limiter = getattr(request.app.state, "rate_limiter", None)
        if limiter is not None:
            limiter.hit(f"{tenant_slug}|{request.client.host if request.client else 'unknown'}|addresses")
        if session.scalar(select(m.Tenant.id).where(m.Tenant.slug == tenant_slug)) is None:
            raise NotFound(f"shop {tenant_slug!r} not found")
        index = getattr(request.app.state, "addresses", None)
        if index is None:
            return []
        return [
            {"label": r.label, "lon": r.lon, "lat": r.lat, "source": source}
            for r, source in index.search(q, limit=limit)
        ]

    @router.get("/web/shop/{tenant_slug}/quotes/{quote_id}/tiers.svg")
    def shop_quote_chart(
        request: Request,
        tenant_slug: Annotated[str, PathParam(min_length=1, max_length=64)],
        quote_id: Annotated[str, PathParam(min_length=1, max_length=64)],
        session: DbSession,
    ) -> Response:
        """Price and kg CO2e of a checkout quote's tiers (SVG), in the shop's language."""
        tenant = session.scalar(select(m.Tenant).where(m.Tenant.slug == tenant_slug))
        row = session.get(m.Quote, quote_id)
        if tenant is None or row is None or row.tenant_id != tenant.id:
            raise NotFound(f"quote {quote_id!r} not found")
        tiers = [
            TierQuote(
                tier=str(q.get("tier", "")),
                name=str(q.get("name", "")),
                relay=bool(q.get("relay", False)),
                available=bool(q.get("available", False)),
                price_cents=int(q.get("price_cents", 0)),
                co2e_g=int(q.get("co2e_g", 0)),
            )
            for q in (row.result or {}).get("tiers", [])
        ]
        lang, _ = _lang(request, tenant_lang=tenant.language)
        svg = documents.tier_chart_svg(tiers, currency=tenant.currency, lang=lang)
        return Response(svg, media_type="image/svg+xml")

    @router.get("/web/me")
    def me(
        request: Request, session: DbSession, principal: Annotated[Principal, Depends(get_principal)]
    ) -> dict[str, Any]:
        """Who the token belongs to, and the tenant's language and money (for page formats)."""
        tenant = session.get(m.Tenant, principal.tenant_id)
        assert tenant is not None
        lang, _ = _lang(request, tenant_lang=tenant.language)
        return {
            "role": principal.role,
            "vehicle_id": principal.vehicle_id,
            "merchant_id": principal.merchant_id,
            "tenant_name": tenant.name,
            "language": tenant.language,
            "currency": tenant.currency,
            "time_zone": tenant.time_zone,
            "intl": i18n.intl_locale(lang, tenant.currency),
        }

    @router.get("/web/basemap.geojson")
    def basemap(request: Request) -> Response:
        """The served map's roads as GeoJSON: the offline base layer of every map page."""
        lines = _maps(request).basemap()
        doc = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "MultiLineString",
                        "coordinates": [list(map(list, ln)) for ln in lines],
                    },
                    "properties": {"attribution": documents.OSM_CREDIT},
                }
            ],
        }
        return Response(
            json.dumps(doc, separators=(",", ":")),
            media_type="application/geo+json",
            headers={"Cache-Control": "public, max-age=3600"},
        )

    def _doc_lang(request: Request, tenant_lang: str) -> str:
        return _lang(request, tenant_lang=tenant_lang)[0]

    def _mobile_url(request: Request, plan_id: str, route_id: str) -> str:
        base = str(request.base_url).rstrip("/")
        return f"{base}{root}/m/routes/{route_id}?plan={plan_id}"

    def _load(request: Request, session: DbSession, principal: Principal, plan_id: str, route_id: str) -> Any:
        tenant = session.get(m.Tenant, principal.tenant_id)
        assert tenant is not None
        return sheets.load_route(
            session,
            principal,
            plan_id,
            route_id,
            lang=_doc_lang(request, tenant.language),
            mobile_url=_mobile_url(request, plan_id, route_id),
            maps=_maps(request),
        )

    @router.get("/web/plans/{plan_id}/routes/{route_id}/sheet.pdf")
    def sheet_pdf(
        request: Request,
        plan_id: str,
        route_id: str,
        session: DbSession,
        principal: Annotated[Principal, Depends(get_principal)],
    ) -> Response:
        """The printable route sheet (A4 PDF)."""
        loaded = _load(request, session, principal, plan_id, route_id)
        pdf = documents.route_sheet_pdf(loaded.route, loaded.ctx)
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{route_id}.pdf"'},
        )

    @router.get("/web/plans/{plan_id}/routes/{route_id}/route.gpx")
    def sheet_gpx(
        request: Request,
        plan_id: str,
        route_id: str,
        session: DbSession,
        principal: Annotated[Principal, Depends(get_principal)],
    ) -> Response:
        """The route as GPX 1.1 (for OsmAnd, Organic Maps, a GPS)."""
        loaded = _load(request, session, principal, plan_id, route_id)
        return Response(
            documents.route_gpx(loaded.route, loaded.ctx),
            media_type="application/gpx+xml",
            headers={"Content-Disposition": f'attachment; filename="{route_id}.gpx"'},
        )

    @router.get("/web/plans/{plan_id}/routes/{route_id}/route.geojson")
    def sheet_geojson(
        request: Request,
        plan_id: str,
        route_id: str,
        session: DbSession,
        principal: Annotated[Principal, Depends(get_principal)],
    ) -> Response:
        """The route as GeoJSON (line, then stops)."""
        loaded = _load(request, session, principal, plan_id, route_id)
        return Response(
            documents.dumps_geojson(documents.route_geojson(loaded.route, loaded.ctx)),
            media_type="application/geo+json",
        )

    def _sheet_row(
        session: DbSession, principal: Principal, plan_id: str, route_id: str
    ) -> m.RouteSheet | None:
        return session.scalar(
            select(m.RouteSheet).where(
                m.RouteSheet.tenant_id == principal.tenant_id,
                m.RouteSheet.plan_id == plan_id,
                m.RouteSheet.route_id == route_id,
            )
        )

    def _courier_view(
        request: Request, session: DbSession, principal: Principal, plan_id: str, route_id: str
    ) -> dict[str, Any]:
        loaded = _load(request, session, principal, plan_id, route_id)
        row = _sheet_row(session, principal, plan_id, route_id)
        marks = (row.body or {}).get("stop_status", {}) if row is not None else {}
        return sheets.courier_json(loaded, marks=marks)

    @router.get("/web/plans/{plan_id}/routes/{route_id}/courier.json")
    def courier_sheet(
        request: Request,
        plan_id: str,
        route_id: str,
        session: DbSession,
        principal: Annotated[Principal, Depends(get_principal)],
    ) -> dict[str, Any]:
        """The courier page's view of a route: ordered stops, contacts, goods, status."""
        return _courier_view(request, session, principal, plan_id, route_id)

    @router.post("/web/plans/{plan_id}/routes/{route_id}/stops/{seq}/status")
    def mark_stop(
        request: Request,
        plan_id: str,
        route_id: str,
        seq: Annotated[int, PathParam(ge=0, le=10_000)],
        body: StopStatusUpdate,
        session: DbSession,
        principal: Annotated[Principal, Depends(get_principal)],
    ) -> dict[str, Any]:
        """Mark a stop delivered or failed (with a reason): its orders take that status."""
        if principal.role not in ("courier", "admin", "planner"):
            raise Forbidden(f"role {principal.role!r} may not report deliveries")
        loaded = _load(request, session, principal, plan_id, route_id)
        if not 0 <= seq < len(loaded.route.stops):
            raise NotFound(f"stop {seq} not found in route {route_id!r}")
        stop = loaded.route.stops[seq]
        if not stop.order_ids:
            raise NotFound(f"stop {seq} of route {route_id!r} has no order to report on")
        row = _sheet_row(session, principal, plan_id, route_id)
        if row is None:
            row = m.RouteSheet(
                tenant_id=principal.tenant_id,
                plan_id=plan_id,
                route_id=route_id,
                vehicle_id=loaded.route.vehicle_id,
                date=loaded.plan.horizon.date_of(loaded.route.day),
                body={},
            )
            session.add(row)
        body_json = dict(row.body or {})
        marks = dict(body_json.get("stop_status", {}))
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        marks[str(seq)] = {
            "status": body.status,
            "reason": body.reason or "",
            "note": body.note,
            "at": now,
            "order_ids": list(stop.order_ids),
        }
        if stop.kind is StopKind.DELIVERY:
            # Only the customer's door settles an order; a pickup report is kept on the sheet.
            for oid in stop.order_ids:
                order = session.get(m.Order, oid)
                if order is not None and order.tenant_id == principal.tenant_id:
                    order.status = body.status
        body_json["stop_status"] = marks
        row.body = body_json
        flag_modified(row, "body")
        session.commit()
        log.info("route %s stop %d marked %s by %s", route_id, seq, body.status, principal.user_id)
        return _courier_view(request, session, principal, plan_id, route_id)

    @router.get("/web/plans/{plan_id}/lines.json")
    def plan_lines(
        plan_id: str,
        request: Request,
        session: DbSession,
        principal: Annotated[Principal, Depends(get_principal)],
    ) -> dict[str, Any]:
        """Each route of a plan along the roads, for the planner's day map."""
        if principal.role not in ("admin", "planner", "staff"):
            raise Forbidden(f"role {principal.role!r} may not read plans")
        _, plan = sheets.load_plan(session, principal, plan_id)
        lines = _maps(request).route_lines(plan)
        return {rid: [[round(x, 6), round(y, 6)] for x, y in line] for rid, line in lines.items()}

    @router.get("/web/plans/{plan_id}/fill-rate.svg")
    def fill_rate_svg(
        request: Request,
        plan_id: str,
        session: DbSession,
        principal: Annotated[Principal, Depends(get_principal)],
    ) -> Response:
        """Fill rate of each vehicle per day of a plan (SVG chart)."""
        if principal.role not in ("admin", "planner", "staff"):
            raise Forbidden(f"role {principal.role!r} may not read plans")
        _, plan = sheets.load_plan(session, principal, plan_id)
        tenant = session.get(m.Tenant, principal.tenant_id)
        assert tenant is not None
        lang = _doc_lang(request, tenant.language)
        vehicle_ids = sorted({r.vehicle_id for r in plan.routes})
        names = {
            v.id: v.name
            for v in session.scalars(
                select(m.Vehicle).where(m.Vehicle.tenant_id == tenant.id, m.Vehicle.id.in_(vehicle_ids))
            )
        }
        svg = documents.fill_rate_chart_svg(plan, lang=lang, currency=tenant.currency, vehicle_names=names)
        return Response(svg, media_type="image/svg+xml")

    return router
