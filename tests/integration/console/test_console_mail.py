"""E-mail from the console through a real SMTP server on loopback: password reset, an
invitation, and an agent's message to a customer (sent by the worker's outbox drain like any
message), each arriving as the recipient would read it (both backends)."""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from email.policy import default
from pathlib import Path

import pytest

from postpurchase.adapters.notifications.demo_smtp import DemoSmtp, start_demo_smtp
from postpurchase.adapters.notifications.settings import NotifySettings
from postpurchase.adapters.notifications.wiring import register
from postpurchase.adapters.outbox import drain
from postpurchase.service_layer.console import InvalidCredentials
from tests.factories import ref
from tests.integration.console.conftest import PASSWORD, Console, form_csrf
from tests.integration.console.seeding import seed


@pytest.fixture
def mailbox(console: Console, tmp_path: Path) -> Iterator[DemoSmtp]:
    server = start_demo_smtp("127.0.0.1", 0, tmp_path / "mail")
    settings = NotifySettings().model_copy(
        update={"smtp_url": server.url, "notify_quiet_hours": "off"}
    )
    register(console.platform, settings, replace=True)
    yield server
    server.stop()


def received(server: DemoSmtp, to: str) -> list[email.message.EmailMessage]:
    out = []
    for path in sorted(server.store_dir.glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=default)
        if to in str(msg["To"]):
            out.append(msg)  # type: ignore[arg-type]
    return out


def body(msg: email.message.EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def test_password_reset_by_email(console: Console, mailbox: DemoSmtp) -> None:
    agent = console.a.agent
    c = console.client()
    page = c.get("/console/forgot")
    r = c.post("/console/forgot", data={"email": agent.email, "csrf": form_csrf(page.text)},
               follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == "/console/login?flash=reset_sent"
    unknown = c.post(
        "/console/forgot",
        data={"email": f"nobody-{ref()}@example.com", "csrf": form_csrf(page.text)},
        follow_redirects=False,
    )
    assert unknown.headers["location"] == r.headers["location"]  # the same answer
    mails = received(mailbox, agent.email)
    assert len(mails) == 1 and "Reset your password" in str(mails[0]["Subject"])
    link = re.search(r"http\S+(/console/password/\S+)", body(mails[0]))
    assert link
    form = c.get(link[1])
    new = "a brand new passphrase"
    done = c.post(link[1], data={"password": new, "confirm": new, "csrf": form_csrf(form.text)},
                  follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    assert agent.get("/console").status_code == 303  # the old session ended
    with pytest.raises(InvalidCredentials):
        console.accounts.login(agent.email, PASSWORD)
    assert console.accounts.login(agent.email, new).principal.email == agent.email


def test_invitation_is_emailed(console: Console, mailbox: DemoSmtp) -> None:
    address = f"invitee-{ref()}@example.com"
    r = console.a.owner.post("/console/team/invite", {"email": address, "role": "viewer"})
    assert r.status_code == 303 and r.headers["location"] == "/console/team?flash=invited"
    mails = received(mailbox, address)
    assert len(mails) == 1 and "invited" in str(mails[0]["Subject"])
    assert "/console/password/" in body(mails[0]) and "viewer" in body(mails[0])


def test_an_agents_message_goes_out_through_the_outbox(console: Console, mailbox: DemoSmtp) -> None:
    s = seed(console.platform, console.a.merchant_id, "address")
    r = console.a.agent.post(
        f"/console/shipments/{s.shipment_id}/message",
        {"subject": "About your address", "body": "Which flat number is it?"},
    )
    assert r.status_code == 303
    for _ in range(5):
        drain(console.platform.engine, console.platform.subscribers, now=console.clock.now)
    mails = received(mailbox, s.email)
    assert [str(m["Subject"]) for m in mails] == ["About your address"]
    assert "Which flat number is it?" in body(mails[0])
    page = console.a.viewer.get(f"/console/shipments/{s.shipment_id}").text
    assert "agent message" in page and "sent via" in page
