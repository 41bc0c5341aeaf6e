"""Shared fixtures. Database tests run once per backend: SQLite always, PostgreSQL when
POSTPURCHASE_TEST_POSTGRES_URL is set (CI sets it; each session gets its own database)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import Engine

from postpurchase.adapters.db.engine import make_engine
from postpurchase.adapters.db.migrate import upgrade
from postpurchase.adapters.secrets import new_key
from postpurchase.testing import scratch_pg_database

# Tests run with an explicit key, as production does (servers they start inherit it); the
# development fallback (a key file in the data directory) has tests of its own.
os.environ.setdefault("POSTPURCHASE_ENCRYPTION_KEYS", new_key())

# CI draws the same examples on every run, so a landing never depends on a lucky draw; a
# developer's runs keep searching (and the counterexamples they find become @example cases).
# No per-example deadline: on a loaded 2-core machine a slow draw is the machine, not the
# code (speed is measured in benchmarks/, not in tests).
settings.register_profile("dev", deadline=None)
settings.register_profile("ci", derandomize=True, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "dev")

PG_URL = os.environ.get("POSTPURCHASE_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("POSTPURCHASE_TEST_REDIS_URL")
REQUIRE = os.environ.get("POSTPURCHASE_TEST_REQUIRE_SERVICES") == "1"

BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
QUEUES = ["sqlite"] + (["redis"] if REDIS_URL else [])

if REQUIRE and not (PG_URL and REDIS_URL):
    raise RuntimeError("CI requires POSTPURCHASE_TEST_POSTGRES_URL and POSTPURCHASE_TEST_REDIS_URL")


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
    assert PG_URL
    with scratch_pg_database(PG_URL, prefix="pp_test") as url:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url


@pytest.fixture(params=BACKENDS)
def own_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, unmigrated database of this test's own on each backend (for tests that
    upgrade or downgrade the schema, which the shared session database must not see)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'own.sqlite3'}"
        return
    assert PG_URL
    with scratch_pg_database(PG_URL, prefix="pp_own") as url:
        yield url


@pytest.fixture(scope="session")
def engine(backend_url: str) -> Iterator[Engine]:
    eng = make_engine(backend_url, pool_size=4)
    yield eng
    eng.dispose()


@pytest.fixture(params=QUEUES)
def queue_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)
