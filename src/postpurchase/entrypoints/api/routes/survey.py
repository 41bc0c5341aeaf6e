"""Post-delivery survey answers: /api/v1/survey/answers (JSON) and .csv.

Shoppers answer on the tracking page (five buttons and an optional comment), reached from
the delivered message's rating links or directly; one answer per order, the latest wins.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from postpurchase.adapters.db.kpis.survey import Answer, list_answers
from postpurchase.bootstrap import Platform
from postpurchase.domain.merchants import Merchant
from postpurchase.entrypoints.api.deps import MerchantDep, PlatformDep
from postpurchase.entrypoints.api.problems import Problem
from postpurchase.entrypoints.api.routes.kpis import DayParam
from postpurchase.entrypoints.api.routes.support import day_range

router = APIRouter(prefix="/api/v1/survey", tags=["survey"])

From = Annotated[DayParam | None, Query(alias="from", description="First day (YYYY-MM-DD)")]
To = Annotated[DayParam | None, Query(alias="to", description="Last day, inclusive")]
Score = Annotated[int, Query(ge=1, le=5)]


class AnswerOut(BaseModel):
    order_id: str
    order_number: str
    score: int = Field(description="1 (very bad) to 5 (very good)")
    comment: str | None
    source: str | None = Field(description="page or email: where the score was picked")
    locale: str
    answered_at: datetime
    first_answered_at: datetime


async def _answers(
    merchant: Merchant, platform: Platform, start: date | None, end: date | None,
    min_score: int, max_score: int, with_comment: bool | None, limit: int,
) -> list[Answer]:  # fmt: skip
    if min_score > max_score:
        raise Problem(422, "Invalid request", "min_score is above max_score", field="min_score")
    lo, hi = day_range(merchant, platform, start, end)

    def read() -> list[Answer]:
        with platform.engine.connect() as conn:
            return list_answers(
                conn, merchant.id, start=lo, end=hi, min_score=min_score, max_score=max_score,
                with_comment=with_comment, limit=limit,
            )  # fmt: skip

    return await run_in_threadpool(read)


@router.get("/answers", response_model=list[AnswerOut])
async def answers(
    merchant: MerchantDep,
    platform: PlatformDep,
    start: From = None,
    end: To = None,
    min_score: Score = 1,
    max_score: Score = 5,
    with_comment: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AnswerOut]:
    """Survey answers given in the range (the merchant's calendar days), newest first."""
    rows = await _answers(merchant, platform, start, end, min_score, max_score, with_comment, limit)
    return [AnswerOut(**asdict(a)) for a in rows]


@router.get("/answers.csv", response_class=Response)
async def answers_csv(
    merchant: MerchantDep,
    platform: PlatformDep,
    start: From = None,
    end: To = None,
    min_score: Score = 1,
    max_score: Score = 5,
    with_comment: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=100000)] = 10000,
) -> Response:
    """The same answers as CSV."""
    rows = await _answers(merchant, platform, start, end, min_score, max_score, with_comment, limit)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(AnswerOut.model_fields), lineterminator="\r\n")
    writer.writeheader()
    for a in rows:
        data = AnswerOut(**asdict(a)).model_dump(mode="json")
        writer.writerow({k: "" if v is None else v for k, v in data.items()})
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8")
