"""Errors → HTTP: one table, answered as ``application/problem+json`` (RFC 9457).

Domain errors (``tournee.domain.errors``) and the few API-only errors below are mapped
to a status and a problem type in :data:`PROBLEM_TABLE`; request validation errors name
the offending field as a JSON pointer into the body (``/orders/0/weight_g``).  Nothing a
client sends may produce a 500: anything unexpected is logged and answered with a
generic problem document.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from tournee.domain.errors import (
    Conflict,
    Infeasible,
    InvalidInput,
    MapError,
    NotFound,
    OffNetwork,
    TourneeError,
    Unavailable,
    UnknownReference,
    UnknownTier,
    Unreachable,
)

__all__ = [
    "PROBLEM_CONTENT_TYPE",
    "PROBLEM_RESPONSES",
    "PROBLEM_TABLE",
    "Forbidden",
    "Gone",
    "PayloadTooLarge",
    "Problem",
    "RateLimited",
    "Unauthenticated",
    "install_error_handlers",
    "problem_response",
]

log = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"


class Unauthenticated(TourneeError):
    """No token, or a token no user holds."""


class Forbidden(TourneeError):
    """The caller's role does not allow this action."""


class Gone(TourneeError):
    """The resource existed but is no longer usable (an expired quote)."""


class PayloadTooLarge(TourneeError):
    """A body or file is larger than the configured limit."""


class RateLimited(TourneeError):
    """Too many requests from one client in the current window."""

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


# The one table: most specific class first; the first ``isinstance`` match wins.
PROBLEM_TABLE: tuple[tuple[type[TourneeError], int, str, str], ...] = (
    (Unauthenticated, 401, "unauthenticated", "Authentication required"),
    (Forbidden, 403, "forbidden", "Not allowed"),
    (NotFound, 404, "not-found", "Not found"),
    (Conflict, 409, "conflict", "Conflict"),
    (Gone, 410, "gone", "No longer available"),
    (PayloadTooLarge, 413, "payload-too-large", "Payload too large"),
    (RateLimited, 429, "rate-limited", "Too many requests"),
    (UnknownTier, 422, "unknown-tier", "Unknown tier"),
    (UnknownReference, 422, "unknown-reference", "Unknown reference"),
    (OffNetwork, 422, "off-network", "Location off the road network"),
    (MapError, 422, "map-error", "Map unusable"),
    (InvalidInput, 422, "invalid-input", "Invalid input"),
    (Unreachable, 422, "unreachable", "Unreachable location"),
    (Infeasible, 422, "infeasible", "No feasible plan"),
    (Unavailable, 503, "unavailable", "Feature unavailable on this server"),
    (TourneeError, 400, "error", "Bad request"),
)


class ProblemItem(BaseModel):
    """One invalid field."""

    pointer: str
    detail: str


class Problem(BaseModel):
    """An RFC 9457 problem document with the offending field's JSON pointer."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str = ""
    instance: str = ""
    pointer: str | None = None
    errors: list[ProblemItem] | None = None


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {PROBLEM_CONTENT_TYPE: {}}, "description": desc}
    for code, desc in (
        (400, "Malformed request"),
        (401, "Authentication required"),
        (403, "Not allowed"),
        (404, "Not found"),
        (409, "Conflict"),
        (410, "Gone"),
        (413, "Payload too large"),
        (422, "Invalid input (the pointer names the field)"),
        (429, "Rate limited"),
    )
}


def problem_response(
    *,
    status: int,
    slug: str,
    title: str,
    detail: str,
    instance: str = "",
    pointer: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Build an ``application/problem+json`` response."""
    body: dict[str, Any] = {
        "type": f"https://tournee.example/problems/{slug}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    if pointer is not None:
        body["pointer"] = pointer
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_CONTENT_TYPE, headers=headers)


def _lookup(exc: TourneeError) -> tuple[int, str, str]:
    for cls, status, slug, title in PROBLEM_TABLE:
        if isinstance(exc, cls):
            return status, slug, title
    return 400, "error", "Bad request"  # pragma: no cover - TourneeError is the last row


def _pointer(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body",):
        parts = parts[1:]
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


async def _domain_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TourneeError)
    status, slug, title = _lookup(exc)
    headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, RateLimited) else None
    if isinstance(exc, Unauthenticated):
        headers = {"WWW-Authenticate": "Bearer"}
    return problem_response(
        status=status,
        slug=slug,
        title=title,
        detail=exc.message,
        instance=request.url.path,
        pointer=exc.pointer,
        headers=headers,
    )


async def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        first = next(e for e in errors if e.get("type") == "json_invalid")
        ctx = first.get("ctx") or {}
        return problem_response(
            status=400,
            slug="malformed-json",
            title="Malformed JSON",
            detail=f"the body is not valid JSON: {ctx.get('error', 'parse error')}",
            instance=request.url.path,
            pointer="",
        )
    items = []
    for e in errors:
        loc = tuple(e.get("loc", ()))
        where = loc[0] if loc else "body"
        pointer = _pointer(loc)
        if where in ("query", "path", "header"):
            pointer = "/" + "/".join(str(p) for p in loc[1:])
        items.append({"pointer": pointer, "detail": f"{where}: {e.get('msg', 'invalid')}"})
    first_item = items[0] if items else {"pointer": "", "detail": "invalid request"}
    return problem_response(
        status=422,
        slug="invalid-input",
        title="Invalid input",
        detail=f"{first_item['pointer'] or 'request'}: {first_item['detail']}",
        instance=request.url.path,
        pointer=first_item["pointer"],
        errors=items,
    )


async def _http_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem_response(
        status=exc.status_code,
        slug="http-" + str(exc.status_code),
        title=str(exc.detail) if exc.detail else "Error",
        detail=str(exc.detail),
        instance=request.url.path,
        headers=dict(exc.headers) if exc.headers else None,
    )


async def _unexpected_handler(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem_response(
        status=500,
        slug="internal",
        title="Internal error",
        detail="an unexpected error occurred; it has been logged",
        instance=request.url.path,
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem document."""
    app.add_exception_handler(TourneeError, _domain_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(Exception, _unexpected_handler)
