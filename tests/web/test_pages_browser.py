"""End to end in headless Chromium against a live server: planner, courier, staff, shopper.

Each test drives a page as a person would (keyboard and clicks), checks what the API
recorded, asserts the browser console stayed free of errors, and saves screenshots in
``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from tests.web import browser as b
from tests.web.test_router import app_with_pages, seed
from tournee.api.app.bootstrap import add_user, create_tenant
from tournee.api.settings import Settings

pytestmark = pytest.mark.slow

# Inside the embedded central-Helsinki extract.
DEPOT = {"lon": 24.9400, "lat": 60.1700}
SHOP = {"lon": 24.9520, "lat": 60.1680}
HOMES = [
    {"lon": 24.9450, "lat": 60.1660},
    {"lon": 24.9480, "lat": 60.1720},
    {"lon": 24.9380, "lat": 60.1750},
    {"lon": 24.9500, "lat": 60.1650},
    {"lon": 24.9420, "lat": 60.1770},
    {"lon": 24.9460, "lat": 60.1690},
]


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    """The app (SQLite) and a client to seed it; plans solve for 2 s."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("e2e-data"), quote_rate_per_minute=10_000, plan_time_limit_s=2.0
    )
    app = app_with_pages(settings)
    return TestClient(app)


@pytest.fixture(scope="module")
def server(app_client: TestClient) -> Iterator[b.LiveServer]:
    """Uvicorn serving the same app on 127.0.0.1."""
    yield from b.live_server(app_client.app)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def driver(server: b.LiveServer) -> Iterator[Any]:
    """One headless Chromium for the module (fresh profile)."""
    d = b.chrome()
    try:
        yield d
    finally:
        b.quit_chrome(d)


