"""``postpurchase notify preview`` writes real files; the demo SMTP server stores what it
receives and stops cleanly."""

from __future__ import annotations

import smtplib
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from typer.testing import CliRunner

from postpurchase.adapters.notifications import start_demo_smtp
from postpurchase.entrypoints.cli_notify import app


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
