"""Survey answers (``tracking_ratings``: score, comment, where given) for the API and CSV."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from postpurchase.adapters.db import tables as t


@dataclass(frozen=True, slots=True)
class Answer:
    order_id: str
    order_number: str
    score: int
    comment: str | None
    source: str | None
    locale: str
    answered_at: datetime
    first_answered_at: datetime


def list_answers(
    conn: Connection,
    merchant_id: str,
    *,
    start: datetime,
    end: datetime,
    min_score: int = 1,
    max_score: int = 5,
    with_comment: bool | None = None,
    limit: int = 100,
) -> list[Answer]:
    """Answers last given in the range, newest first."""
    r, o = t.tracking_ratings.c, t.orders.c
    q = (
        select(
            r.order_id, o.number, r.score, r.comment, r.source, r.locale, r.updated_at, r.created_at
        )
        .select_from(t.tracking_ratings.join(t.orders, o.id == r.order_id))
        .where(
            r.merchant_id == merchant_id,
            o.merchant_id == merchant_id,
            r.updated_at >= start,
            r.updated_at < end,
            r.score >= min_score,
            r.score <= max_score,
        )
        .order_by(r.updated_at.desc(), r.order_id)
        .limit(limit)
    )
    if with_comment is True:
        q = q.where(r.comment.is_not(None))
    elif with_comment is False:
        q = q.where(r.comment.is_(None))
    return [Answer(*row) for row in conn.execute(q)]
