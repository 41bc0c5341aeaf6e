"""ASGI entrypoint for uvicorn/gunicorn: `postpurchase.entrypoints.asgi:app`.

Each process builds its own platform (engine pool, queue publisher) from the environment.
"""

from __future__ import annotations

from postpurchase.entrypoints.api.app import create_app
from postpurchase.entrypoints.observability import configure_from
from postpurchase.entrypoints.worker import build

_platform = build().platform
configure_from(_platform.settings)  # each uvicorn worker process logs the same way
app = create_app(_platform)
