"""The post-delivery survey on both backends: a score and a comment given on the tracking
page (reached from the delivered message's link or not) come back through the API, the CSV
and the CSAT KPI, for their merchant only."""

from __future__ import annotations

import csv
import io
from datetime import date

from sqlalchemy import select
from tests.integration.kpis.shop import Shop

from postpurchase.adapters.db import tables as t

PROMISE = date(2026, 11, 4)
RANGE = {"from": "2026-11-01", "to": "2026-11-30"}


def token(shop: Shop, order_id: str) -> str:
    with shop.platform.engine.connect() as conn:
        q = select(t.orders.c.tracking_token).where(t.orders.c.id == order_id)
        return str(conn.execute(q).scalar())


def rate(shop: Shop, order_id: str, **form: str) -> int:
    got = shop.client.post(f"/t/{token(shop, order_id)}/rating", data=form, follow_redirects=False)
    return got.status_code


def test_answers_with_comments_reach_the_api_csv_and_csat(shop: Shop, other_shop: Shop) -> None:
    crushed, _ = shop.parcel(promise=PROMISE, delivered_hours=30)
    fine, _ = shop.parcel(promise=PROMISE, delivered_hours=30)
    moving, _ = shop.parcel(promise=PROMISE)
    assert rate(shop, crushed, score="2", comment="  Box crushed\x00 \r\n", via="email") == 303
    assert rate(shop, fine, score="5") == 303
    assert rate(shop, moving, score="5") == 404  # not delivered: nothing to rate yet
    assert rate(shop, fine, score="4") == 303  # a second tap replaces the score

    answers = shop.client.get("/api/v1/survey/answers", params=RANGE).json()
    by_order = {a["order_id"]: a for a in answers}
    assert by_order[crushed]["comment"] == "Box crushed"
    assert by_order[crushed]["source"] == "email" and by_order[crushed]["score"] == 2
    assert by_order[fine]["score"] == 4 and by_order[fine]["comment"] is None
    only = shop.client.get("/api/v1/survey/answers", params={**RANGE, "with_comment": "true"})
    assert [a["order_id"] for a in only.json()] == [crushed]
    low = shop.client.get("/api/v1/survey/answers", params={**RANGE, "max_score": 3}).json()
    assert [a["order_id"] for a in low] == [crushed]

    rows = list(csv.DictReader(io.StringIO(
        shop.client.get("/api/v1/survey/answers.csv", params=RANGE).text
    )))  # fmt: skip
    assert {r["comment"] for r in rows} == {"Box crushed", ""}

    s = shop.client.get("/api/v1/kpis/csat", params=RANGE).json()["summary"]
    assert s["answers"] == 2 and s["csat"] == 0.5 and s["mean_score"] == 3.0
    assert s["with_comment"] == 1
    assert other_shop.client.get("/api/v1/survey/answers", params=RANGE).json() == []
    assert other_shop.client.get("/api/v1/kpis/csat", params=RANGE).json()["summary"][
        "answers"
    ] == 0  # fmt: skip


def test_malformed_survey_filters_are_refused(shop: Shop) -> None:
    for params, field in [
        ({"min_score": 0}, "min_score"),
        ({"min_score": 4, "max_score": 2}, "min_score"),
        ({"from": "2026-13-01"}, "from"),
        ({"with_comment": "maybe"}, "with_comment"),
    ]:
        got = shop.client.get("/api/v1/survey/answers", params=params)
        assert got.status_code == 422 and got.json()["field"] == field, got.text
