"""``Idempotency-Key``: a retried POST replays the first answer instead of acting twice."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tournee.api.db import models as m
from tournee.domain import Conflict, InvalidInput

__all__ = ["REPLAY_HEADER", "idempotent"]

REPLAY_HEADER = "Idempotent-Replayed"


def _hash(scope: str, payload: Any) -> str:
    text = json.dumps(jsonable_encoder(payload), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{scope}\n{text}".encode()).hexdigest()


def _replay(record: m.IdempotencyRecord, request_hash: str) -> JSONResponse:
    if record.request_hash != request_hash:
        raise Conflict(
            f"Idempotency-Key {record.key!r} was already used for a different request",
            pointer="/headers/Idempotency-Key",
        )
    return JSONResponse(record.response, status_code=record.status_code, headers={REPLAY_HEADER: "true"})


def idempotent(
    session: Session,
    *,
    tenant_id: str,
    key: str | None,
    scope: str,
    payload: Any,
    act: Callable[[], Any],
    status_code: int = 201,
) -> JSONResponse:
    """Run ``act`` (which adds rows without committing) at most once per key.

    The answer is stored with the key in the same transaction as the rows ``act``
    added, so a crash never leaves an order without its key or a key without its order.
    A concurrent duplicate loses the insert race and replays the winner's answer.

    Raises
    ------
    Conflict
        If the key was used before for a different request.
    """
    if key is not None and not (0 < len(key) <= 200 and key.isprintable()):
        raise InvalidInput(
            "Idempotency-Key: must be 1–200 printable characters", pointer="/headers/Idempotency-Key"
        )
    request_hash = _hash(scope, payload)
    if key is not None:
        existing = session.get(m.IdempotencyRecord, (tenant_id, key))
        if existing is not None:
            return _replay(existing, request_hash)
    body = jsonable_encoder(act())
    if key is not None:
        session.add(
            m.IdempotencyRecord(
                tenant_id=tenant_id,
                key=key,
                request_hash=request_hash,
                status_code=status_code,
                response=body,
            )
        )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        if key is None:
            raise
        winner = session.get(m.IdempotencyRecord, (tenant_id, key))
        if winner is None:
            raise
        return _replay(winner, request_hash)
    return JSONResponse(body, status_code=status_code)
