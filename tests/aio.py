"""Run a coroutine to completion from a test, whatever loop the test process already runs.

``asyncio.run`` refuses to start inside a running loop, and a session-wide fixture may hold
one in the main thread (Playwright's sync API does, for the browser tests): the coroutine
gets a fresh loop in a thread of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
