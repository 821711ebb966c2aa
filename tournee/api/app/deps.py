"""Request dependencies: settings, a database session, the caller and its tenant."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from tournee.api.app.errors import Forbidden, Unauthenticated
from tournee.api.app.security import hash_token
from tournee.api.db import models as m
from tournee.api.settings import Settings

__all__ = [
    "DbSession",
    "Principal",
    "get_principal",
    "get_session",
    "get_settings",
    "require",
]

_bearer = HTTPBearer(auto_error=False, description="A per-user token: `Authorization: Bearer trn_…`")


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """One session per request, closed afterwards (routes commit explicitly)."""
    session: Session = request.app.state.sessionmaker()
    try:
        yield session
    finally:
        session.close()


DbSession = Annotated[Session, Depends(get_session)]


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    """The authenticated caller: who, in which tenant, with which role."""

    user_id: str
    tenant_id: str
    role: str
    merchant_id: str | None = None
    vehicle_id: str | None = None

    def allows(self, *roles: str) -> bool:
        return self.role in roles


def get_principal(
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Resolve the bearer token to a user.

    Raises
    ------
    Unauthenticated
        If no token is given or no user holds it.
    """
    if credentials is None or not credentials.credentials:
        raise Unauthenticated("an Authorization: Bearer token is required")
    user = session.scalar(select(m.User).where(m.User.token_hash == hash_token(credentials.credentials)))
    if user is None:
        raise Unauthenticated("the token is not valid")
    return Principal(
        user_id=user.id,
        tenant_id=user.tenant_id,
        role=user.role,
        merchant_id=user.merchant_id,
        vehicle_id=user.vehicle_id,
    )


def require(*roles: str) -> Callable[[Principal], Principal]:
    """A dependency that admits only callers whose role is in ``roles``."""

    def check(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if not principal.allows(*roles):
            raise Forbidden(f"role {principal.role!r} may not do this (needs one of {', '.join(roles)})")
        return principal

    return check


def current_tenant(session: Session, principal: Principal) -> m.Tenant:
    """The caller's tenant row."""
    tenant = session.get(m.Tenant, principal.tenant_id)
    if tenant is None:  # pragma: no cover - users are deleted with their tenant
        raise Unauthenticated("the token's tenant no longer exists")
    return tenant
