"""A real server process per database backend, reached over HTTP on loopback."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.domain.merchants import Merchant
from postpurchase.service_layer.handlers import create_merchant
from postpurchase.testing import api_server, free_port
from tests.factories import ref


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
    with api_server(env, port=port, extra_args=()) as url:
        yield Server(url, backend_url)


@dataclass
class Tenant:
    merchant: Merchant
    key: str
    tracking_secret: str  # ours, issued at creation
    server: Server

    def set_secrets(self, **fields: str | None) -> dict[str, object]:
        """Set platform-issued secrets the way a merchant does: PUT /api/v1/merchant/secrets."""
        with self.server.client(self.key) as api:
            r = api.put("/api/v1/merchant/secrets", json=fields)
            assert r.status_code == 200, r.text
            return dict(r.json())


@pytest.fixture
def make_tenant(server: Server, engine):  # type: ignore[no-untyped-def]
    platform = bootstrap(Settings(database_url=server.db_url), engine=engine)

    def make() -> Tenant:
        merchant, key, tracking = create_merchant(platform.uow(), platform.clock, "Shop " + ref())
        return Tenant(merchant, key, tracking, server)

    return make
