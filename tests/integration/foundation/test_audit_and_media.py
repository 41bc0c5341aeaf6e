"""The audit log and the media store on SQLite and PostgreSQL: written with the change they
belong to, read back per merchant only, through the API and the CLI as a merchant would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.unit_of_work import SqlAlchemyUnitOfWork
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.domain.media import MediaKind
from postpurchase.entrypoints.api.app import create_app
from postpurchase.entrypoints.cli import app as cli
from postpurchase.service_layer import audit, handlers
from tests.factories import ref
from tests.fakes import FakeClock

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture
def world(engine):  # type: ignore[no-untyped-def]
    clock = FakeClock()
    platform = bootstrap(Settings(), engine=engine, clock=clock, notifications=False)
    with TestClient(create_app(platform)) as client:
        yield platform, clock, client


def tenant(platform):  # type: ignore[no-untyped-def]
    return handlers.create_merchant(platform.uow(), platform.clock, "Shop " + ref())


def test_an_audited_change_commits_or_rolls_back_with_its_entry(world) -> None:
    platform, clock, _ = world
    merchant, _, _ = tenant(platform)
    with platform.uow() as uow:
        audit.record_change(
            uow, merchant.id, actor="cli", action="settings.update", subject="settings",
            at=clock.now(), before={"survey": {"on": True}}, after={"survey": {"on": False}},
        )  # fmt: skip
        uow.rollback()
    assert audit.history(platform.uow(), merchant.id) == []
    with platform.uow() as uow:
        unchanged = audit.record_change(
            uow, merchant.id, actor="cli", action="settings.update", subject="settings",
            at=clock.now(), before={"a": 1}, after={"a": 1},
        )  # fmt: skip
        assert unchanged is None  # nothing changed, nothing recorded
        audit.record_change(
            uow, merchant.id, actor="user:owner@example.com", action="settings.update",
            subject="settings", at=clock.now(),
            before={"survey": {"enabled": True}}, after={"survey": {"enabled": False}},
        )  # fmt: skip
        uow.commit()
    [row] = audit.history(platform.uow(), merchant.id)
    assert row.entry.changes == {"survey.enabled": [True, False]}
    assert row.entry.actor == "user:owner@example.com"
    assert row.entry.at == clock.now()


def test_the_audit_api_pages_newest_first_and_shows_one_merchant_only(world) -> None:
    platform, clock, client = world
    mine, key, _ = tenant(platform)
    theirs, their_key, _ = tenant(platform)
    with platform.uow() as uow:
        for i in range(5):
            clock.advance(minutes=1)
            audit.record_change(
                uow, mine.id, actor="cli", action="settings.update", subject=f"s{i % 2}",
                at=clock.now(), before={"n": i}, after={"n": i + 1},
            )  # fmt: skip
        audit.record_change(
            uow, theirs.id, actor="cli", action="settings.update", subject="s0",
            at=clock.now(), before={"secret": 1}, after={"secret": 2},
        )  # fmt: skip
        uow.commit()
    auth = {"Authorization": f"Bearer {key}"}
    first = client.get("/api/v1/audit?limit=3", headers=auth).json()
    assert [i["changes"]["n"] for i in first["items"]] == [[4, 5], [3, 4], [2, 3]]
    rest = client.get(f"/api/v1/audit?limit=3&before={first['next_before']}", headers=auth).json()
    assert [i["changes"]["n"] for i in rest["items"]] == [[1, 2], [0, 1]]
    assert rest["next_before"] is None
    only = client.get("/api/v1/audit?subject=s1", headers=auth).json()["items"]
    assert {i["subject"] for i in only} == {"s1"} and len(only) == 2
    theirs_seen = client.get("/api/v1/audit", headers={"Authorization": f"Bearer {their_key}"})
    assert [i["changes"] for i in theirs_seen.json()["items"]] == [{"secret": [1, 2]}]
    assert "secret" not in client.get("/api/v1/audit", headers=auth).text
    bad = client.get("/api/v1/audit?before=abc", headers=auth)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith(
        "application/problem+json"
    )
    assert client.get("/api/v1/audit").status_code == 401


def test_the_cli_lists_the_audit_log(world, engine, tmp_path, monkeypatch) -> None:
    platform, clock, _ = world
    merchant, _, _ = tenant(platform)
    with platform.uow() as uow:
        audit.record_change(
            uow, merchant.id, actor="system:remedy", action="remedy.apply", subject="order 1001",
            at=clock.now(), always=True,
        )  # fmt: skip
        uow.commit()
    monkeypatch.setenv("POSTPURCHASE_DATABASE_URL", str(engine.url.render_as_string(False)))
    result = CliRunner().invoke(
        cli, ["audit", "list", merchant.slug, "--json", "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    line = json.loads(result.output.splitlines()[0])
    assert line["actor"] == "system:remedy" and line["subject"] == "order 1001"
    missing = CliRunner().invoke(
        cli, ["audit", "list", "no-such-shop", "--data-dir", str(tmp_path)]
    )
    assert missing.exit_code != 0 and "no-such-shop" in missing.output


@pytest.mark.parametrize("in_directory", [False, True], ids=["in-db", "in-media-dir"])
def test_files_round_trip_per_merchant(world, engine, tmp_path: Path, in_directory: bool) -> None:
    platform, clock, _ = world
    mine, _, _ = tenant(platform)
    theirs, _, _ = tenant(platform)
    media_dir = tmp_path / "media" if in_directory else None

    def uow() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(engine, clock.now, box=platform.keyring, media_dir=media_dir)

    with uow() as u:
        ref1 = u.media.put(mine.id, MediaKind.LOGO, "image/png", PNG, "logo.png")
        ref2 = u.media.put(mine.id, MediaKind.LOGO, "image/png", PNG)  # same bytes again
        u.commit()
    assert ref1.size == len(PNG) and ref1.sha256 == ref2.sha256 and ref1.id != ref2.id
    with engine.connect() as conn:
        stored = conn.execute(select(t.media_files.c.data).where(t.media_files.c.id == ref1.id))
        assert (stored.scalar() is None) is in_directory
    if media_dir is not None:
        assert (media_dir / mine.id / ref1.sha256).read_bytes() == PNG
    with uow() as u:
        got = u.media.get(mine.id, ref1.id)
        assert got is not None and got.data == PNG and got.ref.filename == "logo.png"
        assert u.media.get(theirs.id, ref1.id) is None  # another merchant never sees it
        assert u.media.delete(theirs.id, ref1.id) is False
        assert u.media.delete(mine.id, ref1.id) is True
        u.commit()
    if media_dir is not None:  # the second row still needs the file
        assert (media_dir / mine.id / ref1.sha256).exists()
    with uow() as u:
        assert u.media.get(mine.id, ref1.id) is None
        assert u.media.delete(mine.id, ref2.id) is True
        u.commit()
    if media_dir is not None:
        assert not (media_dir / mine.id / ref1.sha256).exists()
    with uow() as u:
        u.media.put(mine.id, MediaKind.RETURN_PHOTO, "image/png", PNG)
        u.rollback()
    with engine.connect() as conn:
        left = conn.execute(
            select(func.count())
            .select_from(t.media_files)
            .where(t.media_files.c.merchant_id == mine.id)
        ).scalar_one()
    assert left == 0
