"""PostgreSQL and Redis servers of the outage test's own that it can stop, start and restart
on the same port (the ones in :mod:`tests.faults.servers` live for one ``with`` block)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from postpurchase.testing import free_port
from tests.faults.servers import (
    RecordingSmtp,
    Unavailable,
    _as_postgres_user,
    _pg_binary,
    _wait_for_port,
)


def smtp_outage(smtp: RecordingSmtp, seconds: float) -> None:
    """Stop the SMTP server for ``seconds`` (connections refused), then serve again on the
    same port with the same record (aiosmtpd's controller cannot be started twice)."""
    smtp._controller.stop()
    time.sleep(seconds)
    smtp._controller = Controller(smtp.recorder, hostname="127.0.0.1", port=smtp.port)
    smtp._controller.start()


class RestartablePostgres:
    """``initdb`` in a temporary directory, ``pg_ctl`` start/restart/stop on a free port."""

    def __init__(self, timeout: float = 60) -> None:
        initdb, pg_ctl = _pg_binary("initdb"), _pg_binary("pg_ctl")
        if initdb is None or pg_ctl is None:
            raise Unavailable("initdb/pg_ctl not found")
        self.initdb, self.pg_ctl, self.timeout = initdb, pg_ctl, timeout
        self.prefix = _as_postgres_user()
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="pp-outage-pg-"))
        self.data = self.root / "data"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        options = (
            # synchronous_commit stays on: with it off, a commit is answered before its WAL
            # is written, and the crash-restart below loses it (fsync may stay off: the
            # operating system does not crash here, what was written survives)
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=on -c full_page_writes=off -c max_connections=80"
        )
        subprocess.run(
            [*self.prefix, self.pg_ctl, "-D", str(self.data), "-o", options, "-l",
             str(self.root / "log"), "-w", "-t", str(int(self.timeout)), *args],
            check=True, capture_output=True, timeout=self.timeout,
        )  # fmt: skip

    def __enter__(self) -> RestartablePostgres:
        if self.prefix:
            shutil.chown(self.root, user="postgres")
        try:
            subprocess.run(
                [*self.prefix, self.initdb, "-D", str(self.data), "-A", "trust", "-U",
                 "postgres", "-E", "UTF8", "--no-sync", "--no-instructions"],
                check=True, capture_output=True, timeout=self.timeout,
            )  # fmt: skip
            self._ctl("start")
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            shutil.rmtree(self.root, ignore_errors=True)
            raise Unavailable(f"could not start PostgreSQL: {exc}") from exc
        return self

    def restart(self) -> None:
        """A crash and recovery: ``-m immediate`` cuts every connection, no checkpoint."""
        self._ctl("-m", "immediate", "restart")

    def __exit__(self, *exc: Any) -> None:
        subprocess.run(
            [*self.prefix, self.pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop"],
            capture_output=True, timeout=self.timeout, check=False,
        )  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)


class RestartableRedis:
    """``redis-server`` on a free port, nothing persisted: a restart comes back empty."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise Unavailable("redis-server not found")
        self.binary = binary
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="pp-outage-redis-"))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.root), "--logfile", str(self.root / "log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_for_port(self.port, 15)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()  # down hard: no goodbye to the clients
            self.proc.wait(timeout=10)

    def __enter__(self) -> RestartableRedis:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
