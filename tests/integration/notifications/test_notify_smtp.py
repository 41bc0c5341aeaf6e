"""Email through a real SMTP server (aiosmtpd on loopback): the MIME that arrives is parsed
and checked -- parts, headers, language, unsubscribe -- on SQLite and PostgreSQL."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from postpurchase.adapters.notifications.demo_smtp import DemoSmtp, free_port
from postpurchase.adapters.notifications.email import SmtpEmailChannel
from postpurchase.domain import commands
from postpurchase.service_layer.notification_ports import DeliveryError, OutgoingEmail
from tests.factories import place_order, ups_number
from tests.integration.notifications.conftest import BASE_URL, Notify
from tests.notify_support import RefusesNobody, self_signed_cert, server_tls_context


def received_for(smtp: DemoSmtp, address: str) -> list[Any]:
    return [m for m in smtp.messages() if m["To"] == address]


def test_order_confirmation_arrives_as_multipart_in_the_shoppers_language(
    notify: Notify, smtp: DemoSmtp
) -> None:
    notify.service.update_preferences(
        notify.merchant.id,
        None,
        {"sender_name": "Loja Ada", "reply_to": "ajuda@loja.example", "primary_color": "#0a7d44"},
    )
    cmd = place_order(notify.merchant.id, locale="pt-BR", currency="BRL")
    notify.platform.bus().handle(cmd)
    notify.drain()
    [mail] = received_for(smtp, cmd.email)
    assert mail["Subject"].startswith("Pedido") and "confirmado" in mail["Subject"]
    [sender] = mail["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Loja Ada", "postpurchase@localhost")
    assert mail["Reply-To"] == "ajuda@loja.example"
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "R$" in text and f"Obrigado por comprar na {notify.merchant.name}" in text
    assert "background:#0a7d44" in html and cmd.number in html
    [row] = notify.messages(flow="order_confirmed", channel="email")
    assert row["status"] == "sent" and row["provider_id"] == mail["Message-ID"]
    unsubscribe = f"<{BASE_URL}/notifications/unsubscribe/{row['unsubscribe_token']}>"
    assert mail["List-Unsubscribe"] == unsubscribe
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["Message-ID"] == f"<{row['id']}@localhost>"


def test_shipping_updates_reach_the_mail_server_once(notify: Notify, smtp: DemoSmtp) -> None:
    from postpurchase.domain.status import ShipmentStatus
    from tests.factories import scan

    cmd = place_order(notify.merchant.id)
    order = notify.platform.bus().handle(cmd)
    number = ups_number()
    notify.platform.bus().handle(commands.CreateShipment(notify.merchant.id, order.id, number))
    notify.drain()
    update = commands.TrackingUpdate(number, "ups", (scan(2, ShipmentStatus.OUT_FOR_DELIVERY),))
    for _ in range(2):  # the carrier sends the same scan twice
        notify.platform.bus().handle(commands.RecordTracking(notify.merchant.id, (update,)))
        notify.drain()
    subjects = sorted(m["Subject"].split(" ")[0] for m in received_for(smtp, cmd.email))
    assert subjects == ["Arriving", "Order", "Your"]


class _Auth:
    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"shop", b"s3cret")
        return AuthResult(success=ok, handled=False)


class _Keep(RefusesNobody):
    def __init__(self) -> None:
        self.got: list[tuple[bool, bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.got.append((session.ssl is not None and bool(session.authenticated), envelope.content))
        return "250 OK"


@pytest.fixture
def tls_server(tmp_path: Path) -> Any:
    cert, key = self_signed_cert(tmp_path)
    handler = _Keep()
    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_tls_context(cert, key),
        require_starttls=True,
        authenticator=_Auth(),
        auth_require_tls=True,
    )
    controller.start()
    yield handler, port, cert
    controller.stop()


def _email(to: str = "ada@example.com") -> OutgoingEmail:
    return OutgoingEmail("m1", to, "Acme", None, None, "Hi", "text", "<p>html</p>", None, {})


def test_starttls_and_auth_against_a_server_that_requires_both(tls_server: Any) -> None:
    handler, port, cert = tls_server
    channel = SmtpEmailChannel(
        f"smtp+starttls://shop:s3cret@127.0.0.1:{port}", "shop@acme.example", ca_file=str(cert)
    )
    channel.send(_email())
    [(secure, content)] = handler.got
    assert secure
    mail = message_from_bytes(content, policy=policy.default)
    assert (
        mail["Subject"] == "Hi" and mail.get_body(("html",)).get_content().strip() == "<p>html</p>"
    )


def test_wrong_password_is_transient_and_a_refused_recipient_is_permanent(tls_server: Any) -> None:
    handler, port, _ = tls_server
    bad = SmtpEmailChannel(
        f"smtp+starttls://shop:nope@127.0.0.1:{port}?verify=false", "a@b.example"
    )
    with pytest.raises(DeliveryError) as err:
        bad.send(_email())
    assert not err.value.permanent and "authentication" in str(err.value)
    good = SmtpEmailChannel(
        f"smtp+starttls://shop:s3cret@127.0.0.1:{port}?verify=false", "a@b.example"
    )
    with pytest.raises(DeliveryError) as err:
        good.send(_email("nobody@example.com"))
    assert err.value.permanent and err.value.status_code == 550
    assert handler.got == []


def test_plain_smtp_to_a_starttls_only_server_is_refused_not_sent_in_clear(tls_server: Any) -> None:
    handler, port, _ = tls_server
    plain = SmtpEmailChannel(f"smtp://127.0.0.1:{port}", "a@b.example")
    with pytest.raises(DeliveryError):
        plain.send(_email())
    assert handler.got == []
