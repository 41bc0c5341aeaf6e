"""Settings, validated once at start-up. Every one has an env var ``POSTPURCHASE_<NAME>``."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POSTPURCHASE_", env_file=None, extra="ignore")

    data_dir: Path = Field(
        default=Path("./data"),
        description="Where the embedded SQLite database, task queue and model files live.",
    )
    media_dir: Path | None = Field(
        default=None,
        description="A directory every API process and worker mounts (NFS, EFS, a bind mount) "
        "for stored files: logos, labels, return photos. Unset: the files live in the database.",
    )
    logo_max_bytes: int = Field(
        default=512 * 1024,
        ge=1024,
        le=5 * 1024 * 1024,
        description="Largest logo a merchant may upload (bytes); PNG, JPEG, WebP or GIF only.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; unset means SQLite in the data dir. "
        "PostgreSQL: postgresql+psycopg://user@host/db",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis for the task queue (scale-out); unset means SQLite storage in the "
        "data dir.",
    )
    base_url: str = Field(
        default="http://127.0.0.1:8000", description="Public URL used in links we send."
    )
    environment: str = Field(
        default="development",
        description="development, test or production (production requires an https base_url).",
    )
    db_pool_size: int = Field(default=10, ge=1, description="PostgreSQL connections per process.")
    worker_threads: int = Field(default=2, ge=1, description="Threads per worker process.")
    sweep_interval_minutes: int = Field(
        default=15, ge=1, le=59, description="How often the worker looks for quiet shipments."
    )
    no_scan_days: int = Field(
        default=5, ge=1, description="Days without a scan before a shipment is flagged delayed."
    )
    no_scan_days_by_carrier: dict[str, int] = Field(
        default_factory=lambda: {"usps": 6, "dhl_ecommerce": 7, "ups": 4, "fedex": 4},
        description='Per-carrier override of no_scan_days, JSON: {"ups": 3}.',
    )
    expire_days: int = Field(
        default=30, ge=1, description="Days without any information before a shipment expires."
    )
    max_batch_events: int = Field(
        default=1000, ge=1, le=10000, description="Most events accepted in one tracking webhook."
    )
    tracking_ingest: Literal["inline", "deferred"] = Field(
        default="inline",
        description="inline: a tracking webhook answers after statuses moved; deferred: it "
        "answers once the scans are stored and a worker folds them (high volume, ADR 0005).",
    )
    encryption_keys: str = Field(
        default="",
        repr=False,
        description="Fernet keys that seal integration secrets at rest, comma-separated; the "
        "first seals, all open (key rotation). Required in production; in development a key "
        "is generated into <data_dir>/encryption.key. Make one with `postpurchase secrets "
        "new-key`.",
    )
    secret_grace_hours: float = Field(
        default=24,
        ge=0,
        le=24 * 30,
        description="After a webhook secret is replaced, how long the previous one is still "
        "accepted, so deliveries signed while the platform switches over are not lost.",
    )
    log_format: Literal["auto", "json", "console"] = Field(
        default="auto",
        description="Log lines as JSON (for a log pipeline) or key=value for a terminal; auto: "
        "JSON in production. Shoppers' e-mails, phones, names and addresses are redacted.",
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info", description="The least severe log level written."
    )
    webhook_tolerance_seconds: int = Field(
        default=300, ge=1, description="How old a signed webhook timestamp may be (replays)."
    )
    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        le=1024 * 1024 * 1024,
        description="Largest request body of an API write (/api/v1 and the pages' forms), "
        "counted as it streams in; a larger one is refused with 413 before it is parsed.",
    )
    max_batch_body_bytes: int = Field(
        default=5 * 1024 * 1024,
        ge=1024,
        le=1024 * 1024 * 1024,
        description="Largest request body of a batch route (the tracking and store webhooks "
        "under /webhooks), counted as it streams in; a larger one is refused with 413.",
    )
    max_upload_body_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=1024,
        le=1024 * 1024 * 1024,
        description="Largest request body of an upload route (return photos: "
        "POST /api/v1/orders/{id}/returns/photos and the returns portal's photo step), "
        "counted as it streams in; a larger one is refused with 413.",
    )
    tracking_page_max_stale_seconds: float = Field(
        default=2.0,
        ge=0,
        le=60,
        description="How long a tracking page may be answered from memory without reading the "
        "database: a new scan, rating or branding change shows within this many seconds "
        "(0: read on every view).",
    )
    # ---- delivery-date models (issue 16) ----
    edd_retrain_days: int = Field(
        default=7, ge=1, le=90, description="Days between scheduled re-trainings of each model."
    )
    edd_recalibrate_hours: int = Field(
        default=24,
        ge=1,
        le=720,
        description="Hours between re-calibrations on recent deliveries (and drift checks).",
    )
    edd_drift_window: int = Field(
        default=200, ge=50, le=10000, description="Deliveries the drift check looks back over."
    )
    edd_target_low: float | None = Field(
        default=None,
        gt=0.5,
        lt=1,
        description="Drift alert when fewer promises are kept. Unset: each merchant's "
        "promise confidence.",
    )
    edd_target_high: float | None = Field(
        default=None,
        gt=0.5,
        le=1,
        description="Drift alert when more are kept (padding). Unset: each merchant's "
        "promise confidence + 0.015.",
    )

    # ---- Shopify app (issue 12): one app per deployment, installed by each shop ----
    shopify_client_id: str = Field(
        default="",
        description="The Shopify app's client ID (Dev Dashboard -> your app -> Settings); "
        "with the secret, enables /shopify/install.",
    )
    shopify_client_secret: str = Field(
        default="",
        repr=False,
        description="The Shopify app's client secret: verifies install callbacks and the "
        "webhooks of shops that installed the app.",
    )
    shopify_api_version: str = Field(
        default="2026-10",
        pattern=r"^(20[0-9]{2}-(01|04|07|10)|unstable)$",
        description="The Admin API version the app calls (YYYY-MM, a quarterly release; "
        "Shopify supports each for a year, then answers with the oldest it supports).",
    )
    shopify_admin_base_url: str = Field(
        default="",
        description="Override of https://{shop} for the Admin API and OAuth calls (tests "
        "point it at a local server); empty in production.",
    )
    shopify_timeout_seconds: float = Field(
        default=30, gt=0, le=300, description="Timeout of one Admin API call."
    )

    # ---- carriers: accounts and tracking by polling (issue 13) ------------------------------
    carrier_poll_enabled: bool = Field(
        default=True,
        description="The worker polls carriers (through the merchant's carrier accounts) for "
        "open shipments nobody pushes scans for.",
    )
    carrier_poll_batch: int = Field(
        default=500, ge=1, le=10000, description="Shipments one poll round claims at most."
    )
    carrier_poll_idle_days: int = Field(
        default=14, ge=1, description="Stop polling a shipment no scan has moved for this long."
    )
    carrier_poll_cadence_scale: float = Field(
        default=1.0,
        gt=0,
        le=10,
        description="Multiplies every polling interval (hourly in transit, 15 min out for "
        "delivery); the demo uses 0.02 so polling shows within a minute.",
    )
    carrier_timeout_seconds: float = Field(
        default=20.0, gt=0, le=120, description="How long one carrier API call may take."
    )
    carrier_api_urls: dict[str, str] = Field(
        default_factory=dict,
        description="Replace a carrier connector's API address, JSON by our carrier slug: "
        '{"ups": "https://ups-proxy.internal"} (an egress proxy; tests point it at a '
        "recorded-response server).",
    )

    # ---- merchant console (issue 14) ---------------------------------------------------------
    console_session_hours: float = Field(
        default=12,
        gt=0,
        le=24 * 30,
        description="How long a console log-in lasts before the user signs in again (sessions "
        "are stored server-side; log-out, a password reset or removal ends them at once).",
    )

    @field_validator("database_url")
    @classmethod
    def _normalise_db_url(cls, v: str | None) -> str | None:
        if v and v.startswith("postgres://"):
            v = "postgresql+psycopg://" + v[len("postgres://") :]
        elif v and v.startswith("postgresql://"):
            v = "postgresql+psycopg://" + v[len("postgresql://") :]
        return v or None

    @field_validator("environment")
    @classmethod
    def _env(cls, v: str) -> str:
        if v not in ("development", "production", "test"):
            raise ValueError("environment must be development, production or test")
        return v

    @model_validator(mode="after")
    def _production_is_public(self) -> Settings:
        if self.environment == "production" and not self.base_url.startswith("https://"):
            raise ValueError("in production base_url must be https:// (links go to shoppers)")
        if self.environment == "production" and not self.encryption_keys.strip():
            raise ValueError(
                "in production encryption_keys is required (POSTPURCHASE_ENCRYPTION_KEYS; "
                "make one with `postpurchase secrets new-key`)"
            )
        return self

    @property
    def db_url(self) -> str:
        default = f"sqlite:///{(self.data_dir / 'postpurchase.sqlite3').resolve()}"
        return self.database_url or default

    def ensure_data_dir(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
