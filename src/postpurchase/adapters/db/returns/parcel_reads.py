"""The portal's "send these together" list: a customer's other returns still to send."""

from __future__ import annotations

from sqlalchemy import Connection, select

from postpurchase.adapters.db.returns import tables as rt
from postpurchase.domain.returns import ReturnStatus


def open_return_ids(
    conn: Connection, merchant_id: str, email: str, *, exclude: str, limit: int = 49
) -> list[str]:
    """Ids of the customer's approved returns with no parcel yet (oldest first); the
    service layer decides which of them may travel together (``can_join``)."""
    c = rt.returns.c
    q = (
        select(c.id)
        .where(
            c.merchant_id == merchant_id,
            c.customer_email == email.lower(),
            c.status == ReturnStatus.APPROVED.value,
            c.tracking_number.is_(None),
            c.id != exclude,
        )
        .order_by(c.created_at, c.id)
        .limit(limit)
    )
    return [str(r) for r in conn.execute(q).scalars()]
