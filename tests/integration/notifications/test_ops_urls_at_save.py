"""Apprise URLs for ops alerts are checked when the merchant saves them, not at the first
digest: a scheme Apprise does not know, or a target inside our network, is a 422 naming the
list item, and nothing of the refused settings is stored."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from postpurchase.adapters.notifications.demo_smtp import DemoSmtp
from postpurchase.entrypoints.api.app import create_app
from tests.integration.notifications.conftest import Notify, make_notify, quiet_settings

SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"  # Apprise's documented shape
URL = "/api/v1/notifications/settings"


@pytest.fixture
def client(notify: Notify) -> Iterator[TestClient]:
    with TestClient(create_app(notify.platform)) as c:
        yield c


def put(client: TestClient, notify: Notify, urls: object) -> tuple[int, dict[str, object]]:
    r = client.put(
        URL,
        headers={"Authorization": f"Bearer {notify.api_key}"},
        json={"notifications": {"ops_urls": urls}},
    )
    return r.status_code, r.json()


def stored(client: TestClient, notify: Notify) -> object:
    r = client.get(URL, headers={"Authorization": f"Bearer {notify.api_key}"})
    return r.json()["notifications"]["ops_urls"]


def test_a_cloud_service_url_is_accepted(client: TestClient, notify: Notify) -> None:
    status, body = put(client, notify, [SLACK])
    assert status == 200, body
    assert stored(client, notify) == [SLACK]


@pytest.mark.parametrize(
    ("urls", "field", "says"),
    [
        (["nope://x"], "ops_urls.0", "does not understand nope://"),
        ([SLACK, "json://127.0.0.1:8080/hook"], "ops_urls.1", "not sent to"),
        (["ntfy://10.0.0.5/alerts"], "ops_urls.0", "not sent to"),
        (["gotify://[::1]/AbCdEf123456"], "ops_urls.0", "not sent to"),
        (["jsons://localhost/hook"], "ops_urls.0", "not sent to"),  # a name resolved first
        (["json://169.254.169.254/latest/meta-data"], "ops_urls.0", "not sent to"),
        (["https://example.com/hook"], "ops_urls.0", "does not understand https://"),
        (["slack://" + "x" * 2100], "ops_urls.0", "at most 2000"),
        ([SLACK] * 21, "ops_urls", "at most 20"),
    ],
)
def test_a_bad_ops_url_is_refused_naming_the_item_and_nothing_is_stored(
    client: TestClient, notify: Notify, urls: list[str], field: str, says: str
) -> None:
    assert put(client, notify, [SLACK])[0] == 200
    status, body = put(client, notify, urls)
    assert status == 422 and body["field"] == field, body
    assert says in str(body["detail"])
    assert stored(client, notify) == [SLACK]


def test_a_private_target_the_operator_allowed_is_accepted(engine: Engine, smtp: DemoSmtp) -> None:
    allowed = make_notify(engine, quiet_settings(smtp_url=smtp.url, outbound_allow="127.0.0.1"))
    with TestClient(create_app(allowed.platform)) as c:
        status, body = put(c, allowed, ["json://127.0.0.1:8080/hook"])
    assert status == 200, body
