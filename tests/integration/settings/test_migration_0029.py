"""Migration 0029 moves each merchant's recommendation rules and remedy rule from their own
tables into the ``recommendations`` and ``automatic_remedy`` sections of its settings, and
back on downgrade (both backends)."""

from __future__ import annotations

import json
from typing import Any

from alembic import command
from sqlalchemy import text

from postpurchase.adapters.db.engine import make_engine
from postpurchase.adapters.db.migrate import alembic_config, pending_diff, upgrade
from postpurchase.adapters.db.recommendations import SqlRecommendationStore
from postpurchase.adapters.db.remedies import SqlRemedyStore
from postpurchase.domain.recommendations import Strategy
from postpurchase.domain.remedies import RemedyKind

RULES = {"enabled": True, "strategies": ["manual"], "manual_picks": ["p-9"], "max_items": 2,
         "min_bought_together": 2, "placements": ["page"], "attribution_days": 7,
         "store_url": "https://shop.example"}  # fmt: skip


REMEDY = {"enabled": True, "kind": "store_credit", "grace_days": 1, "apologise": True}


def _settings(conn: Any, merchant_id: str) -> dict[str, Any]:
    raw = conn.execute(text("SELECT settings FROM merchants WHERE id = :m"), {"m": merchant_id})
    value = raw.scalar_one()
    return value if isinstance(value, dict) else json.loads(value)


def test_rules_move_into_the_settings_and_back(own_database: str) -> None:
    engine = make_engine(own_database)
    try:
        upgrade(engine, "0028")
        with engine.begin() as conn:
            for m, settings in (("m1", {"survey": {"enabled": False}}), ("m2", {})):
                conn.execute(text(
                    "INSERT INTO merchants (id, name, slug, timezone, locale, settings, "
                    "created_at) VALUES (:m, 'Shop', :m, 'UTC', 'en', :s, "
                    "'2026-01-01 00:00:00')"
                ), {"m": m, "s": json.dumps(settings)})  # fmt: skip
            conn.execute(text(
                "INSERT INTO recommendation_settings (merchant_id, document, updated_at) "
                "VALUES ('m1', :d, '2026-01-01 00:00:00')"
            ), {"d": json.dumps(RULES)})  # fmt: skip
            conn.execute(text(
                "INSERT INTO remedy_settings (merchant_id, document, updated_at) "
                "VALUES ('m2', :d, '2026-01-01 00:00:00')"
            ), {"d": json.dumps(REMEDY)})  # fmt: skip
        upgrade(engine)
        assert pending_diff(engine) == []
        with engine.connect() as conn:
            assert _settings(conn, "m1") == {"survey": {"enabled": False}, "recommendations": RULES}
            assert _settings(conn, "m2") == {"automatic_remedy": REMEDY}
            assert SqlRemedyStore(conn).rule("m2").kind is RemedyKind.STORE_CREDIT
            assert SqlRemedyStore(conn).rule("m1").enabled is False
            rules = SqlRecommendationStore(conn).rules("m1")
            assert rules.enabled and rules.strategies == (Strategy.MANUAL,)
            assert SqlRecommendationStore(conn).rules("m2").enabled is False
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0028")
        with engine.connect() as conn:
            assert _settings(conn, "m1") == {"survey": {"enabled": False}}
            assert _settings(conn, "m2") == {}
            doc = conn.execute(text("SELECT document FROM recommendation_settings")).scalar_one()
            assert (doc if isinstance(doc, dict) else json.loads(doc)) == RULES
            doc = conn.execute(text("SELECT document FROM remedy_settings")).scalar_one()
            assert (doc if isinstance(doc, dict) else json.loads(doc)) == REMEDY
    finally:
        engine.dispose()
