"""Per-user tokens: random, shown once, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets

__all__ = ["ROLES", "hash_token", "new_token"]

ROLES: tuple[str, ...] = ("admin", "planner", "staff", "merchant", "courier")


def new_token() -> str:
    """A fresh bearer token (256 bits of randomness)."""
    return "trn_" + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The hash stored at rest (tokens are random, so a fast hash is enough)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
