"""Customers: name, phone, address with coordinates, optional e-mail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from tournee.api.app import schemas as s
from tournee.api.app.crud import delete_row, get_owned, list_owned
from tournee.api.app.deps import DbSession
from tournee.api.app.routers.common import Limit, Office, Offset
from tournee.api.db import models as m

router = APIRouter(prefix="/customers", tags=["customers"])


@router.get("", response_model=list[s.CustomerPublic])
def list_customers(
    session: DbSession,
    principal: Office,
    phone: Annotated[str | None, Query(max_length=40, description="phone number prefix")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[m.Customer]:
    """Customers of the tenant, optionally those whose phone starts with ``phone``."""
    where = m.Customer.phone.startswith(phone, autoescape=True) if phone else None
    return list_owned(session, m.Customer, principal.tenant_id, limit=limit, offset=offset, where=where)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=s.CustomerPublic)
def create_customer(body: s.CustomerCreate, session: DbSession, principal: Office) -> m.Customer:
    """Add a customer (e-mail optional: many have none)."""
    row = m.Customer(tenant_id=principal.tenant_id, **body.model_dump())
    session.add(row)
    session.commit()
    return row


@router.get("/{customer_id}", response_model=s.CustomerPublic)
def read_customer(customer_id: str, session: DbSession, principal: Office) -> m.Customer:
    """One customer."""
    return get_owned(session, m.Customer, principal.tenant_id, customer_id, what="customer")


@router.put("/{customer_id}", response_model=s.CustomerPublic)
def update_customer(
    customer_id: str, body: s.CustomerCreate, session: DbSession, principal: Office
) -> m.Customer:
    """Replace a customer's fields."""
    row = get_owned(session, m.Customer, principal.tenant_id, customer_id, what="customer")
    for key, value in body.model_dump().items():
        setattr(row, key, value)
    session.commit()
    return row


@router.delete("/{customer_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def delete_customer(customer_id: str, session: DbSession, principal: Office) -> Response:
    """Remove a customer (its past orders keep their delivery address)."""
    row = get_owned(session, m.Customer, principal.tenant_id, customer_id, what="customer")
    delete_row(session, row, what=f"customer {customer_id!r}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
