"""Response shapes of the delivery-date surfaces: an estimate with the layer and model
behind it, our promise at purchase, and the model registry."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


class EstimateOut(BaseModel):
    """When the parcel (or the order, before it ships) should arrive, and who says so."""

    kind: str = Field(
        description="date, window, delivered, pickup (waiting at a pickup point), "
        "unavailable (delivery not expected) or none (no date yet)."
    )
    start: date | None = Field(description="First day of the window (the date itself).")
    end: date | None = Field(description="Last day of the window: the date we stand by.")
    late: bool = Field(description="A date passed without a delivery.")
    late_since: date | None = Field(
        description="The first day past the date that was not kept (when late)."
    )
    source: str | None = Field(description="engine, carrier, promise or rough.")
    layer: str | None = Field(
        description="Who answered: rules, learned or live (the delivery-date engine's "
        "layers), carrier (its own estimate) or store (the checkout promise)."
    )
    model: str | None = Field(description="The engine's model id, when the engine answered.")
    model_version: int | None = Field(
        description="The merchant's registry version of that model (None: rules layer)."
    )


class OurPromiseOut(BaseModel):
    """The date we promised at purchase: set once at intake, never changed."""

    promise: date
    p50: date
    confidence: float
    layer: str
    model: str
    model_version: int | None


class ModelOut(BaseModel):
    version: int
    model_version: str
    engine_version: str
    format_version: int
    created_at: datetime
    trained_from: datetime | None
    trained_until: datetime | None
    shipments: int = Field(description="Delivered shipments it learned from.")
    source: str = Field(description="database, file or schedule.")
    features: list[str]
    metrics: dict[str, Any] = Field(
        description="Its own back-test: orders, promise_on_time_rate, mean_promise_slack_days, "
        "p50_mae_days, live_on_time_rate."
    )
    artefact_sha256: str
    size_bytes: int
    active: bool


class ModelList(BaseModel):
    active_version: int | None = Field(description="None: the rules layer answers.")
    data: list[ModelOut]


class TrainingOut(BaseModel):
    """A training run started in the worker (poll the job, or list the models)."""

    job: str
    status: str = Field(
        description="queued, running, done, refused (too little history: the rules or the "
        "active model stay), skipped (nothing to re-calibrate) or failed."
    )
    status_url: str
    result: dict[str, Any] | None = None
