"""`postpurchase demo` as a newcomer runs it: URLs, key and console log-in printed, API and
console live, Ctrl-C clean."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import httpx

from tests.e2e.conftest import free_port


def test_demo_serves_its_orders_and_stops_on_ctrl_c(tmp_path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTPURCHASE_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "postpurchase.entrypoints.cli", "demo", "--port", str(port),
         "--data-dir", str(tmp_path / "demo"), "--orders", "40"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    key = None
    lines = []
    deadline = time.monotonic() + 120
    try:
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("API key: "):
                key = line.split(": ", 1)[1].strip()
                break
        assert key, "".join(lines)
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
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert code == 0
