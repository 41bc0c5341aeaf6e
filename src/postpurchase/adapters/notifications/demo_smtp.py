"""A real SMTP server for the demo (and tests): accepts everything, stores each message as
an ``.eml`` file, so a newcomer can open what the shopper would have received."""

from __future__ import annotations

import itertools
import socket
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass
class _StoringHandler:
    store_dir: Path
    received: int = 0
    _seq: Any = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = (
            envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        )
        with self._lock:
            n = next(self._seq)
            self.received += 1
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        (self.store_dir / f"{stamp}-{n:06d}.eml").write_bytes(content)
        return "250 Message accepted for delivery"


class DemoSmtp:
    """Handle on a running server: ``.url`` for ``POSTPURCHASE_SMTP_URL``, ``.stop()``."""

    def __init__(self, host: str, port: int, store_dir: Path) -> None:
        self.host, self.port, self.store_dir = host, port, store_dir
        self.handler = _StoringHandler(store_dir)
        self._controller = Controller(self.handler, hostname=host, port=port)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def start(self) -> DemoSmtp:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def messages(self) -> list[EmailMessage]:
        """What arrived so far, oldest first, parsed."""
        out = []
        for path in sorted(self.store_dir.glob("*.eml")):
            parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            out.append(parsed)
        return out


def start_demo_smtp(
    host: str = "127.0.0.1", port: int = 0, store_dir: str | Path = "mail"
) -> DemoSmtp:
    """Start a local SMTP server storing messages in ``store_dir`` (created if missing).
    ``port=0`` picks a free port. Returns a handle with ``.url`` and ``.stop()``."""
    directory = Path(store_dir)
    directory.mkdir(parents=True, exist_ok=True)
    return DemoSmtp(host, port or free_port(host), directory).start()
