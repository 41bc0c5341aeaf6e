"""Support for the test suite and the benchmarks: a scratch PostgreSQL database, and the API
as a real server process on loopback. The product never imports this module.

Both exist so that tests and benchmarks measure the same thing the same way (one database
of their own, one uvicorn process reached over HTTP) without each writing its own.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

import httpx
from sqlalchemy import create_engine, text

from postpurchase.adapters.notifications.demo_smtp import free_port

__all__ = ["api_server", "free_port", "scratch_pg_database", "wait_until_healthy"]

ASGI_APP = "postpurchase.entrypoints.asgi:app"


@contextmanager
def scratch_pg_database(server_url: str, prefix: str = "pp") -> Iterator[str]:
    """A new, empty database on the server of ``server_url`` (any database URL of it);
    yields its URL and drops it afterwards, even with sessions still connected."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield server_url.rpartition("/")[0] + "/" + name
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def wait_until_healthy(
    url: str, *, timeout: float = 120, running: Callable[[], bool] = lambda: True
) -> None:
    """Poll ``/healthz`` until it answers 200; fail once ``timeout`` passes or the server
    stops ``running``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or not running():
            raise RuntimeError(f"the server at {url} did not start")
        time.sleep(0.05)


@contextmanager
def api_server(
    env: Mapping[str, str],
    *,
    port: int | None = None,
    extra_args: Sequence[str] = ("--no-access-log",),
    timeout: float = 120,
) -> Iterator[str]:
    """One uvicorn process serving the app with ``env``; yields its base URL once
    ``/healthz`` answers, and stops it on exit. The wait is generous because a start
    (imports, migrations check) takes 3 s on an idle machine and over 30 s on a shared
    2-core one at load average 20; it only bounds a server that never comes up."""
    from postpurchase.entrypoints.api.app import EVENT_LOOP

    port = port or free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", ASGI_APP, "--host", "127.0.0.1", "--port", str(port),
         "--loop", EVENT_LOOP, "--log-level", "warning", *extra_args],
        env=dict(env),
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, timeout=timeout, running=lambda: proc.poll() is None)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def threaded_server(app: object) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a daemon thread of this process on a free loopback port;
    yields its base URL once ``/healthz`` answers. In-process (unlike ``api_server``) so a
    test's fake clock and seeded platform are the server's own, as the browser tests need."""
    import threading

    import uvicorn

    from postpurchase.entrypoints.api.app import EVENT_LOOP

    port = free_port()
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        host="127.0.0.1",
        port=port,
        loop=EVENT_LOOP,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, running=thread.is_alive)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
