"""A live server on localhost and a headless Chromium driving it (Debian chromium + chromium-driver).

Browser tests skip with a message when chromium or its driver is absent.  Screenshots go
to ``test-artifacts/screenshots/`` (git-ignored), one per page and step.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
# With TOURNEE_DOCS_SCREENSHOTS=1, these also refresh the README's pictures in docs/screenshots/.
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
DOCS_PAGES = {"planner-board", "staff-phone-order", "shopper-tiers", "shopper-confirmed", "courier-marked"}
CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
DRIVER = ("chromedriver",)


def find(names: tuple[str, ...]) -> str | None:
    for n in names:
        path = shutil.which(n) or (f"/usr/bin/{n}" if Path(f"/usr/bin/{n}").exists() else None)
        if path:
            return path
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    """Uvicorn serving ``app`` on 127.0.0.1 in a thread."""

    app: FastAPI
    port: int = field(default_factory=free_port)
    server: uvicorn.Server | None = None
    thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:  # pragma: no cover - a broken server
                raise RuntimeError("uvicorn did not start within 20 s")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=10)


def chrome(width: int = 1280, height: int = 900) -> Any:
    """A fresh headless Chromium (own profile directory), or a skip when there is none."""
    binary, driver = find(CHROMIUM), find(DRIVER)
    if binary is None or driver is None:
        pytest.skip(
            "headless Chromium tests need Debian's chromium and chromium-driver (.ci/run installs them)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="tournee-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = binary
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-default-apps",
        "--no-first-run",
        "--no-default-browser-check",
        "--metrics-recording-only",
        "--mute-audio",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
        "--lang=fr-FR",
    ):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver_ = webdriver.Chrome(service=Service(executable_path=driver), options=opts)
    driver_.set_page_load_timeout(30)
    driver_._tournee_profile = profile  # type: ignore[attr-defined]
    return driver_


def quit_chrome(driver: Any) -> None:
    profile = getattr(driver, "_tournee_profile", None)
    driver.quit()
    if profile:
        shutil.rmtree(profile, ignore_errors=True)


def console_errors(driver: Any) -> list[str]:
    """Severe console messages since the last call (a page's errors, failed requests)."""
    return [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def shot(driver: Any, name: str) -> Path:
    """Save a full-height screenshot ``test-artifacts/screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    height = driver.execute_script("return Math.max(document.body.scrollHeight, 600)")
    width = driver.get_window_size()["width"]
    driver.set_window_size(width, min(int(height) + 120, 4000))
    driver.save_screenshot(str(path))
    if os.environ.get("TOURNEE_DOCS_SCREENSHOTS") == "1" and name in DOCS_PAGES:
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOTS / path.name)
    return path


def wait_for(driver: Any, condition: Any, timeout: float = 30.0) -> Any:
    """Poll ``condition`` until truthy; an element missing or re-rendered meanwhile means "not yet"."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(
        driver,
        timeout,
        poll_frequency=0.1,
        ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
    ).until(condition)


def live_server(app: FastAPI) -> Iterator[LiveServer]:
    server = LiveServer(app).start()
    try:
        yield server
    finally:
        server.stop()
