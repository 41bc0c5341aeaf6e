"""`postpurchase demo` as a newcomer runs it: URLs, key and console log-in printed, API and
console live, Ctrl-C clean."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx

from tests.e2e.conftest import free_port


@contextmanager
def running_demo(tmp_path: Path, *args: str) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    """``postpurchase demo`` on a free port, as a newcomer starts it (no POSTPURCHASE_*
    settings); stopped with Ctrl-C, which must end it cleanly (exit code 0)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTPURCHASE_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "postpurchase.entrypoints.cli", "demo", "--port", str(port),
         "--data-dir", str(tmp_path / "demo"), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        yield port, proc
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert code == 0


def read_until(
    proc: subprocess.Popen[str], found: Callable[[str], bool], seconds: float
) -> list[str]:
    """The demo's printed lines up to the first that ``found`` accepts (asserted)."""
    lines: list[str] = []
    deadline = time.monotonic() + seconds
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if found(line):
            return lines
    raise AssertionError("".join(lines))


def test_demo_serves_its_orders_and_stops_on_ctrl_c(tmp_path) -> None:
    with running_demo(tmp_path, "--orders", "40", "--history", "0") as (port, proc):
        lines = read_until(proc, lambda line: line.startswith("API key: "), 120)
        key = lines[-1].split(": ", 1)[1].strip()
        text = "".join(lines)
        assert f"http://127.0.0.1:{port}/docs" in text and "/t/" in text
        login = re.search(r"/console  \(log in as (\S+) / (\S+)\)", text)
        assert login, text
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as browser:
            page = browser.get("/console/login")
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
            assert csrf
            signed = browser.post(
                "/console/login",
                data={"email": login[1], "password": login[2], "csrf": csrf[1]},
            )
            assert signed.status_code == 303
            assert "Demo Store" in browser.get("/console").text
        headers = {"Authorization": f"Bearer {key}"}
        r = httpx.get(f"http://127.0.0.1:{port}/api/v1/orders?limit=200", headers=headers)
        assert r.status_code == 200
        orders = r.json()["data"]
        assert len(orders) == 40
        # labels bought from the simulated carrier through the same gateway: downloadable
        label_urls = [ln.split("curl -H 'Authorization: Bearer " + key + "' ", 1)[1].split()[0]
                      for ln in lines if ln.strip().startswith("Label (")]  # fmt: skip
        assert label_urls, text
        document = httpx.get(label_urls[0], headers=headers)
        assert document.status_code == 200
        assert document.content.startswith((b"%PDF", b"^XA"))
        # the worker polled the simulated carrier's API: the older parcels are delivered
        for _ in range(100):
            statuses = {
                o["status"]
                for o in httpx.get(
                    f"http://127.0.0.1:{port}/api/v1/orders?limit=200", headers=headers
                ).json()["data"]
            }
            if "delivered" in statuses:
                break
            time.sleep(0.2)
        assert "delivered" in statuses


def test_demo_trains_its_delivery_model_on_its_history_and_serves_it(tmp_path) -> None:
    """Issue 16: a newcomer's demo learns delivery dates from the store's own (simulated)
    deliveries, and the running server promises new orders with that model, no restart."""
    with running_demo(tmp_path, "--orders", "10") as (port, proc):  # the default history
        lines = read_until(proc, lambda line: line.strip().startswith("Delivery model: v"), 300)
        trained = lines[-1]
        assert "active" in trained and "back-test on" in trained, trained
        key = next(ln for ln in lines if ln.startswith("API key: ")).split(": ", 1)[1].strip()
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {key}"}
        ) as api:
            models = api.get("/api/v1/edd/models").json()
            assert models["active_version"] == 1
            first = models["data"][0]
            assert first["source"] == "demo history" and first["shipments"] >= 300
            order = api.post(
                "/api/v1/orders",
                json={
                    "external_id": "DEMO-NEW-1",
                    "placed_at": datetime.now(UTC).isoformat(),
                    "currency": "USD",
                    "email": "new.shopper@example.com",
                    "lines": [
                        {"sku": "MUG-BLU", "name": "Mug", "quantity": 1, "unit_price": "18.00"}
                    ],
                    "shipping_address": {
                        "country": "US",
                        "postal_code": "60601",
                        "region": "IL",
                        "city": "Chicago",
                    },
                },
            )
            assert order.status_code == 201, order.text
            promise = order.json()["our_promise"]
            assert promise["layer"] == "learned", promise
            assert promise["model_version"] == first["version"] == 1
            listed = api.get("/api/v1/orders", params={"limit": 1}).json()["data"][0]
            assert listed["external_id"] == "DEMO-NEW-1" and listed["our_promise"] == promise
