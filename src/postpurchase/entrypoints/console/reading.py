"""Reads for the console's pages: one connection in a worker thread, never on the event loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from postpurchase.entrypoints.console.auth import platform_of

T = TypeVar("T")


async def read(request: Request, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(conn, *args, **kwargs)`` on a read connection of the app's database."""
    engine = platform_of(request).engine

    def run() -> T:
        conn: Connection
        with engine.connect() as conn:
            return fn(conn, *args, **kwargs)

    return await run_in_threadpool(run)
