"""Read (and one tiny write) for the shopper's tracking page and order lookup.

The page is public: the tracking token or an order number plus a matching email or postal
code is the only credential, so these functions never take a merchant from the request
without one of those to go with it. ``read_models.get_order_by_token`` loads the order; what
is here is the rest the page needs: the merchant's public profile, custom domains, lookup
candidates and the shopper's one-tap rating.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from postpurchase.adapters.db import hot_reads, read_models
from postpurchase.adapters.db import tables as t

MAX_LOOKUP_CANDIDATES = 20


@dataclass(frozen=True, slots=True)
class MerchantProfile:
    """What a shopper-facing page may know of a merchant (no secrets, no keys)."""

    id: str
    name: str
    slug: str
    timezone: str
    locale: str
    settings: dict[str, Any]


def _profile(row: Any) -> MerchantProfile:
    settings = row["settings"] if isinstance(row["settings"], dict) else {}
    return MerchantProfile(
        row["id"], row["name"], row["slug"], row["timezone"], row["locale"], settings
    )


_PROFILE_COLUMNS = (
    t.merchants.c.id,
    t.merchants.c.name,
    t.merchants.c.slug,
    t.merchants.c.timezone,
    t.merchants.c.locale,
    t.merchants.c.settings,
)


def merchant_profile(conn: Connection, merchant_id: str) -> MerchantProfile | None:
    row = (
        conn.execute(select(*_PROFILE_COLUMNS).where(t.merchants.c.id == merchant_id))
        .mappings()
        .first()
    )
    return _profile(row) if row else None


def merchant_profiles(conn: Connection, merchant_ids: list[str]) -> dict[str, MerchantProfile]:
    """Several merchants' profiles in one query (the page cache's freshness sweep)."""
    if not merchant_ids:
        return {}
    rows = conn.execute(select(*_PROFILE_COLUMNS).where(t.merchants.c.id.in_(merchant_ids)))
    return {row["id"]: _profile(row) for row in rows.mappings()}


def merchant_by_slug(conn: Connection, slug: str) -> MerchantProfile | None:
    row = (
        conn.execute(select(*_PROFILE_COLUMNS).where(t.merchants.c.slug == slug)).mappings().first()
    )
    return _profile(row) if row else None


def sole_merchant(conn: Connection) -> MerchantProfile | None:
    """The merchant of a single-shop install, so its lookup form needs no shop name."""
    rows = conn.execute(select(*_PROFILE_COLUMNS).limit(2)).mappings().all()
    return _profile(rows[0]) if len(rows) == 1 else None


def merchant_settings(conn: Connection) -> list[tuple[str, dict[str, Any]]]:
    """Every merchant's settings, for the in-process custom-domain map (refreshed on a timer).

    Custom domains are few and change rarely; a scan of the merchants table every minute is
    cheaper than an index table that must be kept in step with the settings JSON.
    """
    out = []
    for row in conn.execute(select(t.merchants.c.id, t.merchants.c.settings)).mappings():
        settings = row["settings"] if isinstance(row["settings"], dict) else {}
        out.append((row["id"], settings))
    return out


def lookup_candidates(
    conn: Connection, numbers: list[str], merchant_id: str | None
) -> list[dict[str, Any]]:
    """Orders whose number is one of ``numbers`` (with and without ``#``), newest first.

    Returns the fields the caller compares against the shopper's input; the comparison is
    the caller's, so it can do the same work whether zero or many rows come back.
    """
    o = t.orders.c
    q = select(o.id, o.merchant_id, o.tracking_token, o.email, o.shipping_address, o.placed_at)
    q = q.where(o.number.in_(numbers))
    if merchant_id is not None:
        q = q.where(o.merchant_id == merchant_id)
    q = q.order_by(o.placed_at.desc()).limit(MAX_LOOKUP_CANDIDATES)
    return [dict(r) for r in conn.execute(q).mappings()]


@dataclass(frozen=True, slots=True)
class PageVersion:
    """Everything that changes when the tracking page of an order must change.

    One indexed row: a new scan bumps ``events``, a new parcel ``shipments``, a cancellation
    ``status``/``updated_at``, a tap on the rating ``rating``. Equal versions mean an equal
    page (for the same language and clock), which is what the page cache relies on.
    """

    order_id: str
    merchant_id: str
    locale: str
    status: str
    updated_at: datetime
    shipments: int
    events: int
    last_event_at: datetime | None
    rating: int | None
    edd_model: int | None = None  # the merchant's active delivery-date model (issue 16)


# A new model changes every estimate of the merchant's pages: its version is part of theirs.
_ACTIVE_MODEL = (
    select(t.edd_active.c.version)
    .where(t.edd_active.c.merchant_id == t.orders.c.merchant_id)
    .correlate(t.orders)
    .scalar_subquery()
)


def _page_version_query(*, many: bool) -> Any:
    o, s, r = t.orders.c, t.shipments.c, t.tracking_ratings.c
    which = (
        o.tracking_token.in_(bindparam("tokens", expanding=True))
        if many
        else o.tracking_token == bindparam("token")
    )
    return (
        select(
            o.id,
            o.merchant_id,
            o.locale,
            o.status,
            o.updated_at,
            func.count(s.id),
            func.coalesce(func.sum(s.event_count), 0),
            func.max(s.last_event_at),
            r.score,
            o.tracking_token,
            _ACTIVE_MODEL,
        )
        .select_from(
            t.orders.outerjoin(t.shipments, s.order_id == o.id).outerjoin(
                t.tracking_ratings, r.order_id == o.id
            )
        )
        .where(which)
        .group_by(o.id, o.merchant_id, o.locale, o.status, o.updated_at, r.score, o.tracking_token)
    )


# Built once: this runs on every page view, and building a select costs more than running it.
_PAGE_VERSION = _page_version_query(many=False)
_PAGE_VERSIONS = _page_version_query(many=True)
VERSIONS_PER_QUERY = 500


def _version(row: Any) -> PageVersion:
    return PageVersion(
        row[0], row[1], row[2], row[3], row[4], int(row[5]), int(row[6]), row[7],
        int(row[8]) if row[8] is not None else None,
        int(row[10]) if row[10] is not None else None,
    )  # fmt: skip


def page_version(conn: Connection, token: str) -> PageVersion | None:
    found = hot_reads.rows(conn, _PAGE_VERSION, {"token": token})
    return _version(found[0]) if found else None


def page_version_and_order(
    conn: Connection, token: str
) -> tuple[PageVersion | None, dict[str, Any] | None]:
    """:func:`page_version` and then ``read_models.get_order_by_token`` in one round trip
    (PostgreSQL), for a view that will render the page anyway (a first view in a process).
    The order is read after the version, as when the two are asked for one by one."""
    found, rows = hot_reads.in_one_round_trip(
        conn,
        [(_PAGE_VERSION, {"token": token}), (read_models.ORDER_FOR_PAGE, {"token": token})],
    )
    if not found:
        return None, None
    return _version(found[0]), read_models.order_from_page_rows(rows)


def page_versions(conn: Connection, tokens: list[str]) -> dict[str, PageVersion]:
    """The versions of many orders' pages (a few queries, whatever their number)."""
    out: dict[str, PageVersion] = {}
    for i in range(0, len(tokens), VERSIONS_PER_QUERY):
        chunk = tokens[i : i + VERSIONS_PER_QUERY]
        for row in conn.execute(_PAGE_VERSIONS, {"tokens": chunk}):
            out[row[9]] = _version(row)
    return out


def get_rating(conn: Connection, order_id: str) -> int | None:
    r = t.tracking_ratings.c
    score = conn.execute(select(r.score).where(r.order_id == order_id)).scalar()
    return int(score) if score is not None else None


def save_rating(
    conn: Connection,
    *,
    merchant_id: str,
    order_id: str,
    score: int,
    locale: str,
    at: datetime,
    comment: str | None = None,
    source: str | None = None,
) -> None:
    """Insert or replace the order's rating (one per order: tapping again changes it). A
    new comment replaces the old one; a tap without one keeps it."""
    r = t.tracking_ratings
    values = {
        "order_id": order_id,
        "merchant_id": merchant_id,
        "score": score,
        "locale": locale,
        "created_at": at,
        "updated_at": at,
        "comment": comment,
        "source": source,
    }
    changes: dict[str, Any] = {"score": score, "locale": locale, "updated_at": at}
    if comment is not None:
        changes["comment"] = comment
    if source is not None:
        changes["source"] = source
    dialect = conn.dialect.name
    if dialect == "postgresql":
        pg = postgresql.insert(r).values(**values)
        conn.execute(pg.on_conflict_do_update(index_elements=[r.c.order_id], set_=changes))
    elif dialect == "sqlite":
        lite = sqlite.insert(r).values(**values)
        conn.execute(lite.on_conflict_do_update(index_elements=[r.c.order_id], set_=changes))
    else:  # pragma: no cover - the two supported backends are handled above
        done = conn.execute(update(r).where(r.c.order_id == order_id).values(**changes))
        if not done.rowcount:
            conn.execute(r.insert().values(**values))


def rating_counts(conn: Connection, merchant_id: str) -> dict[int, int]:
    """Ratings by score for one merchant (for KPIs and tests)."""
    r = t.tracking_ratings.c
    q = select(r.score, func.count()).where(r.merchant_id == merchant_id).group_by(r.score)
    return {int(score): int(n) for score, n in conn.execute(q).all()}
