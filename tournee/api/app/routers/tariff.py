"""The tenant's tariff policy (tier catalogue, rules, carbon price), read and replaced."""

from __future__ import annotations

from fastapi import APIRouter

from tournee.api.app import schemas as s
from tournee.api.app.deps import DbSession
from tournee.api.app.policies import default_policy_text, parse_policy_text, tenant_policy
from tournee.api.app.routers.common import Fleet, Reader
from tournee.api.db import models as m
from tournee.tariffs.policy import TariffPolicy

router = APIRouter(prefix="/tariff-policy", tags=["tariff policy"])


def _public(policy: TariffPolicy, row: m.TariffPolicy | None) -> s.TariffPolicyPublic:
    return s.TariffPolicyPublic(
        format=row.format if row else "toml",
        text=row.text if row else default_policy_text(),
        tiers=[
            s.TierPublic(code=t.code, name=t.name, min_days=t.min_days, max_days=t.max_days, relay=t.relay)
            for t in policy.tiers
        ],
        updated_at=row.updated_at if row else None,
    )


@router.get("", response_model=s.TariffPolicyPublic)
def read_policy(session: DbSession, principal: Reader) -> s.TariffPolicyPublic:
    """The policy in force (the shipped default until the tenant stores its own)."""
    policy, row = tenant_policy(session, principal.tenant_id)
    return _public(policy, row)


@router.put("", response_model=s.TariffPolicyPublic)
def replace_policy(body: s.TariffPolicyUpdate, session: DbSession, principal: Fleet) -> s.TariffPolicyPublic:
    """Replace the policy; it is validated first and an invalid one changes nothing."""
    parse_policy_text(body.text, body.format, source=f"tenant {principal.tenant_id}")
    row = session.get(m.TariffPolicy, principal.tenant_id)
    if row is None:
        row = m.TariffPolicy(tenant_id=principal.tenant_id, format=body.format, text=body.text)
        session.add(row)
    else:
        row.format, row.text, row.updated_at = body.format, body.text, m.utcnow()
    session.commit()
    policy, row = tenant_policy(session, principal.tenant_id)
    return _public(policy, row)
