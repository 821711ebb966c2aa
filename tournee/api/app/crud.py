"""Tenant-scoped lookups shared by the routers: a row of another tenant is "not found"."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tournee.api.db import models as m
from tournee.domain import Conflict, NotFound, UnknownReference

__all__ = ["delete_row", "get_owned", "list_owned", "resolve_reference"]

T = TypeVar("T", bound=m.Base)


def get_owned(session: Session, model: type[T], tenant_id: str, row_id: str, *, what: str) -> T:
    """The row ``row_id`` of ``model`` if it belongs to ``tenant_id``.

    Raises
    ------
    NotFound
        If it does not exist or belongs to another tenant (the two are not told apart).
    """
    row = session.get(model, row_id)
    if row is None or getattr(row, "tenant_id", None) != tenant_id:
        raise NotFound(f"{what} {row_id!r} not found")
    return row


def resolve_reference(
    session: Session, model: type[T], tenant_id: str, row_id: str, *, what: str, pointer: str
) -> T:
    """Like :func:`get_owned` for an id given inside a body: a 422 naming the field."""
    try:
        return get_owned(session, model, tenant_id, row_id, what=what)
    except NotFound:
        raise UnknownReference(f"{pointer.lstrip('/')}: no {what} {row_id!r}", pointer=pointer) from None


def list_owned(
    session: Session, model: type[T], tenant_id: str, *, limit: int, offset: int, where: Any = None
) -> list[T]:
    """Rows of ``tenant_id`` in creation order, one page."""
    stmt: Select[Any] = select(model).where(model.tenant_id == tenant_id)  # type: ignore[attr-defined]
    if where is not None:
        stmt = stmt.where(where)
    stmt = stmt.order_by(model.created_at, model.id).limit(limit).offset(offset)  # type: ignore[attr-defined]
    return list(session.scalars(stmt))


def delete_row(session: Session, row: m.Base, *, what: str) -> None:
    """Delete ``row``; a row still referenced (orders of a merchant…) is a conflict."""
    try:
        session.delete(row)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"{what} is still referenced by other records") from None
