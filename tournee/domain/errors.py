"""Domain errors raised by every engine.

Each error names *what* is wrong and *where* (the object and field, or the file and
location).  The API maps these classes to HTTP statuses in one table; the CLI prints
their message.  ``pointer`` is an optional JSON-pointer-like path to the offending
field (``/orders/3/weight_g``) that the API copies into its problem document.
"""

from __future__ import annotations

__all__ = [
    "Conflict",
    "Infeasible",
    "InvalidInput",
    "MapError",
    "NotFound",
    "OffNetwork",
    "TourneeError",
    "UnknownReference",
    "UnknownTier",
    "Unreachable",
]


class TourneeError(Exception):
    """Base of every error Tournée raises on purpose."""

    def __init__(self, message: str, *, pointer: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.pointer = pointer

    def __str__(self) -> str:
        return self.message


class InvalidInput(TourneeError):
    """A value is malformed or out of range (the message names object and field)."""


class UnknownTier(InvalidInput):
    """An order or a quote names a tier the tariff policy does not define."""


class UnknownReference(InvalidInput):
    """An object refers to another one (merchant, customer, hub…) that does not exist."""


class MapError(InvalidInput):
    """A map file is missing, unreadable, or holds no usable road."""


class OffNetwork(InvalidInput):
    """A location is farther than the allowed snapping distance from any usable way."""

    def __init__(
        self,
        message: str,
        *,
        location_id: str | None = None,
        distance_m: int | None = None,
        pointer: str | None = None,
    ) -> None:
        super().__init__(message, pointer=pointer)
        self.location_id = location_id
        self.distance_m = distance_m


class Unreachable(TourneeError):
    """Two locations are on the network but no route joins them for a profile."""


class Infeasible(TourneeError):
    """The solver could not produce any plan (names the solver status)."""


class NotFound(TourneeError):
    """A requested record does not exist (or is not visible to the caller)."""


class Conflict(TourneeError):
    """The request conflicts with the current state (e.g. idempotency key reuse)."""


class Unavailable(TourneeError):
    """A feature needs a system component this installation lacks (e.g. WeasyPrint's Pango)."""