@pytest.fixture
def page(driver: Any, server: b.LiveServer, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The browser with empty storage; the console must stay clean during the test.

    A failing test leaves ``failed-<test>.png`` and the page's console beside the screenshots.
    """
    driver.set_window_size(1280, 900)
    driver.get(server.url + "/web/static/css/tournee.css")
    driver.delete_all_cookies()
    driver.execute_script("window.localStorage.clear()")
    b.console_errors(driver)
    yield driver
    logs = driver.get_log("browser")
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        b.shot(driver, f"failed-{request.node.name}")
        (b.SCREENSHOTS / f"failed-{request.node.name}.log").write_text(
            "\n".join(f"{e.get('level')} {e.get('message')}" for e in logs), encoding="utf-8"
        )
    errors = [e["message"] for e in logs if e.get("level") == "SEVERE" and "favicon" not in e["message"]]
    assert errors == [], errors


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _tenant(client: TestClient, *, language: str = "fr", currency: str = "EUR") -> dict[str, Any]:
    """A tenant with a depot, a van, a shop, six customers and their tokens."""
    slug = "e2e-" + uuid.uuid4().hex[:8]
    with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        new = create_tenant(
            session,
            slug=slug,
            name="Coop du Val",
            currency=currency,
            time_zone="Europe/Helsinki",
            language=language,
        )
        planner = add_user(session, tenant_id=new.tenant_id, name="planner", role="planner")
        staff = add_user(session, tenant_id=new.tenant_id, name="staff", role="staff")
        session.commit()
    p, s = _bearer(planner), _bearer(staff)

    def post(path: str, body: dict[str, Any], who: dict[str, str]) -> dict[str, Any]:
        r = client.post(path, json=body, headers=who)
        assert r.status_code in (200, 201), r.text
        return r.json()  # type: ignore[no-any-return]

    depot = post("/v1/hubs", {"name": "Dépôt central", "kind": "depot", **DEPOT}, p)
    van = post(
        "/v1/vehicles",
        {
            "name": "Kangoo électrique",
            "profile": "van",
            "fuel": "electric",
            "capacity_g": 600_000,
            "capacity_ml": 3_000_000,
            "capacity_parcels": 80,
            "energy_wh_per_100km": 20_000,
            "depot_id": depot["id"],
            "working_weekdays": [0, 1, 2, 3, 4, 5, 6],
        },
        p,
    )
    shop = post(
        "/v1/merchants",
        {"name": "Ferme du Port", "phone": "+33 5 56 00 00 00", "address": "Kauppatori 1", **SHOP},
        p,
    )
    customers = [
        post(
            "/v1/customers",
            {
                "name": f"Client {k + 1}",
                "phone": f"+33 6 12 34 56 {k:02d}",
                "address": f"Rue {k + 1}, Helsinki",
                **home,
            },
            s,
        )
        for k, home in enumerate(HOMES)
    ]
    return {
        "slug": slug,
        "tenant_id": new.tenant_id,
        "planner": planner,
        "staff": staff,
        "admin": new.admin_token,
        "depot": depot,
        "van": van,
        "shop": shop,
        "customers": customers,
    }


def test_planner_runs_a_plan_locks_a_route_and_replans(
    page: Any, server: b.LiveServer, app_client: TestClient
) -> None:
    from selenium.webdriver.common.by import By

    t = _tenant(app_client)
    for k, c in enumerate(t["customers"]):
        r = app_client.post(
            "/v1/orders",
            json={
                "merchant_id": t["shop"]["id"],
                "customer_id": c["id"],
                "tier": "standard",
                "weight_g": 2000 + 500 * k,
            },
            headers=_bearer(t["staff"]),
        )
        assert r.status_code == 201, r.text
    today = dt.datetime.now(ZoneInfo("Europe/Helsinki")).date()

    page.get(f"{server.url}/planner?token={t['planner']}")
    b.wait_for(page, lambda d: d.find_element(By.ID, "week-start").get_attribute("value"))
    assert "token=" not in page.current_url  # the token leaves the address bar
    page.execute_script("document.getElementById('week-start').value = arguments[0]", today.isoformat())
    page.find_element(By.ID, "run-plan").click()
    b.wait_for(page, lambda d: d.find_element(By.ID, "job").is_displayed())
    b.wait_for(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#board .cell"), timeout=60)
    b.wait_for(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#fill-chart svg"))
    b.wait_for(
        page, lambda d: d.find_elements(By.CSS_SELECTOR, "#map .leaflet-overlay-pane canvas, #map path")
    )
    assert "Planning de la semaine" in page.page_source
    b.shot(page, "planner-board")

    cell = page.find_element(By.CSS_SELECTOR, "#board .cell")
    route_id = cell.get_attribute("data-route")
    cell.find_element(By.CSS_SELECTOR, "button.lock").click()
    b.wait_for(
        page, lambda d: d.find_elements(By.CSS_SELECTOR, f'#board .cell.locked[data-route="{route_id}"]')
    )
    plan_id = page.execute_script("return new URL(location.href).searchParams.get('plan')")
    plan = app_client.get(f"/v1/plans/{plan_id}", headers=_bearer(t["planner"])).json()
    assert plan["locked_route_ids"] == [route_id]

    page.find_element(By.ID, "replan").click()
    b.wait_for(
        page,
        lambda d: (
            d.execute_script("return new URL(location.href).searchParams.get('plan')") not in (plan_id, None)
        ),
        timeout=60,
    )
    new_plan_id = page.execute_script("return new URL(location.href).searchParams.get('plan')")
    new_plan = app_client.get(f"/v1/plans/{new_plan_id}", headers=_bearer(t["planner"])).json()
    assert route_id in {r["id"] for r in new_plan["body"]["routes"]}  # the locked route is kept
    b.shot(page, "planner-replanned")


def _stop_class(driver: Any, k: int) -> str:
    """Class of the k-th stop card, read in the page (the list re-renders after each report)."""
    return str(
        driver.execute_script(
            "const s = document.querySelectorAll('#stops .stop')[arguments[0]]; return s ? s.className : ''",
            k,
        )
    )


def test_courier_marks_stops_on_a_phone(page: Any, server: b.LiveServer, app_client: TestClient) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    s = seed(app_client)
    page.set_window_size(360, 780)
    token = s.courier["Authorization"].removeprefix("Bearer ")
    page.get(f"{server.url}/m/routes/{s.route_id}?plan={s.plan_id}&token={token}")
    b.wait_for(page, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#stops .stop")) == 3)
    text = page.find_element(By.ID, "stops").text
    assert "Aino Virtanen" in text
    assert "12,50 €" in text.replace("\u00a0", " ").replace("\u202f", " ")
    links = [a.get_attribute("href") for a in page.find_elements(By.CSS_SELECTOR, "#stops .stop .nav a")]
    assert any(h.startswith("geo:") for h in links)
    assert any(h.startswith("om://") for h in links)
    # Big tap targets, and nothing wider than the phone.
    button = page.find_element(By.CSS_SELECTOR, ".stop .mark-delivered")
    assert button.size["height"] >= 48
    assert page.execute_script("return document.documentElement.scrollWidth") <= 360
    b.shot(page, "courier-round")

    stops = page.find_elements(By.CSS_SELECTOR, "#stops .stop")
    stops[1].find_element(By.CSS_SELECTOR, ".mark-delivered").click()
    b.wait_for(page, lambda d: "done" in _stop_class(d, 1))
    page.find_elements(By.CSS_SELECTOR, "#stops .stop")[2].find_element(
        By.CSS_SELECTOR, ".mark-failed"
    ).click()
    b.wait_for(page, lambda d: d.find_element(By.ID, "fail-dialog").is_displayed())
    Select(page.find_element(By.ID, "fail-reason")).select_by_value("absent")
    page.find_element(By.ID, "fail-note").send_keys("sonné deux fois")
    page.find_element(By.ID, "fail-ok").click()
    b.wait_for(page, lambda d: "failed" in _stop_class(d, 2))
    assert "2 arrêts faits sur 3" in page.find_element(By.ID, "progress").text
    b.shot(page, "courier-marked")
    statuses = {o["id"]: o["status"] for o in app_client.get("/v1/orders", headers=s.staff).json()}
    assert statuses[s.order_ids[0]] == "delivered"
    assert statuses[s.order_ids[1]] == "failed"


def _pick_address(page: Any, input_id: str, text: str) -> None:
    """Type an address and take the first suggestion with the keyboard."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = page.find_element(By.ID, input_id)
    box.clear()
    box.send_keys(text)
    b.wait_for(page, lambda d: d.find_elements(By.CSS_SELECTOR, f"#{input_id}-list:not(.hidden) li"))
    box.send_keys(Keys.ENTER)


def test_shopper_gets_quotes_and_orders(page: Any, server: b.LiveServer, app_client: TestClient) -> None:
    from selenium.webdriver.common.by import By

    t = _tenant(app_client)
    page.set_window_size(390, 860)
    page.get(f"{server.url}/shop/{t['slug']}?merchant={t['shop']['id']}&weight_g=3500")
    assert "Choisissez votre livraison" in page.page_source
    _pick_address(page, "address", "Aleksanterinkatu 13")
    assert "Aleksanterinkatu 13" in page.find_element(By.ID, "address-chosen").text
    page.find_element(By.ID, "get-quote").click()
    b.wait_for(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#tiers .tier"), timeout=30)
    cards = page.find_elements(By.CSS_SELECTOR, "#tiers .tier")
    assert len(cards) >= 2
    planet = page.find_elements(By.CSS_SELECTOR, "#tiers .tier.planet")
    assert len(planet) == 1
    assert "Le plus sobre pour la planète" in planet[0].text
    text = page.find_element(By.ID, "tiers").text.replace("\u00a0", " ").replace("\u202f", " ")
    assert " €" in text
    assert "kg CO2e" in text
    assert "dont carbone" in text
    # The shipped tiers' names are shown in the page's language, relay variants included.
    assert "Express, le lendemain" in text
    assert "Express, next day" not in text
    assert "point relais" in text or "relay point" not in text
    b.wait_for(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#chart svg"))  # price and CO2e per tier
    assert page.execute_script("return document.documentElement.scrollWidth") <= 390
    b.shot(page, "shopper-tiers")

    planet[0].click()
    page.find_element(By.ID, "name").send_keys("Aino Virtanen")
    page.find_element(By.ID, "phone").send_keys("+358 40 123 4567")
    page.find_element(By.ID, "notes").send_keys("Code 4521B")
    page.find_element(By.ID, "confirm").click()
    b.wait_for(page, lambda d: d.find_element(By.ID, "done").is_displayed(), timeout=20)
    assert page.find_element(By.ID, "done-ges").text.strip()
    b.shot(page, "shopper-confirmed")
    orders = app_client.get("/v1/orders", headers=_bearer(t["staff"])).json()
    assert len(orders) == 1
    assert orders[0]["delivery_name"] == "Aino Virtanen"
    assert orders[0]["source"] == "quote"


def test_staff_enters_phone_orders_with_a_weekly_recurrence(
    page: Any, server: b.LiveServer, app_client: TestClient
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    t = _tenant(app_client)
    page.get(f"{server.url}/staff?token={t['staff']}")
    b.wait_for(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#merchant option"))
    phone = page.switch_to.active_element
    assert phone.get_attribute("id") == "phone-search"  # keyboard-first: the phone field has focus
    phone.send_keys("+33 6 12 34 56 02")
    b.wait_for(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#customer-list:not(.hidden) li"))
    phone.send_keys(Keys.ENTER)
    b.wait_for(page, lambda d: "Client 3" in d.find_element(By.ID, "customer-chosen").text)
    page.switch_to.active_element.send_keys("2 cageots de pommes")  # focus moved to the items
    page.find_element(By.ID, "weight").send_keys("4,5")
    b.wait_for(
        page, lambda d: d.find_elements(By.CSS_SELECTOR, "#tier-table input[type=radio]:checked"), timeout=30
    )
    page.find_element(By.ID, "weekly").click()
    b.shot(page, "staff-phone-order")
    page.find_element(By.ID, "weight").send_keys(Keys.CONTROL, Keys.ENTER)
    b.wait_for(page, lambda d: "Chaque semaine" in d.find_element(By.ID, "flash").text, timeout=20)

    # A new customer: unknown phone, then name and address from the offline index.
    phone = page.find_element(By.ID, "phone-search")
    phone.send_keys("+33 7 00")
    b.wait_for(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#customer-list:not(.hidden) li"))
    phone.send_keys(Keys.ENTER)  # the only suggestion: "New customer"
    b.wait_for(page, lambda d: d.find_element(By.ID, "new-customer").is_displayed())
    page.find_element(By.ID, "c-name").send_keys("Nouvelle Cliente")
    _pick_address(page, "c-address", "Aleksanterinkatu 15")
    page.find_element(By.ID, "weight").send_keys("2")
    b.wait_for(
        page, lambda d: d.find_elements(By.CSS_SELECTOR, "#tier-table input[type=radio]:checked"), timeout=30
    )
    page.find_element(By.ID, "confirm").click()
    b.wait_for(page, lambda d: "Nouvelle Cliente" in d.find_element(By.ID, "flash").text, timeout=20)
    assert (
        page.find_element(By.ID, "phone-search") == page.switch_to.active_element
    )  # ready for the next call
    b.shot(page, "staff-after-orders")

    staff = _bearer(t["staff"])
    orders = app_client.get("/v1/orders", headers=staff).json()
    assert sorted(o["delivery_name"] for o in orders) == ["Client 3", "Nouvelle Cliente"]
    new = next(
        c for c in app_client.get("/v1/customers", headers=staff).json() if c["name"] == "Nouvelle Cliente"
    )
    assert new["phone"] == "+33 7 00"
    assert "Aleksanterinkatu 15" in new["address"]
    standing = app_client.get("/v1/standing-orders", headers=staff).json()
    assert len(standing) == 1
    assert standing[0]["rrule"].startswith("FREQ=WEEKLY;BYDAY=")
    assert standing[0]["weight_g"] == 4500


def test_every_page_fits_a_360_px_phone_and_switches_language(
    page: Any, server: b.LiveServer, app_client: TestClient
) -> None:
    from selenium.webdriver.common.by import By

    s = seed(app_client)
    planner = s.planner["Authorization"].removeprefix("Bearer ")
    page.set_window_size(360, 740)
    pages = {
        "index": "/",
        "staff": f"/staff?token={s.staff['Authorization'].removeprefix('Bearer ')}",
        "planner": f"/planner?plan={s.plan_id}&token={planner}",
        "shopper": f"/shop/{s.slug}",
    }
    for name, path in pages.items():
        page.get(server.url + path)
        b.wait_for(page, lambda d: d.execute_script("return document.readyState") == "complete")
        if name == "planner":
            b.wait_for(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#board .cell"))
        width = page.execute_script("return document.documentElement.scrollWidth")
        assert width <= 360, (name, width)
        b.shot(page, f"phone-{name}")
        page.set_window_size(360, 740)
    page.get(server.url + "/planner")
    page.find_element(By.CSS_SELECTOR, 'a[data-lang="en"]').click()
    b.wait_for(page, lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en")
    assert "Week board" in page.find_element(By.TAG_NAME, "h1").text
    page.get(server.url + "/staff")  # the choice is remembered
    assert "Phone order" in page.find_element(By.TAG_NAME, "h1").text
