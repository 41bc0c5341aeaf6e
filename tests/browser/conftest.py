"""A real server with every tracking-page scenario, and Debian's chromium driven by Playwright.

The server runs uvicorn in a thread of the test process on loopback (so the fake clock and
the seeded orders are shared), on SQLite. The browser is ``/usr/bin/chromium`` from Debian
(``make system-deps`` installs it); Playwright never downloads one. axe-core comes from the
npm registry into a cache directory the first time (``POSTPURCHASE_AXE_DIR`` overrides it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from postpurchase.adapters.db.engine import make_engine
from postpurchase.adapters.db.migrate import upgrade
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.entrypoints.api.app import create_app
from postpurchase.testing import threaded_server
from tests import tracking_scenarios as sc
from tests.fakes import FakeClock

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_VERSION = "4"
AXE_DIR = Path(
    os.environ.get("POSTPURCHASE_AXE_DIR", Path.home() / ".cache" / "postpurchase" / "axe-core")
)
# Screenshots go to a scratch directory, so a test run never changes tracked files;
# `make screenshots` points this at docs/screenshots to refresh the documentation's images.
SCREENSHOTS = Path(
    os.environ.get(
        "POSTPURCHASE_SCREENSHOTS_DIR", Path(tempfile.gettempdir()) / "postpurchase-screenshots"
    )
)


@dataclass
class TrackingSite:
    url: str
    seeded: dict[str, sc.Seeded]
    shots: dict[str, sc.Seeded]  # untouched by the tests, stable numbers: for screenshots
    portuguese: sc.Seeded
    merchant_slug: str
    platform: Any


@pytest.fixture(scope="session")
def tracking_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrackingSite]:
    db = tmp_path_factory.mktemp("browser-db") / "site.sqlite3"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    platform = bootstrap(Settings(), engine=engine, clock=FakeClock(sc.NOW), notifications=False)
    merchant = sc.merchant(platform, timezone="America/New_York")
    seeded = sc.all_kinds(platform, merchant.id)
    shots = sc.all_kinds(platform, merchant.id, fixed=True)
    portuguese = sc.order(platform, merchant.id, "in_transit", locale="pt-BR")
    app = create_app(platform)
    with threaded_server(app) as url:
        yield TrackingSite(url, seeded, shots, portuguese, merchant.slug, platform)
    engine.dispose()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run `make system-deps` (apt-get chromium)")
    b = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's browser bundle, installed from the npm registry on first use."""
    script = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is needed once to fetch axe-core (apt-get install npm)")
        AXE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--prefix", str(AXE_DIR), "--no-audit", "--no-fund",
             "--silent", f"axe-core@{AXE_VERSION}"],
            check=True,
            timeout=300,
        )  # fmt: skip
    return script.read_text(encoding="utf-8")
