"""Small pieces shared by the resource routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from tournee.api.app.deps import Principal, require

__all__ = ["Admin", "Fleet", "Limit", "Office", "Offset", "Reader"]

Limit = Annotated[int, Query(ge=1, le=500, description="page size")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="rows to skip")]

# Who may do what (roles: admin, planner, staff, merchant, courier).
Admin = Annotated[Principal, Depends(require("admin"))]
Fleet = Annotated[Principal, Depends(require("admin", "planner"))]
Office = Annotated[Principal, Depends(require("admin", "planner", "staff"))]
Reader = Annotated[Principal, Depends(require("admin", "planner", "staff", "merchant"))]
