"""A tenant's tariff policy: stored text → validated :class:`TariffPolicy` (cached)."""

from __future__ import annotations

import datetime as dt
import json
import threading
import tomllib
from importlib.resources import files
from typing import Any

from sqlalchemy.orm import Session

from tournee.api.db import models as m
from tournee.domain import CarbonPrice, InvalidInput
from tournee.tariffs.policy import TariffPolicy, load_carbon_prices, parse_policy

__all__ = ["default_policy_text", "parse_policy_text", "tenant_carbon_price", "tenant_policy"]

_cache: dict[tuple[str, str], TariffPolicy] = {}
_lock = threading.Lock()


def default_policy_text() -> str:
    """The shipped default policy, as TOML text (what a new tenant starts with)."""
    return (files("tournee.tariffs") / "data" / "default_policy.toml").read_text(encoding="utf-8")


def parse_policy_text(text: str, fmt: str, *, source: str) -> TariffPolicy:
    """Parse and validate a policy written as TOML or JSON.

    Raises
    ------
    InvalidInput
        If the text is not valid TOML/JSON (pointer ``/text``) or the policy is invalid.
    """
    data: Any
    try:
        data = tomllib.loads(text) if fmt == "toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"text: not valid {fmt.upper()}: {exc}", pointer="/text") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"text: the {fmt.upper()} document must be a table", pointer="/text")
    return parse_policy(data, source=source)


def tenant_policy(session: Session, tenant_id: str) -> tuple[TariffPolicy, m.TariffPolicy | None]:
    """The tenant's policy (the shipped default until it stores one) and its row."""
    row = session.get(m.TariffPolicy, tenant_id)
    if row is None:
        key = ("<default>", "")
        text, fmt = default_policy_text(), "toml"
    else:
        stamp = row.updated_at.isoformat() if isinstance(row.updated_at, dt.datetime) else ""
        key = (tenant_id, stamp)
        text, fmt = row.text, row.format
    with _lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached, row
    policy = parse_policy_text(text, fmt, source=f"tenant {tenant_id}" if row else "default_policy.toml")
    with _lock:
        if len(_cache) > 256:
            _cache.clear()
        _cache[key] = policy
    return policy, row


def tenant_carbon_price(policy: TariffPolicy) -> CarbonPrice:
    """The policy's carbon price reference, or — when it is in another currency than the
    tenant's (the shipped policy names the EU ETS; a Québec tenant pays in CAD) — the newest
    reference in the tenant's currency (Québec's SPEDE auction for CAD)."""
    prices = load_carbon_prices()
    chosen = prices.get(policy.carbon_price_id)
    if chosen.currency == policy.currency:
        return chosen
    same = [p for p in prices.prices.values() if p.currency == policy.currency]
    if not same:
        raise InvalidInput(
            f"carbon price: no reference in {policy.currency}; set one in the tariff policy",
            pointer="/carbon_price",
        )
    return max(same, key=lambda p: p.as_of)
