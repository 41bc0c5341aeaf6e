"""A return's messages are news when the return moves, not when the order was placed: a
return asked ten days after the order still tells the shopper (both backends)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from postpurchase.entrypoints.api.app import create_app
from tests.integration.notifications.conftest import Notify
from tests.integration.notifications.test_notify_returns import delivered, return_one


@pytest.fixture
def api(notify: Notify) -> Iterator[TestClient]:
    with TestClient(create_app(notify.platform)) as c:
        c.headers["Authorization"] = f"Bearer {notify.api_key}"
        yield c


def test_a_return_days_after_the_order_is_still_news(notify: Notify, api: TestClient) -> None:
    order_id = delivered(notify)
    notify.drain()
    notify.clock.advance(days=10)  # well past the 72 h age limit, counted from the order
    return_one(api, order_id)
    notify.drain()
    [approved] = notify.messages(order_id=order_id, flow="return_approved")
    assert approved["status"] in ("queued", "sending", "sent"), approved["reason"]
