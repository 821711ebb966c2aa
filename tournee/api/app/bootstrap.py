"""Creating a tenant and its first users outside HTTP (CLI, demo, tests)."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tournee.api.app.security import ROLES, hash_token, new_token
from tournee.api.db import models as m
from tournee.domain import Conflict, InvalidInput

__all__ = ["NewTenant", "add_user", "create_tenant"]


@dataclass(frozen=True, slots=True, kw_only=True)
class NewTenant:
    """A tenant just created and its admin's token (shown once)."""

    tenant_id: str
    slug: str
    admin_token: str


def create_tenant(
    session: Session,
    *,
    slug: str,
    name: str,
    currency: str = "EUR",
    time_zone: str = "Europe/Paris",
    language: str = "fr",
) -> NewTenant:
    """Create a tenant with one admin user; commits.

    Raises
    ------
    InvalidInput
        For an unknown currency, time zone or language.
    Conflict
        If the slug is taken.
    """
    if currency not in ("EUR", "CAD"):
        raise InvalidInput(f"currency: must be EUR or CAD, got {currency!r}", pointer="/currency")
    if language not in ("fr", "en"):
        raise InvalidInput(f"language: must be fr or en, got {language!r}", pointer="/language")
    try:
        zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"time_zone: unknown IANA time zone {time_zone!r}", pointer="/time_zone") from None
    if session.scalar(select(m.Tenant.id).where(m.Tenant.slug == slug)) is not None:
        raise Conflict(f"slug: a tenant {slug!r} already exists", pointer="/slug")
    tenant = m.Tenant(slug=slug, name=name, currency=currency, time_zone=time_zone, language=language)
    session.add(tenant)
    session.flush()
    token = add_user(session, tenant_id=tenant.id, name=f"{name} admin", role="admin")
    session.commit()
    return NewTenant(tenant_id=tenant.id, slug=slug, admin_token=token)


def add_user(
    session: Session,
    *,
    tenant_id: str,
    name: str,
    role: str,
    merchant_id: str | None = None,
    vehicle_id: str | None = None,
) -> str:
    """Add a user (not committed) and return its token."""
    if role not in ROLES:
        raise InvalidInput(f"role: must be one of {', '.join(ROLES)}, got {role!r}", pointer="/role")
    token = new_token()
    session.add(
        m.User(
            tenant_id=tenant_id,
            name=name,
            role=role,
            token_hash=hash_token(token),
            merchant_id=merchant_id,
            vehicle_id=vehicle_id,
        )
    )
    return token
