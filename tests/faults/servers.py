"""Servers of the fault tests' own, on loopback, each bounded in time and torn down after:
a throwaway PostgreSQL (``initdb`` + ``pg_ctl`` in a temporary directory, a free port), a
throwaway Redis (``redis-server`` on a free port, nothing persisted), and an SMTP server
(aiosmtpd) that records the Message-ID of every message it accepts.

Never the shared 127.0.0.1:5432 / 6379 the other tests use: a fault test restarts and
floods its servers, and must not see anyone else's rows or queue. When the binaries are
missing it falls back to the shared servers only if asked to (``POSTPURCHASE_TEST_*_URL``
set): a scratch database and a Redis database number of its own.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from postpurchase.testing import free_port, scratch_pg_database


class Unavailable(Exception):
    """No way to start this server here (the test skips, saying why)."""


def _pg_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _as_postgres_user() -> list[str]:
    """PostgreSQL refuses to run as root: run it as ``postgres`` (Debian's user) then."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise Unavailable("running as root and there is no 'postgres' user") from exc
    runuser = shutil.which("runuser")
    if runuser is None:
        raise Unavailable("running as root and there is no runuser")
    return [runuser, "-u", "postgres", "--"]


def _wait_for_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise Unavailable(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


@contextmanager
def throwaway_postgres(timeout: float = 30) -> Iterator[str]:
    """A PostgreSQL server of our own; yields a SQLAlchemy URL of its ``postgres`` database."""
    initdb, pg_ctl = _pg_binary("initdb"), _pg_binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise Unavailable("initdb/pg_ctl not found")
    prefix = _as_postgres_user()
    # /tmp, not pytest's tmp_path: the postgres user must be able to reach it
    root = Path(tempfile.mkdtemp(prefix="pp-faults-pg-"))
    data = root / "data"
    if prefix:
        shutil.chown(root, user="postgres")
    port = free_port()
    run: dict[str, Any] = {"check": True, "capture_output": True, "timeout": timeout}
    try:
        subprocess.run(
            [*prefix, initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
             "--no-sync", "--no-instructions"],
            **run,
        )  # fmt: skip
        options = (
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
        )
        subprocess.run(
            [*prefix, pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w",
             "-t", str(int(timeout)), "start"],
            **run,
        )  # fmt: skip
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        shutil.rmtree(root, ignore_errors=True)
        raise Unavailable(f"could not start PostgreSQL: {exc}") from exc
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True, timeout=timeout, check=False,
        )  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def throwaway_redis(timeout: float = 15) -> Iterator[str]:
    """A Redis server of our own (nothing saved to disk); yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise Unavailable("redis-server not found")
    root = Path(tempfile.mkdtemp(prefix="pp-faults-redis-"))
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(root), "--logfile", str(root / "log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_for_port(port, timeout)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def postgres_and_redis() -> Iterator[tuple[str, str, str]]:
    """``(database URL, Redis URL, which)``: servers of our own when they can be started
    here, else -- only when POSTPURCHASE_TEST_POSTGRES_URL and POSTPURCHASE_TEST_REDIS_URL
    are set -- a scratch database on the shared server and Redis database 13."""
    with ExitStack() as stack:
        try:
            pg = stack.enter_context(throwaway_postgres())
            redis = stack.enter_context(throwaway_redis())
            which = "throwaway PostgreSQL and Redis servers of its own"
        except Unavailable as exc:
            stack.close()
            shared_pg = os.environ.get("POSTPURCHASE_TEST_POSTGRES_URL")
            shared_redis = os.environ.get("POSTPURCHASE_TEST_REDIS_URL")
            if not (shared_pg and shared_redis):
                raise Unavailable(f"{exc}, and no shared servers are configured") from exc
            pg = stack.enter_context(scratch_pg_database(shared_pg, prefix="pp_faults"))
            redis = shared_redis.rsplit("/", 1)[0] + "/13"
            which = f"the shared servers ({exc}): a scratch database, Redis db 13"
        yield pg, redis, which


# --------------------------------------------------------------------------- SMTP


@dataclass
class _Recorder:
    """aiosmtpd handler: remembers the Message-ID of every message it accepts, with when.
    It records before the 250 goes out: a worker killed before reading the 250 does not
    know, but the message counts as accepted -- as it would at a real mail server."""

    accepted: list[tuple[float, str]] = field(default_factory=list)  # (wall clock, id)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        data = raw if isinstance(raw, bytes) else raw.encode()
        message_id = str(BytesHeaderParser().parsebytes(data)["Message-ID"] or "").strip()
        with self.lock:
            self.accepted.append((time.time(), message_id))
        return "250 Message accepted"


class RecordingSmtp:
    """A real SMTP server on loopback; ``counts()``: how often each Message-ID arrived."""

    def __init__(self) -> None:
        self.port = free_port()
        self.recorder = _Recorder()
        self._controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?timeout=5"

    def __enter__(self) -> RecordingSmtp:
        self._controller.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._controller.stop()

    def counts(self) -> Counter[str]:
        with self.recorder.lock:
            return Counter(mid for _, mid in self.recorder.accepted)

    def first_accepted(self) -> dict[str, float]:
        """When each Message-ID was first accepted (wall clock, seconds)."""
        with self.recorder.lock:
            out: dict[str, float] = {}
            for at, mid in self.recorder.accepted:
                out.setdefault(mid, at)
            return out

    def total(self) -> int:
        with self.recorder.lock:
            return len(self.recorder.accepted)
