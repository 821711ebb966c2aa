"""CSV import: native, CoopCycle and Routific/OptimoRoute columns; per-row errors; all-or-nothing."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from tests.api.http.conftest import TenantCtx

CSV = {"Content-Type": "text/csv"}


def _day(n: int) -> str:
    return (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=n)).isoformat()


def _count(client: TestClient, t: TenantCtx) -> int:
    return len(client.get("/v1/orders", headers=t.staff).json())


def test_native_csv_imports_every_row(client: TestClient, tenant: TenantCtx, basics: dict[str, str]) -> None:
    text = (
        "reference,merchant_id,name,phone,lon,lat,tier,date_from,window_start,window_end,weight_kg,parcels,notes\n"
        f"A1,{basics['merchant']},Aino,+358 40 1,24.94,60.17,standard,{_day(2)},10:00,12:00,2.5,2,door 12\n"
        f"A2,{basics['merchant']},Eero,+358 40 2,24.93,60.16,slow,{_day(3)},,,0.8,1,\n"
    )
    r = client.post("/v1/imports/orders", content=text.encode(), headers={**tenant.staff, **CSV})
    assert r.status_code == 201, r.text
    assert r.json()["imported"] == 2
    orders = {o["reference"]: o for o in client.get("/v1/orders", headers=tenant.staff).json()}
    assert orders["A1"]["weight_g"] == 2500
    assert orders["A1"]["window_start_s"] == 36_000
    assert orders["A1"]["source"] == "csv"


def test_coopcycle_columns_with_timeslot_and_pickup_address(
    client: TestClient, tenant: TenantCtx, basics: dict[str, str]
) -> None:
    text = (
        "pickup.address,dropoff.address,dropoff.address.name,dropoff.address.telephone,dropoff.timeslot,"
        "dropoff.weight,dropoff.packages,dropoff.comments,dropoff.latitude,dropoff.longitude\n"
        f'Kauppatori 1,"Mannerheimintie 5, Helsinki",Aino,+358401,{_day(2)} 10:00-11:00,3,1,ring twice,60.1694,24.9398\n'
    )
    r = client.post(
        "/v1/imports/orders",
        params={"default_tier": "express"},
        content=text.encode(),
        headers={**tenant.staff, **CSV},
    )
    assert r.status_code == 201, r.text
    order = client.get("/v1/orders", headers=tenant.staff).json()[0]
    assert order["merchant_id"] == basics["merchant"]
    assert (order["window_start_s"], order["window_end_s"]) == (36_000, 39_600)
    assert order["notes"] == "ring twice"


def test_routific_load_column_with_address_found_offline(
    client: TestClient, tenant: TenantCtx, basics: dict[str, str]
) -> None:
    text = "ID,Name,Address,Load,Phone,Time window start,Time window end\nR-1,Aino,Mannerheimintie 5,4,+358,09:00,17:00\n"
    r = client.post(
        "/v1/imports/orders",
        params={"merchant_id": basics["merchant"], "default_tier": "slow"},
        files={"file": ("routes.csv", text.encode(), "text/csv")},
        headers=tenant.staff,
    )
    assert r.status_code == 201, r.text
    order = client.get("/v1/orders", headers=tenant.staff).json()[0]
    assert order["weight_g"] == 4000
    assert abs(order["delivery_lat"] - 60.1694) < 0.001


def test_a_bad_row_imports_nothing_and_names_row_and_column(
    client: TestClient, tenant: TenantCtx, basics: dict[str, str]
) -> None:
    text = (
        "merchant_id,lon,lat,tier,weight_kg,date_from\n"
        f"{basics['merchant']},24.94,60.17,standard,2,{_day(2)}\n"
        f"{basics['merchant']},24.94,60.17,standard,heavy,{_day(2)}\n"
        f"{basics['merchant']},24.94,95.0,standard,1,{_day(2)}\n"
        f"{basics['merchant']},24.94,60.17,teleport,1,{_day(2)}\n"
        f"{basics['merchant']},24.94,60.17,standard,1,2001-01-01\n"
    )
    r = client.post("/v1/imports/orders", content=text.encode(), headers={**tenant.staff, **CSV})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    pointers = [e["pointer"] for e in r.json()["errors"]]
    assert pointers == ["/rows/2/weight_kg", "/rows/3/delivery/lat", "/rows/4/tier", "/rows/5/date_from"]
    assert _count(client, tenant) == 0


def test_oversized_csv_is_refused(client: TestClient, tenant: TenantCtx, basics: dict[str, str]) -> None:
    limit = client.app.state.settings.max_csv_bytes  # type: ignore[attr-defined]
    row = f"{basics['merchant']},24.94,60.17,standard,2\n"
    text = "merchant_id,lon,lat,tier,weight_kg\n" + row * (limit // len(row) + 2)
    r = client.post("/v1/imports/orders", content=text.encode(), headers={**tenant.staff, **CSV})
    assert r.status_code == 413
    assert _count(client, tenant) == 0


def test_csv_that_is_not_text_or_has_no_known_column(client: TestClient, tenant: TenantCtx) -> None:
    binary = client.post(
        "/v1/imports/orders", content=b"\xff\xfe\x00garbage", headers={**tenant.staff, **CSV}
    )
    assert binary.status_code == 422
    assert binary.json()["pointer"] == "/file"
    unknown = client.post("/v1/imports/orders", content=b"foo,bar\n1,2\n", headers={**tenant.staff, **CSV})
    assert unknown.status_code == 422


def test_address_search_finds_street_and_number_offline(client: TestClient, tenant: TenantCtx) -> None:
    r = client.get("/v1/addresses", params={"q": "mannerheimintie 5"}, headers=tenant.staff)
    assert r.status_code == 200
    hits = r.json()
    assert hits
    assert hits[0]["housenumber"] == "5"
    assert hits[0]["source"] == "osm"
    assert 60.1 < hits[0]["lat"] < 60.3
    assert client.get("/v1/addresses", params={"q": "zzzz nowhere"}, headers=tenant.staff).json() == []


def test_online_geocoder_is_asked_only_when_the_offline_index_has_nothing(tmp_path: object) -> None:
    from tournee.api.app.addresses import AddressIndex
    from tournee.api.services.maps import default_map_path

    calls: list[str] = []

    def fake_network(url: str) -> object:
        calls.append(url)
        return [
            {
                "lon": "2.35",
                "lat": "48.85",
                "address": {"road": "Rue de Rivoli", "house_number": "1", "city": "Paris"},
            }
        ]

    index = AddressIndex(
        default_map_path(), cache_dir=None, geocoder_url="https://geo.example", fetch=fake_network
    )
    assert index.search("mannerheimintie 5")[0][1] == "osm"
    assert calls == []
    hit, source = index.search("rue de rivoli 1 paris")[0]
    assert source == "geocoder"
    assert hit.city == "Paris"
    assert calls[0].startswith("https://geo.example/search?")
