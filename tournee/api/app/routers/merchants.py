"""Merchants: the shops and producers whose orders are picked up."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from tournee.api.app import schemas as s
from tournee.api.app.crud import delete_row, get_owned, list_owned
from tournee.api.app.deps import DbSession
from tournee.api.app.errors import Forbidden
from tournee.api.app.routers.common import Fleet, Limit, Office, Offset, Reader
from tournee.api.db import models as m

router = APIRouter(prefix="/merchants", tags=["merchants"])


@router.get("", response_model=list[s.MerchantPublic])
def list_merchants(
    session: DbSession, principal: Reader, limit: Limit = 100, offset: Offset = 0
) -> list[m.Merchant]:
    """Merchants of the tenant (a merchant user sees only itself)."""
    where = m.Merchant.id == principal.merchant_id if principal.role == "merchant" else None
    return list_owned(session, m.Merchant, principal.tenant_id, limit=limit, offset=offset, where=where)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=s.MerchantPublic)
def create_merchant(body: s.MerchantCreate, session: DbSession, principal: Office) -> m.Merchant:
    """Add a merchant."""
    row = m.Merchant(tenant_id=principal.tenant_id, **body.model_dump())
    session.add(row)
    session.commit()
    return row


@router.get("/{merchant_id}", response_model=s.MerchantPublic)
def read_merchant(merchant_id: str, session: DbSession, principal: Reader) -> m.Merchant:
    """One merchant."""
    if principal.role == "merchant" and merchant_id != principal.merchant_id:
        raise Forbidden("a merchant user may read only its own merchant")
    return get_owned(session, m.Merchant, principal.tenant_id, merchant_id, what="merchant")


@router.put("/{merchant_id}", response_model=s.MerchantPublic)
def update_merchant(
    merchant_id: str, body: s.MerchantCreate, session: DbSession, principal: Office
) -> m.Merchant:
    """Replace a merchant's fields."""
    row = get_owned(session, m.Merchant, principal.tenant_id, merchant_id, what="merchant")
    for key, value in body.model_dump().items():
        setattr(row, key, value)
    session.commit()
    return row


@router.delete("/{merchant_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def delete_merchant(merchant_id: str, session: DbSession, principal: Fleet) -> Response:
    """Remove a merchant that has no orders."""
    row = get_owned(session, m.Merchant, principal.tenant_id, merchant_id, what="merchant")
    delete_row(session, row, what=f"merchant {merchant_id!r}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
