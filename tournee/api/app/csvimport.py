"""Orders from CSV: native columns, CoopCycle and Routific/OptimoRoute headers.

Each row becomes an :class:`~tournee.api.app.schemas.OrderCreate` and goes through the
same validation as a phone order; an error names the row and the column
(``/rows/3/weight_g``).  The import is all-or-nothing: one bad row and nothing is saved.

Columns (case and spacing ignored; see ``docs/api.md``):

=====================  ===================================================================
order field            accepted headers
=====================  ===================================================================
reference              reference, id, order no, order number
merchant               merchant_id; pickup.address.name (merchant name); pickup.address
                       (merchant address) — or the ``merchant_id`` query parameter
customer               customer_id (else name/phone/address below are used as given)
name, phone, email     name, customer, dropoff.address.name / phone, telephone,
                       dropoff.address.telephone / email, dropoff.address.email
place                  lon/lng/longitude + lat/latitude (also dropoff.longitude…);
                       address, location, dropoff.address (geocoded offline when
                       no coordinates are given)
tier                   tier — or the ``default_tier`` query parameter
dates                  date / date_from, date_to; timeslot or dropoff.timeslot
                       (``2026-12-01 10:00-12:00``, CoopCycle); dropoff.after/before
                       (ISO date-times)
window                 window_start/window_end, time window start/end, tw start/end,
                       start time/end time (``HH:MM``)
weight                 weight_g (grams); weight_kg, weight, dropoff.weight, load,
                       load 1 (kilograms)
volume                 volume_ml; volume_l, load 2 (litres)
parcels                parcels, packages, dropoff.packages, load 3
money                  collect_cents / collect (currency units); value_cents / value
notes                  notes, comments, dropoff.comments, dropoff.address.description
relay point            relay_point_id
=====================  ===================================================================
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from tournee.api.app import schemas as s
from tournee.api.app.errors import PayloadTooLarge
from tournee.api.app.ordering import build_order
from tournee.api.db import models as m
from tournee.domain import InvalidInput, TourneeError

__all__ = ["ALIASES", "Geocode", "RowError", "import_orders"]

Geocode = Callable[[str], tuple[float, float] | None]

ALIASES: dict[str, tuple[str, ...]] = {
    "reference": ("reference", "id", "order no", "order number", "order_id"),
    "merchant_id": ("merchant_id", "merchant id"),
    "merchant_name": ("pickup.address.name", "merchant", "merchant name"),
    "merchant_address": ("pickup.address",),
    "customer_id": ("customer_id", "customer id"),
    "name": ("name", "customer", "customer name", "dropoff.address.name", "contact name"),
    "phone": ("phone", "telephone", "phone number", "dropoff.address.telephone"),
    "email": ("email", "e-mail", "dropoff.address.email"),
    "address": ("address", "location", "dropoff.address"),
    "lon": ("lon", "lng", "longitude", "dropoff.longitude", "dropoff.address.longitude"),
    "lat": ("lat", "latitude", "dropoff.latitude", "dropoff.address.latitude"),
    "tier": ("tier",),
    "date_from": ("date_from", "date", "delivery date"),
    "date_to": ("date_to",),
    "timeslot": ("timeslot", "dropoff.timeslot"),
    "after": ("dropoff.after",),
    "before": ("dropoff.before",),
    "window_start": ("window_start", "time window start", "tw start", "start time", "time window from"),
    "window_end": ("window_end", "time window end", "tw end", "end time", "time window to"),
    "weight_g": ("weight_g",),
    "weight_kg": ("weight_kg", "weight", "dropoff.weight", "load", "load 1", "load1"),
    "volume_ml": ("volume_ml",),
    "volume_l": ("volume_l", "load 2", "load2"),
    "parcels": ("parcels", "packages", "dropoff.packages", "load 3", "load3"),
    "collect_cents": ("collect_cents",),
    "collect": ("collect", "amount to collect", "cash on delivery"),
    "value_cents": ("value_cents",),
    "value": ("value", "goods value"),
    "notes": ("notes", "comments", "dropoff.comments", "dropoff.address.description"),
    "relay_point_id": ("relay_point_id", "relay point"),
}


def _norm(header: str) -> str:
    return re.sub(r"[\s_]+", " ", header.strip().lower()).replace(" .", ".").replace(". ", ".")


_BY_HEADER = {_norm(alias): field for field, aliases in ALIASES.items() for alias in aliases}
_TIMESLOT = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$")
_MAX_ERRORS = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class RowError:
    """What is wrong in one data row (1-based; the header is row 0)."""

    row: int
    column: str
    pointer: str
    detail: str


class _RowProblem(Exception):
    def __init__(self, column: str, detail: str) -> None:
        super().__init__(detail)
        self.column = column
        self.detail = detail


def _clock(value: str, column: str) -> int:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", value.strip())
    if not match:
        raise _RowProblem(column, f"expected a time HH:MM, got {value!r}")
    h, mi, sec = int(match[1]), int(match[2]), int(match[3] or 0)
    total = h * 3600 + mi * 60 + sec
    if mi > 59 or sec > 59 or total > 86_400:
        raise _RowProblem(column, f"not a time of day: {value!r}")
    return total


def _decimal(value: str, column: str, *, scale: int) -> int:
    try:
        number = Decimal(value.strip().replace(",", "."))
    except InvalidOperation:
        raise _RowProblem(column, f"expected a number, got {value!r}") from None
    if not number.is_finite():
        raise _RowProblem(column, f"expected a finite number, got {value!r}")
    scaled = number * scale
    if scaled < 0 or scaled > 10**12:
        raise _RowProblem(column, f"out of range: {value!r}")
    return int(scaled.to_integral_value())


def _integer(value: str, column: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise _RowProblem(column, f"expected a whole number, got {value!r}") from None


def _float(value: str, column: str) -> float:
    try:
        return float(value.strip().replace(",", "."))
    except ValueError:
        raise _RowProblem(column, f"expected a number, got {value!r}") from None


def _date(value: str, column: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise _RowProblem(column, f"expected a date YYYY-MM-DD, got {value!r}") from None


def _datetime(value: str, column: str) -> tuple[dt.date, int]:
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise _RowProblem(column, f"expected a date-time YYYY-MM-DD HH:MM, got {value!r}") from None
    return moment.date(), moment.hour * 3600 + moment.minute * 60 + moment.second


def _draft(
    row: Mapping[str, str],
    columns: Mapping[str, str],
    *,
    merchants_by_name: Mapping[str, str],
    merchants_by_address: Mapping[str, str],
    default_tier: str,
    default_merchant: str | None,
    geocode: Geocode | None,
) -> dict[str, Any]:
    """One row as an ``OrderCreate`` payload (raises ``_RowProblem`` naming the column)."""

    def get(field: str) -> str:
        header = columns.get(field)
        return (row.get(header) or "").strip() if header else ""

    def col(field: str) -> str:
        return columns.get(field, field)

    out: dict[str, Any] = {"tier": get("tier") or default_tier}
    if ref := get("reference"):
        out["reference"] = ref[:100]
    merchant = get("merchant_id")
    if not merchant and (name := get("merchant_name")):
        merchant = merchants_by_name.get(name.lower(), "")
        if not merchant:
            raise _RowProblem(col("merchant_name"), f"no merchant named {name!r}")
    if not merchant and (address := get("merchant_address")):
        merchant = merchants_by_address.get(address.lower(), "")
        if not merchant:
            raise _RowProblem(col("merchant_address"), f"no merchant at {address!r}")
    merchant = merchant or (default_merchant or "")
    if not merchant:
        raise _RowProblem(
            "merchant_id", "no merchant: give merchant_id, pickup.address(.name) or ?merchant_id="
        )
    out["merchant_id"] = merchant
    if customer := get("customer_id"):
        out["customer_id"] = customer
    lon, lat = get("lon"), get("lat")
    address = get("address")
    if lon or lat or address or not customer:
        if lon and lat:
            place_lon, place_lat = _float(lon, col("lon")), _float(lat, col("lat"))
        elif address and geocode is not None and (hit := geocode(address)) is not None:
            place_lon, place_lat = hit
        elif address:
            raise _RowProblem(col("address"), f"address {address!r} not found; give lon and lat")
        else:
            raise _RowProblem(col("lon"), "give lon and lat, an address, or a customer_id")
        out["delivery"] = {
            "name": get("name")[:200],
            "phone": get("phone")[:40],
            "address": address[:400],
            "lon": place_lon,
            "lat": place_lat,
        }
    if slot := get("timeslot"):
        match = _TIMESLOT.match(slot)
        if not match:
            raise _RowProblem(col("timeslot"), f"expected 'YYYY-MM-DD HH:MM-HH:MM', got {slot!r}")
        out["date_from"] = _date(match[1], col("timeslot"))
        out["window_start_s"] = _clock(match[2], col("timeslot"))
        out["window_end_s"] = _clock(match[3], col("timeslot"))
    if after := get("after"):
        out["date_from"], out["window_start_s"] = _datetime(after, col("after"))
    if before := get("before"):
        _, out["window_end_s"] = _datetime(before, col("before"))
    if value := get("date_from"):
        out["date_from"] = _date(value, col("date_from"))
    if value := get("date_to"):
        out["date_to"] = _date(value, col("date_to"))
    if value := get("window_start"):
        out["window_start_s"] = _clock(value, col("window_start"))
    if value := get("window_end"):
        out["window_end_s"] = _clock(value, col("window_end"))
    if value := get("weight_g"):
        out["weight_g"] = _integer(value, col("weight_g"))
    elif value := get("weight_kg"):
        out["weight_g"] = _decimal(value, col("weight_kg"), scale=1000)
    if value := get("volume_ml"):
        out["volume_ml"] = _integer(value, col("volume_ml"))
    elif value := get("volume_l"):
        out["volume_ml"] = _decimal(value, col("volume_l"), scale=1000)
    if value := get("parcels"):
        out["parcels"] = _integer(value, col("parcels"))
    if value := get("collect_cents"):
        out["collect_cents"] = _integer(value, col("collect_cents"))
    elif value := get("collect"):
        out["collect_cents"] = _decimal(value, col("collect"), scale=100)
    if value := get("value_cents"):
        out["value_cents"] = _integer(value, col("value_cents"))
    elif value := get("value"):
        out["value_cents"] = _decimal(value, col("value"), scale=100)
    if value := get("notes"):
        out["notes"] = value[:2000]
    if value := get("relay_point_id"):
        out["relay_point_id"] = value
    return out


def _column_of(pointer: str, columns: Mapping[str, str]) -> str:
    field = pointer.strip("/").split("/")[0] if pointer else ""
    reverse = {
        "weight_g": ("weight_g", "weight_kg"),
        "volume_ml": ("volume_ml", "volume_l"),
        "delivery": ("lon", "lat"),
        "collect_cents": ("collect_cents", "collect"),
        "window_start_s": ("window_start", "timeslot", "after"),
        "window_end_s": ("window_end", "timeslot", "before"),
        "date_from": ("date_from", "timeslot", "after"),
    }
    for candidate in reverse.get(field, (field,)):
        if candidate in columns:
            return columns[candidate]
    return field


def import_orders(
    session: Session,
    *,
    tenant: m.Tenant,
    data: bytes,
    default_tier: str,
    default_merchant: str | None,
    max_rows: int,
    merchant_scope: str | None = None,
    geocode: Geocode | None = None,
) -> tuple[list[m.Order], list[RowError]]:
    """Parse and validate every row; return the new (unsaved) orders, or the errors.

    Raises
    ------
    InvalidInput
        If the file is not UTF-8 CSV with a header row.
    PayloadTooLarge
        If it has more than ``max_rows`` data rows.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"file: not UTF-8 text ({exc.reason} at byte {exc.start})", pointer="/file"
        ) from None
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    headers = reader.fieldnames or []
    if not headers:
        raise InvalidInput("file: empty, or no header row", pointer="/file")
    columns: dict[str, str] = {}
    for header in headers:
        field = _BY_HEADER.get(_norm(header or ""))
        if field is not None and field not in columns:
            columns[field] = header
    if not columns:
        raise InvalidInput(f"file: no known column among {headers[:12]!r} (see docs/api.md)", pointer="/file")
    merchant_rows = list(session.scalars(select(m.Merchant).where(m.Merchant.tenant_id == tenant.id)))
    by_name = {r.name.lower(): r.id for r in merchant_rows}
    by_address = {r.address.lower(): r.id for r in merchant_rows if r.address}
    orders: list[m.Order] = []
    errors: list[RowError] = []
    for number, row in enumerate(reader, start=1):
        if number > max_rows:
            raise PayloadTooLarge(f"file: more than {max_rows} rows; split it")
        if len(errors) >= _MAX_ERRORS:
            break
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue  # blank line
        prefix = f"/rows/{number}"
        try:
            payload = _draft(
                row,
                columns,
                merchants_by_name=by_name,
                merchants_by_address=by_address,
                default_tier=default_tier,
                default_merchant=default_merchant,
                geocode=geocode,
            )
            body = s.OrderCreate.model_validate(payload)
            order = build_order(
                session, tenant=tenant, body=body, source="csv", merchant_scope=merchant_scope, prefix=prefix
            )
        except _RowProblem as exc:
            errors.append(
                RowError(row=number, column=exc.column, pointer=f"{prefix}/{exc.column}", detail=exc.detail)
            )
            continue
        except ValidationError as exc:
            for e in exc.errors()[:5]:
                field = "/".join(str(p) for p in e.get("loc", ()))
                column = _column_of(field, columns)
                errors.append(
                    RowError(row=number, column=column, pointer=f"{prefix}/{field}", detail=e.get("msg", ""))
                )
            continue
        except TourneeError as exc:
            pointer = exc.pointer or prefix
            field = pointer.removeprefix(prefix)
            errors.append(
                RowError(row=number, column=_column_of(field, columns), pointer=pointer, detail=exc.message)
            )
            continue
        orders.append(order)
    return orders, errors
