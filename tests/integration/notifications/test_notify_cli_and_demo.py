"""``postpurchase notify preview`` writes real files; the demo SMTP server stores what it
receives and stops cleanly."""

from __future__ import annotations

import smtplib
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import Engine
from typer.testing import CliRunner

from postpurchase.adapters.notifications import (
    demo_settings,
    register,
    service_for,
    start_demo_smtp,
)
from postpurchase.adapters.notifications.demo_smtp import DemoSmtp
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.entrypoints.cli_notify import app
from tests.fakes import FakeClock
from tests.integration.notifications.conftest import make_notify, quiet_settings


def test_preview_renders_email_sms_and_mime(tmp_path: Path) -> None:
    out = tmp_path / "preview"
    result = CliRunner().invoke(
        app, ["preview", "delivered", "--locale", "pt-BR", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "delivered.pt-BR.email.html",
        "delivered.pt-BR.email.txt",
        "delivered.pt-BR.eml",
        "delivered.pt-BR.sms.txt",
    ]
    mail = message_from_bytes((out / "delivered.pt-BR.eml").read_bytes(), policy=policy.default)
    assert mail["Subject"] == "Entregue: pedido #1001"
    assert "Como foi a sua entrega?" in mail.get_body(("plain",)).get_content()
    assert "entregue" in (out / "delivered.pt-BR.sms.txt").read_text()


def test_preview_refuses_unknown_flows_and_locales(tmp_path: Path) -> None:
    bad_flow = CliRunner().invoke(app, ["preview", "teleported", "--out", str(tmp_path)])
    assert bad_flow.exit_code == 2 and "unknown flow" in bad_flow.output
    bad_locale = CliRunner().invoke(
        app, ["preview", "shipped", "--locale", "xx", "--out", str(tmp_path)]
    )
    assert bad_locale.exit_code == 2 and "unsupported locale" in bad_locale.output


def test_demo_smtp_server_stores_messages(tmp_path: Path) -> None:
    server = start_demo_smtp("127.0.0.1", 0, tmp_path / "mail")
    try:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "a@example.com", "b@example.com", "hello"
        msg.set_content("body")
        with smtplib.SMTP(server.host, server.port, timeout=5) as client:
            client.send_message(msg)
        [got] = server.messages()
        assert got["Subject"] == "hello" and server.url == f"smtp://127.0.0.1:{server.port}"
    finally:
        server.stop()
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 1


def test_register_is_idempotent_and_the_demo_can_swap_its_configuration(
    engine: Engine, smtp: DemoSmtp
) -> None:
    platform = bootstrap(Settings(), engine=engine, clock=FakeClock(), notifications=False)
    first = register(platform, quiet_settings(smtp_url=smtp.url))
    count = sum(len(fns) for fns in platform.subscribers.values())
    assert register(platform) is first and service_for(platform) is first
    assert sum(len(fns) for fns in platform.subscribers.values()) == count
    demo = register(platform, demo_settings(smtp.url), replace=True)
    assert demo is not first and service_for(platform) is demo
    assert sum(len(fns) for fns in platform.subscribers.values()) == count
    assert demo.config.defaults.quiet_hours is None and demo.channels.email is not None


def test_the_unsubscribe_page_speaks_the_shoppers_language(engine: Engine, smtp: DemoSmtp) -> None:
    from fastapi.testclient import TestClient

    from postpurchase.entrypoints.api.app import create_app
    from postpurchase.entrypoints.api.routes.notifications import router
    from tests.factories import place_order

    notify = make_notify(engine, quiet_settings(smtp_url=smtp.url))
    notify.platform.bus().handle(place_order(notify.merchant.id, locale="pt-BR", currency="BRL"))
    notify.drain()
    [row] = notify.messages(flow="order_confirmed")
    app = create_app(notify.platform)
    app.include_router(router)
    with TestClient(app) as client:
        page = client.get(f"/notifications/unsubscribe/{row['unsubscribe_token']}")
        assert page.status_code == 200 and "Cancelar inscrição" in page.text
        assert '<html lang="pt-BR">' in page.text
