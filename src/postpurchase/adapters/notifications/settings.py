"""Notification settings, read from ``POSTPURCHASE_*`` environment variables.

Kept apart from the core ``Settings`` so the notification engine can be configured (and
reasoned about) on its own; validated once at start-up like the rest.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from postpurchase.adapters.net_guard import OutboundPolicy
from postpurchase.domain.notifications import Preferences, QuietHours


class NotifySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POSTPURCHASE_", env_file=None, extra="ignore")

    smtp_url: str | None = Field(
        default=None,
        description="Mail server: smtp://host:25, smtp+starttls://user:pass@host:587 or "
        "smtps://user:pass@host:465 (query: ?verify=false, ?timeout=10). Unset: no email.",
    )
    smtp_from: str = Field(
        default="postpurchase@localhost",
        description="Envelope and From address (a merchant's branding may override From).",
    )
    smtp_ca_file: str | None = Field(
        default=None, description="CA bundle to trust for the SMTP server's certificate."
    )
    allow_insecure_smtp: bool = Field(
        default=False,
        description="Allow, in production, an smtp_url without TLS (smtp://) or with "
        "?verify=false; refused at start-up otherwise.",
    )
    environment: str = Field(
        default="development",
        description="Read from POSTPURCHASE_ENVIRONMENT, as the core settings do.",
    )
    twilio_account_sid: str | None = Field(
        default=None, description="Twilio account SID; with the token and sender enables SMS."
    )
    twilio_auth_token: str | None = Field(default=None, description="Twilio auth token.")
    twilio_from: str | None = Field(
        default=None,
        description="Sender: an E.164 number, or a Messaging Service SID (MG...).",
    )
    twilio_base_url: str | None = Field(
        default=None,
        description="Override Twilio's API base URL (tests, proxies). Unset: api.twilio.com.",
    )
    webhooks_enabled: bool = Field(
        default=True, description="Deliver signed outbound webhooks to merchant endpoints."
    )
    webhook_timeout_seconds: float = Field(
        default=10.0, gt=0, le=60, description="Per-request timeout for outbound webhooks."
    )
    ops_apprise_urls: str = Field(
        default="",
        description="Apprise URLs (space or comma separated) for the ops exception digest; "
        "merchants can add their own.",
    )
    ops_digest_minutes: int = Field(
        default=15, ge=1, le=1440, description="Minutes between ops exception digests."
    )
    outbound_allow: str = Field(
        default="",
        description="Private destinations webhooks and ops targets may reach anyway "
        "(networks, addresses or host names, comma separated: 10.0.0.0/8,hooks.internal, "
        "*.corp.example). Empty: only public addresses.",
    )
    notify_quiet_hours: str = Field(
        default="21:00-08:00",
        description="Default quiet hours in the shopper's zone, HH:MM-HH:MM, or 'off'.",
    )
    notify_collapse_seconds: int = Field(
        default=300,
        ge=0,
        le=3600,
        description="Default hold for non-urgent messages so a burst of scans gives one.",
    )
    notify_max_event_age_hours: int = Field(
        default=72,
        ge=1,
        description="Events older than this (imports, backfills) are recorded, not sent.",
    )
    notify_give_up_hours: float = Field(
        default=24, gt=0, le=168, description="How long deliveries are retried before failing."
    )
    notify_retry_base_seconds: float = Field(
        default=30, gt=0, description="First retry delay; doubles per attempt (max 1 h)."
    )

    notify_sent_page: bool = Field(
        default=False,
        description="Serve /notifications/sent, every message without login (demo only; "
        "never in production).",
    )

    @field_validator("smtp_url")
    @classmethod
    def _smtp(cls, v: str | None) -> str | None:
        if not v:
            return None
        scheme = urlsplit(v).scheme
        if scheme not in ("smtp", "smtps", "smtp+starttls"):
            raise ValueError("smtp_url must start with smtp://, smtp+starttls:// or smtps://")
        return v

    @field_validator("outbound_allow")
    @classmethod
    def _allow(cls, v: str) -> str:
        OutboundPolicy.parse(v)
        return v

    @model_validator(mode="after")
    def _tls_in_production(self) -> NotifySettings:
        """Production mail goes over TLS with a checked certificate, unless the operator
        says otherwise (POSTPURCHASE_ALLOW_INSECURE_SMTP=true)."""
        if self.environment != "production" or not self.smtp_url or self.allow_insecure_smtp:
            return self
        parts = urlsplit(self.smtp_url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        starttls = query.get("starttls", "").lower() in ("1", "true", "yes")
        if parts.scheme == "smtp" and not starttls:
            raise ValueError(
                "in production smtp_url must use TLS (smtps:// or smtp+starttls://); set "
                "POSTPURCHASE_ALLOW_INSECURE_SMTP=true to send in plain text anyway"
            )
        if query.get("verify", "true").lower() in ("0", "false", "no"):
            raise ValueError(
                "in production smtp_url must not turn certificate checks off (verify=false); "
                "trust your CA with POSTPURCHASE_SMTP_CA_FILE, or set "
                "POSTPURCHASE_ALLOW_INSECURE_SMTP=true"
            )
        return self

    @field_validator("notify_quiet_hours")
    @classmethod
    def _quiet(cls, v: str) -> str:
        QuietHours.parse(v)
        return v

    @property
    def sms_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token and self.twilio_from)

    @property
    def ops_urls(self) -> tuple[str, ...]:
        return tuple(u for u in self.ops_apprise_urls.replace(",", " ").split() if u)

    @property
    def outbound_policy(self) -> OutboundPolicy:
        return OutboundPolicy.parse(self.outbound_allow)

    def default_preferences(self) -> Preferences:
        quiet = QuietHours.parse(self.notify_quiet_hours)
        return Preferences(
            quiet_hours=quiet,
            collapse_seconds=self.notify_collapse_seconds,
            max_event_age_hours=self.notify_max_event_age_hours,
        )
