"""/api/v1/edd: the merchant's delivery-date models (list, train in the worker, activate)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from postpurchase.domain.errors import InvalidInput, NotFound
from postpurchase.entrypoints.api.deps import MerchantDep, PlatformDep
from postpurchase.entrypoints.api.edd_schemas import ModelList, ModelOut, TrainingOut

router = APIRouter(prefix="/api/v1/edd", tags=["delivery dates"])


class TrainIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"force": False}]})

    force: StrictBool = Field(
        default=False, description="Activate the new model even if its back-test does not win."
    )


@router.get("/models", response_model=ModelList)
def list_models(merchant: MerchantDep, platform: PlatformDep) -> ModelList:
    """Every model trained for you, newest first, with its back-test and which one serves
    (``active_version`` null: the rules layer)."""
    from postpurchase.adapters.db import edd_registry

    with platform.engine.connect() as conn:
        rows = edd_registry.list_models(conn, merchant.id)
        active = edd_registry.active_version(conn, merchant.id)
    return ModelList(
        active_version=active, data=[ModelOut.model_validate(r.as_dict()) for r in rows]
    )


@router.post("/models", response_model=TrainingOut, status_code=202)
def train(merchant: MerchantDep, platform: PlatformDep, body: TrainIn | None = None) -> TrainingOut:
    """Train a model on your delivered shipments, in the worker (within a minute; training
    takes seconds to minutes). It becomes active only if its back-test beats the active
    model's (or with ``force``). Follow ``status_url``."""
    from postpurchase.adapters.edd.schedule import TRAIN, request_training

    request_training(platform.engine, merchant.id, platform.clock.now(), bool(body and body.force))
    return TrainingOut(job=TRAIN, status="queued", status_url="/api/v1/edd/jobs/train")


@router.get("/jobs/{job}", response_model=TrainingOut)
def job(job: str, merchant: MerchantDep, platform: PlatformDep) -> TrainingOut:
    """A model job's state: ``train`` (asked for, or the weekly one) or ``recalibrate``."""
    from postpurchase.adapters.edd.schedule import job_status

    found = job_status(platform.engine, merchant.id, job, platform.clock.now())
    if found is None:
        raise NotFound("no such job for this merchant", field="job")
    return TrainingOut(
        job=job,
        status=found["status"],
        status_url=f"/api/v1/edd/jobs/{job}",
        result=found["result"],
    )


@router.post(
    "/models/{version}/activate",
    response_model=ModelOut,
    responses={422: {"description": "The model cannot be served; the active one is unchanged."}},
)
async def activate(
    version: int, merchant: MerchantDep, platform: PlatformDep, response: Response
) -> ModelOut:
    """Serve this version from now on: the tracking page, the API, messages and the worker
    use it at once (no restart). A model this engine cannot read is refused."""
    from postpurchase.adapters.edd.merchant_models import ModelRefused, activate_version

    try:
        row = await run_in_threadpool(
            activate_version, platform.engine, merchant.id, version, now=platform.clock.now()
        )
    except LookupError:
        raise NotFound(f"no model version {version}", field="version") from None
    except ModelRefused as exc:
        raise InvalidInput(f"{exc}; the active model is unchanged", field="version") from None
    return ModelOut.model_validate(row.as_dict())
