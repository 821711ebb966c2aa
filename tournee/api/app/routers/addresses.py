"""Address autocomplete for phone orders (offline OSM index, optional online geocoder)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from tournee.api.app import schemas as s
from tournee.api.app.addresses import AddressIndex
from tournee.api.app.routers.common import Reader

router = APIRouter(prefix="/addresses", tags=["addresses"])


@router.get("", response_model=list[s.AddressHit])
def search_addresses(
    request: Request,
    principal: Reader,
    q: Annotated[str, Query(min_length=1, max_length=200, description="street, house number, city…")],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[s.AddressHit]:
    """Addresses of the loaded map matching ``q`` (street + house number + city → coordinates)."""
    index: AddressIndex = request.app.state.addresses
    return [
        s.AddressHit(
            label=r.label,
            street=r.street,
            housenumber=r.housenumber,
            postcode=r.postcode,
            city=r.city,
            lon=r.lon,
            lat=r.lat,
            source="osm" if source == "osm" else "geocoder",
        )
        for r, source in index.search(q, limit=limit)
    ]
