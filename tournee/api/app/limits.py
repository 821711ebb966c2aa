"""Request body size limits, enforced before a route reads the body (pure ASGI)."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodySizeLimit"]


class _TooLarge(Exception):
    pass


class BodySizeLimit:
    """Answer 413 (problem+json) when a body exceeds its limit.

    CSV uploads (``text/csv`` or ``multipart/form-data``) get ``max_csv_bytes``, every
    other body ``max_body_bytes``.  Both the ``Content-Length`` header and the bytes
    actually received are checked, so a chunked upload cannot slip past.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_csv_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_csv_bytes = max_csv_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        ctype = headers.get("content-type", "").lower()
        csv_like = ctype.startswith("text/csv") or ctype.startswith("multipart/form-data")
        limit = self.max_csv_bytes if csv_like else self.max_body_bytes
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            await self._reject(send, scope, limit)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._reject(send, scope, limit)

    @staticmethod
    async def _reject(send: Send, scope: Scope, limit: int) -> None:
        body = json.dumps(
            {
                "type": "https://tournee.example/problems/payload-too-large",
                "title": "Payload too large",
                "status": 413,
                "detail": f"the request body exceeds the limit of {limit} bytes",
                "instance": scope.get("path", ""),
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
