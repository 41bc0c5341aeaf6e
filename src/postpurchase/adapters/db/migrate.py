"""Run and check Alembic migrations from code (CLI ``db upgrade``, tests, demo start-up)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from postpurchase.adapters.db.tables import metadata

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


# Expression indexes of PostgreSQL alone (migration 0024: the console's search by a part of a
# name, pg_trgm, and by an address's beginning); not in the tables' metadata, which both
# databases share.
POSTGRES_ONLY_INDEXES = frozenset({"ix_customers_name_trgm", "ix_orders_email_lower"})


def _compared(obj: object, name: str | None, type_: str, reflected: bool, other: object) -> bool:
    return not (type_ == "index" and name in POSTGRES_ONLY_INDEXES)


def pending_diff(engine: Engine) -> list[object]:
    """Differences between the migrated schema and the tables in code (empty when in sync)."""
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": _compared}
        )
        return list(compare_metadata(ctx, metadata))
