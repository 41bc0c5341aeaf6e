"""One-click unsubscribe (RFC 8058) as the mailbox provider sees it: the RAW bytes the SMTP
server received, not a parsed header (a parser decodes RFC 2047 encoded-words, which is how
an encoded ``List-Unsubscribe`` -- that providers ignore -- passed the other tests)."""

from __future__ import annotations

import re
from pathlib import Path

from postpurchase.adapters.notifications.demo_smtp import DemoSmtp
from postpurchase.adapters.notifications.email import SmtpEmailChannel
from postpurchase.service_layer.notification_ports import OutgoingEmail
from tests.factories import place_order
from tests.integration.notifications.conftest import BASE_URL, Notify

POST = b"List-Unsubscribe-Post: List-Unsubscribe=One-Click"


def raw_messages(smtp: DemoSmtp) -> list[bytes]:
    return [p.read_bytes() for p in sorted(Path(smtp.store_dir).glob("*.eml"))]


def header_block(raw: bytes) -> bytes:
    return raw.split(b"\r\n\r\n", 1)[0]


def unfolded(raw: bytes, name: bytes) -> list[bytes]:
    """Every occurrence of header ``name`` in the raw header block, unfolded."""
    block = re.sub(rb"\r\n[ \t]", b" ", header_block(raw))
    return [line for line in block.split(b"\r\n") if line.lower().startswith(name.lower() + b":")]


def test_list_unsubscribe_arrives_as_plain_ascii(notify: Notify, smtp: DemoSmtp) -> None:
    cmd = place_order(notify.merchant.id)
    notify.platform.bus().handle(cmd)
    notify.drain()
    [row] = notify.messages(flow="order_confirmed")
    [raw] = [r for r in raw_messages(smtp) if cmd.email.encode() in r]
    url = f"{BASE_URL}/notifications/unsubscribe/{row['unsubscribe_token']}".encode()
    block = header_block(raw)
    assert b"\r\nList-Unsubscribe: <" + url + b">\r\n" in block  # one line, verbatim
    assert b"\r\n" + POST + b"\r\n" in block
    for line in unfolded(raw, b"List-Unsubscribe") + unfolded(raw, b"List-Unsubscribe-Post"):
        assert b"=?" not in line, line


def test_a_long_unsubscribe_url_is_never_encoded_nor_broken(smtp: DemoSmtp) -> None:
    base = "https://tracking.a-merchant-with-a-rather-long-domain-name.example.com/" + "p/" * 40
    url = base + "notifications/unsubscribe/" + "T" * 32
    both = f"<mailto:unsubscribe@shop.example?subject=stop>, <{url}>"
    channel = SmtpEmailChannel(smtp.url, "orders@shop.example")
    subject = "Votre commande a été expédiée " * 4
    channel.send(
        OutgoingEmail("m0", "ada0@example.com", "Acme Émile", None, None, subject, "text",
                      "<p>html</p>", url, {})
    )  # fmt: skip
    extra = {"List-Unsubscribe": both, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    channel.send(
        OutgoingEmail("m1", "ada1@example.com", "Acme Émile", None, None, subject, "text",
                      "<p>html</p>", None, extra)
    )  # fmt: skip
    plain, listed = sorted(raw_messages(smtp), key=lambda r: b"ada1@" in r)
    assert b"\r\nList-Unsubscribe: <" + url.encode() + b">\r\n" in header_block(plain)
    [line] = unfolded(listed, b"List-Unsubscribe")
    assert line == b"List-Unsubscribe: " + both.encode()  # folded at the space, if at all
    for raw in (plain, listed):
        [post] = unfolded(raw, b"List-Unsubscribe-Post")
        assert post == POST
        for line in unfolded(raw, b"List-Unsubscribe"):
            assert b"=?" not in line and line.isascii()
        assert b"=?utf-8?" in header_block(raw)  # the subject still is (it is not ASCII)
