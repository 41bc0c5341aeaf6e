"""A real HTTP server on loopback that records requests (webhook receivers, Apprise
targets) and a responder that answers like Twilio's Messages resource."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from postpurchase.domain.ids import new_id


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Responder = Callable[[Recorded], tuple[int, dict[str, str], bytes]]


class HttpRecorder:
    """A real HTTP server on loopback that records requests and answers via ``responder``."""

    def __init__(self, responder: Responder) -> None:
        self.requests: list[Recorded] = []
        self.responder = responder
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                rec = Recorded(
                    self.command, self.path, dict(self.headers.items()), self.rfile.read(length)
                )
                recorder.requests.append(rec)
                status, headers, body = recorder.responder(rec)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET = do_PUT = _handle

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> HttpRecorder:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def http_recorder(responder: Responder) -> Iterator[HttpRecorder]:
    with HttpRecorder(responder) as rec:
        yield rec


def twilio_responder(rec: Recorded) -> tuple[int, dict[str, str], bytes]:
    """Answers like Twilio's Messages resource: 201 with a SID, or Twilio-shaped errors for
    magic numbers (the ones Twilio's own test credentials use)."""
    from urllib.parse import parse_qs

    form = {k: v[0] for k, v in parse_qs(rec.body.decode()).items()}
    to = form.get("To", "")
    headers = {"Content-Type": "application/json"}
    if to == "+15005550001":  # Twilio's magic "invalid number"
        err = {
            "code": 21211,
            "message": f"The 'To' number {to} is not a valid phone number.",
            "more_info": "https://www.twilio.com/docs/errors/21211",
            "status": 400,
        }
        return 400, headers, json.dumps(err).encode()
    if to == "+15005550004":  # recipient replied STOP
        err = {"code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400}
        return 400, headers, json.dumps(err).encode()
    if to == "+15005550009":
        return (
            503,
            headers,
            json.dumps({"code": 20503, "message": "Service unavailable", "status": 503}).encode(),
        )
    sid = "SM" + new_id()
    account = rec.path.split("/Accounts/")[1].split("/")[0]
    body = {
        "sid": sid,
        "account_sid": account,
        "to": to,
        "from": form.get("From"),
        "body": form.get("Body"),
        "status": "queued",
        "num_segments": "1",
        "date_created": dt.datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000"),
        "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json",
    }
    return 201, headers, json.dumps(body).encode()
