"""A fixed-window rate limiter per key (tenant + client address), in memory."""

from __future__ import annotations

import threading
import time

from tournee.api.app.errors import RateLimited

__all__ = ["RateLimiter"]


class RateLimiter:
    """Allow ``per_minute`` hits per key in each 60-second window."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[int, int]] = {}

    def hit(self, key: str) -> None:
        """Count one request for ``key``.

        Raises
        ------
        RateLimited
            With the seconds until the window resets.
        """
        now = time.monotonic()
        window = int(now // 60)
        with self._lock:
            if len(self._windows) > 100_000:
                self._windows = {k: v for k, v in self._windows.items() if v[0] == window}
            start, count = self._windows.get(key, (window, 0))
            if start != window:
                start, count = window, 0
            count += 1
            self._windows[key] = (start, count)
        if count > self.per_minute:
            raise RateLimited(
                f"more than {self.per_minute} requests a minute; retry later",
                retry_after_s=max(1, int((window + 1) * 60 - now)),
            )
