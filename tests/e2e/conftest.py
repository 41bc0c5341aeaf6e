"""A real server process per database backend, reached over HTTP on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.domain.merchants import Merchant
from postpurchase.service_layer.handlers import create_merchant
from tests.factories import ref


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    db_url: str

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


@pytest.fixture(scope="session")
def server(backend_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    port = free_port()
    data_dir: Path = tmp_path_factory.mktemp("e2e-data")
    env = {
        **os.environ,
        "POSTPURCHASE_DATABASE_URL": backend_url,
        "POSTPURCHASE_DATA_DIR": str(data_dir),
        "POSTPURCHASE_BASE_URL": f"http://127.0.0.1:{port}",
    }
    env.pop("POSTPURCHASE_REDIS_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "postpurchase.entrypoints.asgi:app",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError("server did not start")
        time.sleep(0.1)
    yield Server(url, backend_url)
    proc.terminate()
    proc.wait(timeout=10)


@dataclass
class Tenant:
    merchant: Merchant
    key: str


@pytest.fixture
def make_tenant(server: Server, engine):  # type: ignore[no-untyped-def]
    platform = bootstrap(Settings(database_url=server.db_url), engine=engine)

    def make() -> Tenant:
        merchant, key = create_merchant(platform.uow(), platform.clock, "Shop " + ref())
        return Tenant(merchant, key)

    return make
