"""The tracking page's hot reads (``hot_reads``) give what SQLAlchemy gives, on both databases.

On PostgreSQL they skip SQLAlchemy's execute and send the version and the order in one
round trip; the rows, their Python types and the assembled order must not change.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Connection, Engine

from postpurchase.adapters.db import hot_reads, read_models, tracking_views
from postpurchase.bootstrap import Platform, bootstrap
from postpurchase.config import Settings
from postpurchase.entrypoints.web.page_reads import PageReads
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


def test_the_order_read_looks_at_the_orders_own_shipments_only(platform: Platform) -> None:
    """A view reads its order's shipments through their ``order_id`` index, not every shipment
    of the merchant: on tables never analysed (a bulk load, autovacuum off as on CI) the
    tenant condition had PostgreSQL scan the merchant's (merchant_id, return_id) index."""
    shop = sc.merchant(platform, timezone="America/New_York")
    for _ in range(4):  # the merchant's other parcels: ~40
        sc.all_kinds(platform, shop.id)
    split = sc.order(platform, shop.id, "split")
    compiled = read_models.ORDER_FOR_PAGE.compile(dialect=platform.engine.dialect)
    with platform.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            raw = conn.connection.driver_connection
            assert raw is not None
            with raw.cursor() as cur:
                sql = "EXPLAIN (ANALYZE, FORMAT JSON) " + str(compiled)
                cur.execute(sql, compiled.construct_params({"token": split.token}))
                found = cur.fetchone()
                assert found is not None
                plan = found[0][0]["Plan"]
            read = [
                n.get("Actual Rows", 0) * n.get("Actual Loops", 1)
                + n.get("Rows Removed by Filter", 0)
                for n in _nodes(plan)
                if n.get("Relation Name") == "shipments"
            ]
            assert read and max(read) <= 2, read  # the split order's two parcels
        else:
            values = compiled.construct_params({"token": split.token})
            order = compiled.positiontup or []
            rows = conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + compiled.string, tuple(values[k] for k in order)
            ).all()
            shipments = [r[-1] for r in rows if " shipments " in f" {r[-1]} "]
            assert shipments and all("ix_shipments_order_id" in s for s in shipments), rows


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(n for child in plan.get("Plans", []) for n in _nodes(child))]


def test_only_the_hot_statements_are_prepared_on_the_pages_engine(platform: Platform) -> None:
    """On PostgreSQL the page's connections prepare the two hot statements (and PostgreSQL may
    keep generic plans for them), never another statement, however often it runs: those are
    planned on each run, as on every other engine (ADR 0043)."""
    shop = sc.merchant(platform, timezone="America/New_York")
    token = sc.order(platform, shop.id, "in_transit").token
    reads = PageReads(platform.engine)

    def views(conn: Connection) -> tuple[list[str], str] | None:
        for _ in range(7):  # psycopg's own threshold is 5 runs
            version, order = tracking_views.page_version_and_order(conn, token)
            assert version is not None and order is not None
            assert tracking_views.merchant_profile(conn, shop.id) is not None
        if conn.dialect.name != "postgresql":
            return None
        prepared = conn.exec_driver_sql("SELECT statement FROM pg_prepared_statements")
        mode = conn.exec_driver_sql("SHOW plan_cache_mode").scalar_one()
        return list(prepared.scalars()), mode

    try:
        found = reads.run(views)
    finally:
        reads.close()
    if platform.engine.dialect.name == "postgresql":
        assert found is not None
        statements, mode = found
        assert mode == "auto"
        assert len(statements) == 2
        assert any("tracking_ratings" in s for s in statements)  # the version
        assert any("page.kind" in s for s in statements)  # the order
        with platform.engine.connect() as conn:  # every other engine plans each run
            assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_custom_plan"
    else:
        assert found is None
