"""What keeping a batch's SMTP connection open for the next batch saves.

Urgent e-mails (out for delivery, a failed attempt) are sent as soon as they are planned,
often one per batch. With ``?keep=0`` every batch opens its own connection: TCP, EHLO,
STARTTLS, EHLO again, AUTH, then the message, then QUIT. With the default ``keep=5`` a
batch that follows within 5 seconds takes the connection the last one left open.

A local aiosmtpd server that requires STARTTLS and AUTH (as a provider's submission port
does) on loopback, so the figure is the hand-shakes' CPU and local round trips only; over a
network to a real provider each saved round trip is its latency (tens of ms) on top.

    baseline  keep=0: a new connection per batch (the behaviour before connections were kept)
    kept      keep=5: the connection of the previous batch

Run:  .venv/bin/python benchmarks/smtp_connections.py [--batches 300]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.notify_support import self_signed_cert, server_tls_context

from postpurchase.adapters.notifications.demo_smtp import free_port
from postpurchase.adapters.notifications.email import SmtpEmailChannel
from postpurchase.service_layer.notification_ports import OutgoingEmail


class _Sink:
    def __init__(self) -> None:
        self.accepted = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.accepted += 1
        return "250 OK"


def _auth(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and data.login == b"shop"
    return AuthResult(success=ok, handled=False)


def _run(url: str, cert: Path, batches: int) -> list[float]:
    channel = SmtpEmailChannel(url, "shop@acme.example", ca_file=str(cert))
    times: list[float] = []
    for n in range(batches):
        email = OutgoingEmail(
            f"m{n}", "ada@example.com", "Acme", None, None, "Out for delivery", "Today.",
            None, None, {},
        )  # fmt: skip
        start = time.perf_counter()
        [(provider_id, error)] = list(channel.send_many([email]))
        times.append((time.perf_counter() - start) * 1000)
        assert error is None and provider_id, error
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=300)
    args = parser.parse_args()
    logging.getLogger("mail.log").setLevel(logging.ERROR)  # aiosmtpd's own deprecation notes
    with tempfile.TemporaryDirectory() as tmp:
        cert, key = self_signed_cert(Path(tmp))
        sink, port = _Sink(), free_port()
        controller = Controller(
            sink, hostname="127.0.0.1", port=port, tls_context=server_tls_context(cert, key),
            require_starttls=True, authenticator=_auth, auth_require_tls=True,
        )  # fmt: skip
        controller.start()
        try:
            base = f"smtp+starttls://shop:pw@127.0.0.1:{port}?timeout=10"
            _run(base + "&keep=0", cert, 10)  # warm-up: imports, TLS contexts
            rows = [
                ("baseline: keep=0, a new connection per batch", _run(base + "&keep=0", cert,
                                                                   args.batches)),
                ("kept: keep=5, the previous batch's connection", _run(base + "&keep=5", cert,
                                                                    args.batches)),
            ]  # fmt: skip
        finally:
            controller.stop()
    table = Table(
        title=f"One urgent e-mail per batch, {args.batches} batches, STARTTLS + AUTH on "
        f"loopback (load {os.getloadavg()[0]:.2f})"
    )
    for col in ("batches", "p50 ms", "p99 ms", "mean ms", "baseline / this"):
        table.add_column(col, justify="right")
    table.add_column("configuration", justify="left")
    base_mean = statistics.fmean(rows[0][1])
    for name, times in rows:
        ordered = sorted(times)
        p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
        mean = statistics.fmean(times)
        table.add_row(
            str(len(times)), f"{statistics.median(times):.2f}", f"{p99:.2f}", f"{mean:.2f}",
            f"{base_mean / mean:.1f}x", name,
        )  # fmt: skip
    Console().print(table)


if __name__ == "__main__":
    main()
