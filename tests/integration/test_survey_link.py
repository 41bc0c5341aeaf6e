"""The survey link in delivered emails lands on the rating form and records nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from postpurchase.adapters.db import tables as t
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.entrypoints.api.app import create_app


def test_survey_link_redirects_to_the_rating_form_without_rating(engine) -> None:
    def ratings() -> int:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(t.tracking_ratings)).scalar())

    before = ratings()
    app = create_app(bootstrap(Settings(), engine=engine, notifications=False))
    with TestClient(app, follow_redirects=False) as client:
        r = client.get("/t/some-token/survey", params={"rating": 4})
        assert r.status_code == 303
        assert r.headers["location"] == "/t/some-token?rate=4#rating"
        assert client.get("/t/some-token/survey", params={"rating": 9}).status_code == 422
    assert ratings() == before  # a GET (a mail scanner's prefetch) never rates
