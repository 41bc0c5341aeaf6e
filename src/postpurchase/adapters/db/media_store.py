"""Stored files: bytes in the ``media_files`` table, or in a shared directory.

With ``POSTPURCHASE_MEDIA_DIR`` unset the bytes live in the database, so a laptop install
and a cluster behave alike with no extra volume. With it set (a volume every API process and
worker mounts: NFS, EFS, a bind mount) the bytes go to ``<dir>/<merchant>/<sha256>`` and the
row keeps the metadata; content addressing makes a rewrite of the same file harmless, and a
file is removed only when no row of that merchant still refers to it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from postpurchase.adapters.db import tables as t
from postpurchase.domain.ids import new_id
from postpurchase.domain.media import MediaKind, MediaRef, StoredMedia, check_media

_m = t.media_files.c


class SqlMediaStore:
    def __init__(
        self, conn: Connection, now: Callable[[], datetime], media_dir: Path | None = None
    ) -> None:
        self.conn = conn
        self.now = now
        self.media_dir = media_dir

    def put(
        self,
        merchant_id: str,
        kind: MediaKind,
        content_type: str,
        data: bytes,
        filename: str | None = None,
    ) -> MediaRef:
        check_media(kind, content_type, data, filename)
        digest = hashlib.sha256(data).hexdigest()
        ref = MediaRef(new_id(), MediaKind(kind), content_type, len(data), digest, filename)
        if self.media_dir is not None:
            self._write_file(merchant_id, digest, data)
        self.conn.execute(
            insert(t.media_files).values(
                id=ref.id,
                merchant_id=merchant_id,
                kind=ref.kind.value,
                content_type=content_type,
                size=ref.size,
                sha256=digest,
                filename=filename,
                data=None if self.media_dir is not None else data,
                created_at=self.now(),
            )
        )
        return ref

    def get(self, merchant_id: str, media_id: str) -> StoredMedia | None:
        row = (
            self.conn.execute(
                select(t.media_files).where(_m.merchant_id == merchant_id, _m.id == media_id)
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        data = row["data"]
        if data is None:
            data = self._read_file(merchant_id, row["sha256"])
            if data is None:
                return None  # the directory lost the file: treat as gone, never as empty
        return StoredMedia(_ref(row), merchant_id, row["created_at"], bytes(data))

    def delete(self, merchant_id: str, media_id: str) -> bool:
        row = self.conn.execute(
            select(_m.sha256, _m.data.is_(None)).where(
                _m.merchant_id == merchant_id, _m.id == media_id
            )
        ).first()
        if row is None:
            return False
        self.conn.execute(
            delete(t.media_files).where(_m.merchant_id == merchant_id, _m.id == media_id)
        )
        digest, on_disk = row
        if on_disk and self.media_dir is not None:
            still = self.conn.execute(
                select(func.count())
                .select_from(t.media_files)
                .where(_m.merchant_id == merchant_id, _m.sha256 == digest)
            ).scalar_one()
            if not still:
                self._path(merchant_id, digest).unlink(missing_ok=True)
        return True

    def _path(self, merchant_id: str, digest: str) -> Path:
        assert self.media_dir is not None
        # Both parts are ours (hex ids and digests), never a client's file name.
        return self.media_dir / merchant_id / digest

    def _write_file(self, merchant_id: str, digest: str, data: bytes) -> None:
        path = self._path(merchant_id, digest)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a reader on another host never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _read_file(self, merchant_id: str, digest: str) -> bytes | None:
        if self.media_dir is None:
            return None
        try:
            return self._path(merchant_id, digest).read_bytes()
        except FileNotFoundError:
            return None


def _ref(row: Any) -> MediaRef:
    return MediaRef(
        id=row["id"],
        kind=MediaKind(row["kind"]),
        content_type=row["content_type"],
        size=int(row["size"]),
        sha256=row["sha256"],
        filename=row["filename"],
    )
