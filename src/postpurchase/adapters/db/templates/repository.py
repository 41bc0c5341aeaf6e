"""Template versions and splits, always filtered by merchant."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from postpurchase.adapters.db.templates import tables as tt
from postpurchase.domain.templates import LocaleTemplate, Split, TemplateVersion

_v = tt.message_template_versions.c
_s = tt.message_template_splits.c


def _version(r: Any) -> TemplateVersion:
    return TemplateVersion(
        merchant_id=r["merchant_id"],
        flow=r["flow"],
        channel=r["channel"],
        version=r["version"],
        locales={loc: LocaleTemplate(**parts) for loc, parts in (r["locales"] or {}).items()},
        created_at=r["created_at"],
        created_by=r["created_by"],
        note=r["note"],
    )


class SqlTemplateRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def versions(self, merchant_id: str, flow: str, channel: str) -> list[TemplateVersion]:
        """Newest first."""
        rows = self.conn.execute(
            select(tt.message_template_versions)
            .where(_v.merchant_id == merchant_id, _v.flow == flow, _v.channel == channel)
            .order_by(_v.version.desc())
        ).mappings()
        return [_version(r) for r in rows]

    def get(
        self, merchant_id: str, flow: str, channel: str, version: int
    ) -> TemplateVersion | None:
        row = (
            self.conn.execute(
                select(tt.message_template_versions).where(
                    _v.merchant_id == merchant_id,
                    _v.flow == flow,
                    _v.channel == channel,
                    _v.version == version,
                )
            )
            .mappings()
            .first()
        )
        return _version(row) if row else None

    def latest(self, merchant_id: str, flow: str, channel: str) -> TemplateVersion | None:
        row = (
            self.conn.execute(
                select(tt.message_template_versions)
                .where(_v.merchant_id == merchant_id, _v.flow == flow, _v.channel == channel)
                .order_by(_v.version.desc())
                .limit(1)
            )
            .mappings()
            .first()
        )
        return _version(row) if row else None

    def next_version(self, merchant_id: str, flow: str, channel: str) -> int:
        top = self.conn.execute(
            select(func.max(_v.version)).where(
                _v.merchant_id == merchant_id, _v.flow == flow, _v.channel == channel
            )
        ).scalar()
        return int(top or 0) + 1

    def add(self, v: TemplateVersion) -> None:
        self.conn.execute(
            insert(tt.message_template_versions).values(
                merchant_id=v.merchant_id,
                flow=v.flow,
                channel=v.channel,
                version=v.version,
                locales={loc: t.as_dict() for loc, t in v.locales.items()},
                note=v.note,
                created_by=v.created_by,
                created_at=v.created_at,
            )
        )

    def split(self, merchant_id: str, flow: str, channel: str) -> Split | None:
        row = (
            self.conn.execute(
                select(tt.message_template_splits).where(
                    _s.merchant_id == merchant_id, _s.flow == flow, _s.channel == channel
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        variants = {int(k): int(w) for k, w in (row["variants"] or {}).items()}
        return Split(row["holdout_percent"], variants)

    def splits(self, merchant_id: str) -> dict[tuple[str, str], Split]:
        rows = self.conn.execute(
            select(tt.message_template_splits).where(_s.merchant_id == merchant_id)
        ).mappings()
        return {
            (r["flow"], r["channel"]): Split(
                r["holdout_percent"], {int(k): int(w) for k, w in (r["variants"] or {}).items()}
            )
            for r in rows
        }

    def set_split(
        self, merchant_id: str, flow: str, channel: str, split: Split | None, at: Any
    ) -> None:
        self.conn.execute(
            delete(tt.message_template_splits).where(
                _s.merchant_id == merchant_id, _s.flow == flow, _s.channel == channel
            )
        )
        if split is not None:
            self.conn.execute(
                insert(tt.message_template_splits).values(
                    merchant_id=merchant_id,
                    flow=flow,
                    channel=channel,
                    holdout_percent=split.holdout_percent,
                    variants={str(k): w for k, w in split.variants.items()},
                    updated_at=at,
                )
            )

    def latest_numbers(self, merchant_id: str) -> dict[tuple[str, str], int]:
        """The current version of every flow and channel the merchant has edited."""
        rows = self.conn.execute(
            select(_v.flow, _v.channel, func.max(_v.version))
            .where(_v.merchant_id == merchant_id)
            .group_by(_v.flow, _v.channel)
        ).all()
        return {(f, c): int(n) for f, c, n in rows}
