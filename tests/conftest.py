"""Shared fixtures. Database tests run once per backend: SQLite always, PostgreSQL when
POSTPURCHASE_TEST_POSTGRES_URL is set (CI sets it; each session gets its own database)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from postpurchase.adapters.db.engine import make_engine
from postpurchase.adapters.db.migrate import upgrade

PG_URL = os.environ.get("POSTPURCHASE_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("POSTPURCHASE_TEST_REDIS_URL")
REQUIRE = os.environ.get("POSTPURCHASE_TEST_REQUIRE_SERVICES") == "1"

BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
QUEUES = ["sqlite"] + (["redis"] if REDIS_URL else [])

if REQUIRE and not (PG_URL and REDIS_URL):
    raise RuntimeError("CI requires POSTPURCHASE_TEST_POSTGRES_URL and POSTPURCHASE_TEST_REDIS_URL")


def _fresh_pg_database() -> tuple[str, str]:
    assert PG_URL
    name = f"pp_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    base, _, _ = PG_URL.rpartition("/")
    return f"{base}/{name}", name


def _drop_pg_database(name: str) -> None:
    assert PG_URL
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated, empty database for this test session on each backend."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "test.sqlite3"
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    url, name = _fresh_pg_database()
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    _drop_pg_database(name)


@pytest.fixture(scope="session")
def engine(backend_url: str) -> Iterator[Engine]:
    eng = make_engine(backend_url, pool_size=4)
    yield eng
    eng.dispose()


@pytest.fixture(params=QUEUES)
def queue_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)
