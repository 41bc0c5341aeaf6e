"""The tracking page's hot reads (``hot_reads``) give what SQLAlchemy gives, on both databases.

On PostgreSQL they skip SQLAlchemy's execute and send the version and the order in one
round trip; the rows, their Python types and the assembled order must not change.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from postpurchase.adapters.db import hot_reads, read_models, tracking_views
from postpurchase.bootstrap import Platform, bootstrap
from postpurchase.config import Settings
from tests import tracking_scenarios as sc
from tests.fakes import FakeClock


@pytest.fixture
def platform(engine: Engine) -> Platform:
    return bootstrap(Settings(), engine=engine, clock=FakeClock(sc.NOW), notifications=False)


def _types(rows: list[tuple[Any, ...]]) -> list[list[type]]:
    return [[type(v) for v in row] for row in rows]


def test_hot_reads_match_sqlalchemy_for_every_kind_of_order(platform: Platform) -> None:
    shop = sc.merchant(platform, timezone="America/New_York")
    tokens = [seeded.token for seeded in sc.all_kinds(platform, shop.id).values()] + [
        "no-such-token"
    ]
    page_engine = platform.engine
    if page_engine.dialect.name == "postgresql":  # as the page reads it (page_reads)
        page_engine = page_engine.execution_options(isolation_level="AUTOCOMMIT")
    with page_engine.connect() as conn:
        for token in tokens:
            for stmt in (read_models.ORDER_FOR_PAGE, tracking_views._PAGE_VERSION):
                expected = [tuple(row) for row in conn.execute(stmt, {"token": token}).all()]
                got = hot_reads.rows(conn, stmt, {"token": token})
                assert got == expected
                assert _types(got) == _types(expected)
            version, order = tracking_views.page_version_and_order(conn, token)
            assert version == tracking_views.page_version(conn, token)
            assert order == read_models.get_order_by_token(conn, token)
            assert (order is None) == (token == "no-such-token")
