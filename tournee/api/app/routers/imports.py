"""CSV import of orders: a per-row error report, and nothing half-imported."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from tournee.api.app import schemas as s
from tournee.api.app.csvimport import import_orders
from tournee.api.app.deps import DbSession, current_tenant
from tournee.api.app.errors import PROBLEM_CONTENT_TYPE, PayloadTooLarge
from tournee.api.app.routers.common import Reader
from tournee.api.settings import Settings
from tournee.domain import InvalidInput

router = APIRouter(prefix="/imports", tags=["import and export"])

_CSV_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
            },
        },
    }
}


async def _read_csv(request: Request, limit: int) -> bytes:
    ctype = request.headers.get("content-type", "").lower()
    if ctype.startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=10)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InvalidInput("file: send the CSV as the form field 'file'", pointer="/file")
        data = await upload.read(limit + 1)
    else:
        data = await request.body()
    if len(data) > limit:
        raise PayloadTooLarge(f"file: larger than {limit} bytes")
    if not data.strip():
        raise InvalidInput("file: empty", pointer="/file")
    return data


@router.post(
    "/orders",
    status_code=201,
    response_model=s.ImportReport,
    openapi_extra=_CSV_BODY,
    responses={422: {"description": "The per-row error report; nothing was imported"}},
)
async def import_orders_csv(
    request: Request,
    session: DbSession,
    principal: Reader,
    default_tier: Annotated[str, Query(min_length=1, max_length=40)] = "standard",
    merchant_id: Annotated[str | None, Query(max_length=64)] = None,
    dry_run: bool = False,
) -> JSONResponse:
    """Import orders from CSV (native, CoopCycle or Routific/OptimoRoute columns; see docs/api.md).

    All rows are checked; if any row is wrong the answer lists every error
    (row, column, pointer) and nothing is saved.
    """
    settings: Settings = request.app.state.settings
    data = await _read_csv(request, settings.max_csv_bytes)
    scope = principal.merchant_id if principal.role == "merchant" else None
    geocode = request.app.state.addresses.geocode_one

    def work() -> JSONResponse:
        tenant = current_tenant(session, principal)
        orders, errors = import_orders(
            session,
            tenant=tenant,
            data=data,
            default_tier=default_tier,
            default_merchant=merchant_id or scope,
            max_rows=settings.max_csv_rows,
            merchant_scope=scope,
            geocode=geocode,
        )
        if errors:
            session.rollback()
            first = errors[0]
            return JSONResponse(
                {
                    "type": "https://tournee.example/problems/invalid-csv",
                    "title": "Invalid CSV rows",
                    "status": 422,
                    "detail": f"{len(errors)} error(s); first: row {first.row}, column {first.column!r}: "
                    f"{first.detail}. Nothing was imported.",
                    "instance": request.url.path,
                    "pointer": first.pointer,
                    "errors": [
                        {"pointer": e.pointer, "detail": f"row {e.row}, column {e.column!r}: {e.detail}"}
                        for e in errors
                    ],
                    "rows": [e.row for e in errors],
                    "imported": 0,
                },
                status_code=422,
                media_type=PROBLEM_CONTENT_TYPE,
            )
        if dry_run:
            session.rollback()
            return JSONResponse(
                s.ImportReport(imported=0, errors=[], order_ids=[]).model_dump(), status_code=200
            )
        session.add_all(orders)
        session.commit()
        report = s.ImportReport(imported=len(orders), errors=[], order_ids=[o.id for o in orders])
        return JSONResponse(report.model_dump(), status_code=201)

    return await run_in_threadpool(work)
