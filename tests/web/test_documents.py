"""Route sheets, GPX, GeoJSON, maps and charts built from hand-made plans."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from pypdf import PdfReader

from tests.web.conftest import HORIZON, build_route, details_for, requires_pdf
from tournee.api.web import documents
from tournee.api.web.documents import (
    STOPS_PER_PAGE,
    OrderInfo,
    SheetContext,
    fill_rate_chart_svg,
    route_geojson,
    route_gpx,
    route_map_png,
    route_sheet_pdf,
    sheet_rows,
    tier_chart_svg,
)
from tournee.domain import InvalidInput, Plan, Route, StopKind

GPX_XSD = Path(__file__).parent / "data" / "gpx-1.1.xsd"


@pytest.fixture(scope="module")
def gpx_schema() -> etree.XMLSchema:
    """The official GPX 1.1 schema (Topografix), vendored in tests/web/data."""
    return etree.XMLSchema(etree.parse(str(GPX_XSD)))


def _pdf_text(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), "\n".join(p.extract_text() for p in reader.pages)


def test_rows_number_every_stop_but_start_and_end(long_route: Route) -> None:
    rows = sheet_rows(long_route, details_for(long_route))
    assert [r.number for r in rows] == list(range(1, 27))
    assert all(r.kind not in (StopKind.START, StopKind.END) for r in rows)


def test_rows_show_what_is_handed_over_at_each_stop(long_route: Route) -> None:
    rows = sheet_rows(long_route, details_for(long_route))
    pickup, first_drop = rows[0], rows[1]
    assert pickup.kind is StopKind.PICKUP
    assert (pickup.weight_g, pickup.parcels, pickup.orders) == (25 * 1500, 25, 25)
    assert pickup.name == "Ferme des Trois Chênes"
    assert "+33" not in pickup.phone  # customers' phones are not listed at the shop
    assert (first_drop.weight_g, first_drop.parcels) == (1500, 1)
    assert first_drop.name == "Client numéro 0"
    assert first_drop.door_code == "B047"
    assert first_drop.collect_cents == 1250


@requires_pdf
def test_route_sheet_pdf_has_one_page_per_twelve_stops_in_french(long_route: Route) -> None:
    pages, text = _pdf_text(route_sheet_pdf(long_route, details_for(long_route)))
    assert pages == -(-26 // STOPS_PER_PAGE) == 3
    for expected in (
        "Feuille de route",
        "mardi 24 novembre 2026",  # date in the tenant's language
        "Kangoo électrique",
        "08:00",  # start time
        "Client numéro 24",  # the last stop is printed
        "Fredrikinkatu 7, 00120 Helsinki",
        "Code porte",
        "B847",
        "2 cageots de pommes, 1 miel",
        "09:00–12:00",  # a customer window
        "87,50 €",  # total to collect: seven customers pay 12,50 €
        "37,5 kg",
        "Page 3 / 3",
        "OpenStreetMap",
    ):
        assert expected in text.replace("\u00a0", " ").replace("\u202f", " "), expected


@requires_pdf
def test_route_sheet_pdf_speaks_english_with_canadian_dollars() -> None:
    route = build_route(route_id="r-short", vehicle_id="van-2", day=0, deliveries=5)
    pages, text = _pdf_text(route_sheet_pdf(route, details_for(route, lang="en", currency="CAD")))
    text = text.replace("\u00a0", " ")
    assert pages == 1
    assert "Route sheet" in text
    assert "Monday, November 23, 2026" in text
    assert "$25.00" in text  # two customers pay $12.50
    assert "Door code" in text


def test_route_map_is_a_png_image(long_route: Route) -> None:
    png = route_map_png(long_route, details_for(long_route))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_gpx_is_valid_gpx_1_1_with_every_stop_in_order(
    long_route: Route, gpx_schema: etree.XMLSchema
) -> None:
    ctx = details_for(long_route)
    line = [(s.location.lon, s.location.lat) for s in long_route.stops]
    road = [line[0], ((line[0][0] + line[1][0]) / 2, line[0][1]), *line[1:]]
    from dataclasses import replace

    text = route_gpx(long_route, replace(ctx, geometry=road))
    doc = etree.fromstring(text.encode("utf-8"))
    gpx_schema.assertValid(doc)
    ns = {"g": documents.GPX_NS}
    rtepts = doc.findall("g:rte/g:rtept", ns)
    assert len(rtepts) == len(long_route.stops)
    assert [float(p.get("lat")) for p in rtepts] == pytest.approx([s.location.lat for s in long_route.stops])
    assert len(doc.findall("g:trk/g:trkseg/g:trkpt", ns)) == len(road)
    assert doc.find("g:wpt[2]/g:name", ns).text == "1. Ferme des Trois Chênes"
    # Helsinki is UTC+2 in November: the 08:00 start is 06:00Z.
    assert doc.find("g:metadata/g:time", ns).text == "2026-11-24T06:00:00Z"


def test_gpx_without_road_geometry_is_still_valid(gpx_schema: etree.XMLSchema) -> None:
    route = build_route(route_id="r-x", vehicle_id="v", day=3, deliveries=2)
    doc = etree.fromstring(route_gpx(route, details_for(route, lang="en")).encode())
    gpx_schema.assertValid(doc)
    assert doc.find("{http://www.topografix.com/GPX/1/1}trk") is None


def test_geojson_has_the_line_then_each_stop(long_route: Route) -> None:
    doc = route_geojson(long_route, details_for(long_route))
    json.dumps(doc)  # serialisable
    line, *points = doc["features"]
    assert line["geometry"]["type"] == "LineString"
    assert line["properties"]["on_roads"] is False
    assert [p["properties"]["seq"] for p in points] == list(range(len(long_route.stops)))
    assert points[2]["properties"]["number"] == 2
    assert points[2]["properties"]["name"] == "Client numéro 0"
    assert points[0]["properties"]["number"] is None  # the depot is not numbered


def test_fill_rate_chart_is_svg_with_localised_days(short_plan: Plan) -> None:
    svg = fill_rate_chart_svg(short_plan, lang="fr")
    assert svg.lstrip().startswith("<?xml")
    assert "<svg" in svg
    assert "Taux de remplissage" in svg


def test_tier_chart_is_svg() -> None:
    import datetime as dt

    from tournee.domain import CarbonPrice, Quote, TierQuote

    quote = Quote(
        id="q1",
        created_at=dt.datetime(2026, 11, 25, 10, tzinfo=dt.UTC),
        expires_at=dt.datetime(2026, 11, 25, 11, tzinfo=dt.UTC),
        currency="EUR",
        tiers=(
            TierQuote(
                tier="express", name="Express", relay=False, available=True, price_cents=1290, co2e_g=900
            ),
            TierQuote(
                tier="weekly", name="Tournée", relay=False, available=True, price_cents=490, co2e_g=180
            ),
            TierQuote(tier="relay", name="Relais", relay=True, available=False, reason="closed"),
        ),
        carbon_price=CarbonPrice(
            id="eu-ets",
            name="EU ETS",
            cents_per_t=8000,
            currency="EUR",
            as_of=dt.date(2026, 11, 1),
            source="EEX",
        ),
    )
    svg = tier_chart_svg(quote.tiers, currency=quote.currency, lang="en")
    assert "<svg" in svg
    assert "Price and emissions per tier" in svg
    assert "€12.90" in svg
    assert "Relais" not in svg  # an unavailable tier is left out


def test_bad_context_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput, match="lang"):
        SheetContext(horizon=HORIZON, lang="de")
    with pytest.raises(InvalidInput, match="timezone"):
        SheetContext(horizon=HORIZON, timezone="Mars/Olympus")
    with pytest.raises(InvalidInput, match="collect_cents"):
        OrderInfo(reference="o1", collect_cents=-5)


@given(deliveries=st.integers(min_value=0, max_value=40), day=st.integers(min_value=0, max_value=6))
@settings(max_examples=25, deadline=None)
def test_what_is_dropped_adds_up_to_what_was_picked_up(deliveries: int, day: int) -> None:
    route = build_route(route_id="r-prop", vehicle_id="v", day=day, deliveries=deliveries)
    ctx = details_for(route)
    rows = sheet_rows(route, ctx)
    picked = sum(r.weight_g for r in rows if r.kind is StopKind.PICKUP)
    dropped = sum(r.weight_g for r in rows if r.kind is StopKind.DELIVERY)
    assert picked == dropped == 1500 * deliveries
    assert [r.number for r in rows] == list(range(1, deliveries + 2))
    doc = route_geojson(route, ctx)
    assert len(doc["features"]) == len(route.stops) + 1


@requires_pdf
def test_long_notes_never_push_stops_onto_an_extra_page(long_route: Route) -> None:
    from dataclasses import replace

    ctx = details_for(long_route)
    wordy = {k: replace(v, notes="Sonner chez la voisine si absent, " * 12) for k, v in ctx.orders.items()}
    pages, text = _pdf_text(route_sheet_pdf(long_route, replace(ctx, orders=wordy)))
    assert pages == 3
    assert "Client numéro 24" in text


@requires_pdf
def test_a_route_without_stops_prints_one_page() -> None:
    route = build_route(route_id="r-empty", vehicle_id="v", day=0, deliveries=0)
    pages, text = _pdf_text(route_sheet_pdf(route, details_for(route)))
    assert pages == 1
    assert "Feuille de route" in text
